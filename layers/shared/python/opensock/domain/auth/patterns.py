"""Pattern keys: how a `channels`, `messages` or `storage` key is matched against a name.

A key is one of three kinds (PROTOCOL §5.1). A `#regex:` key is an RE2 pattern searched
unanchored, as Go's `MatchString` does (Q-PERM-2); any other key containing `*` is an anchored
glob where each `*` stands for any run of characters, the empty one included (Q-PERM-1);
everything else must equal the name. The prefix test comes first, so `#regex:^a.*$` is a regex.
Globs are compiled with RE2 too, so a hostile key such as `*a*a*a*a*b` costs linear time.
"""

from __future__ import annotations

import enum
import functools
from typing import Any

import re2

REGEX_PREFIX = "#regex:"


class KeyKind(enum.Enum):
    EXACT = "exact"
    WILDCARD = "wildcard"
    REGEX = "regex"


class PatternError(ValueError):
    """A `#regex:` key that RE2 cannot compile (the whole token is then invalid)."""


def key_kind(key: str) -> KeyKind:
    if key.startswith(REGEX_PREFIX):
        return KeyKind.REGEX
    if "*" in key:
        return KeyKind.WILDCARD
    return KeyKind.EXACT


def is_exact(key: str) -> bool:
    return key_kind(key) is KeyKind.EXACT


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused token must not write RE2 diagnostics to the log
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=4096)
def _compiled(key: str) -> Any:
    if key.startswith(REGEX_PREFIX):
        source = key[len(REGEX_PREFIX) :]
    else:
        source = "(?s)" + ".*".join(re2.escape(part) for part in key.split("*"))
    try:
        return re2.compile(source, options=_OPTIONS)
    except re2.error:
        raise PatternError("invalid regex key") from None


def validate_key(key: str) -> None:
    """Raise PatternError unless the key is usable (only `#regex:` keys can fail)."""
    if not is_exact(key):
        _compiled(key)


def key_matches(key: str, name: str) -> bool:
    """True if the key (exact, wildcard or regex) matches the name."""
    kind = key_kind(key)
    if kind is KeyKind.EXACT:
        return key == name
    pattern = _compiled(key)
    if kind is KeyKind.REGEX:
        return pattern.search(name) is not None
    return pattern.fullmatch(name) is not None
