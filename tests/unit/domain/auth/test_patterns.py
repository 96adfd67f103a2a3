"""Pattern keys: exact, wildcard (anchored glob) and `#regex:` (RE2, unanchored search)."""

from __future__ import annotations

import pytest
import re2

from opensock.domain.auth.patterns import (
    KeyKind,
    PatternError,
    _options,
    key_kind,
    key_matches,
    validate_key,
)


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("user.456", KeyKind.EXACT),
        ("", KeyKind.EXACT),
        ("account.123.*", KeyKind.WILDCARD),
        ("*", KeyKind.WILDCARD),
        ("#regex:^org\\.[0-9]+$", KeyKind.REGEX),
        ("#regex:^a.*$", KeyKind.REGEX),  # contains `*` but the prefix is tested first
        ("#regex", KeyKind.EXACT),
        ("#*", KeyKind.WILDCARD),
    ],
)
def test_key_kind(key: str, kind: KeyKind) -> None:
    assert key_kind(key) is kind


@pytest.mark.parametrize(
    ("key", "name", "matches"),
    [
        ("user.456", "user.456", True),
        ("user.456", "user.4567", False),
        ("user.*", "user.456", True),
        ("user.*", "user.", True),  # `*` matches the empty run
        ("user.*", "user", False),
        ("account.123.*", "account.123.a.b.c", True),  # the run may contain dots
        ("account.123.*", "xaccount.123.a", False),  # anchored
        ("*", "", True),
        ("*", "anything at all", True),
        ("a*b", "ab", True),
        ("a*b", "a-x-b", True),
        ("a*b", "a-x-bc", False),
        ("*.chat.*", "org.chat.room", True),
        ("a.b*", "aXb", False),  # `.` is literal in a glob
        ("(x)*", "(x)yz", True),  # regex metacharacters are literal in a glob
        ("[ab]*", "a", False),
        ("[ab]*", "[ab]", True),
        ("#regex:^org\\.[0-9]+$", "org.12", True),
        ("#regex:^org\\.[0-9]+$", "org.12a", False),
        ("#regex:org", "my.org.1", True),  # unanchored search
        ("#regex:^a.*$", "abc", True),
        ("#regex:", "anything", True),
        ("#regex:(?i)^CHAT$", "chat", True),
    ],
)
def test_key_matches(key: str, name: str, matches: bool) -> None:
    assert key_matches(key, name) is matches


@pytest.mark.parametrize(
    "key",
    [
        "#regex:(",
        "#regex:(?<=a)b",
        "#regex:(?=a)",
        "#regex:(a)\\1",
        "#regex:a{2000}",
        "#regex:[z-a]",
    ],
)
def test_patterns_re2_rejects_are_invalid(key: str) -> None:
    with pytest.raises(PatternError):
        validate_key(key)


@pytest.mark.parametrize("key", ["plain", "a*", "**", "#regex:^ok$", "(", "#regex\\("])
def test_valid_keys_pass_validation(key: str) -> None:
    validate_key(key)


def test_catastrophic_pattern_is_linear_time() -> None:
    # GIVEN a glob and a regex that backtrack exponentially in Python's `re`
    name = "a" * 256
    # THEN RE2 answers at once
    assert not key_matches("*a*a*a*a*a*a*a*a*a*a*a*a*b", name)
    assert not key_matches("#regex:^(a+)+$b", name)


def test_an_invalid_regex_writes_no_re2_diagnostics(capfd: pytest.CaptureFixture[str]) -> None:
    # RE2 logs a parse error to stderr by default; the pattern comes from a token, and a
    # refused token must leave no trace of its content in the logs
    with pytest.raises(re2.error):
        re2.compile("(", options=_options())
    with pytest.raises(PatternError):
        validate_key("#regex:(unclosed")
    assert capfd.readouterr().err == ""
