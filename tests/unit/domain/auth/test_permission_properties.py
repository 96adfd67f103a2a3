"""Properties of permission resolution, checked with hypothesis against small references."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from opensock.domain.auth import rules
from opensock.domain.auth.claims import Claims
from opensock.domain.auth.patterns import REGEX_PREFIX, key_matches
from opensock.domain.auth.permissions import Permissions

quick = settings(database=None, deadline=None, max_examples=200)
thorough = settings(database=None, deadline=None, max_examples=80)

CHANNEL = "room.7"
MATCHING_KEYS = ["room.7", "room.*", "*", "*.7", "r*m*7", "#regex:^room", "#regex:7$", "#regex:"]
OTHER_KEYS = ["room.8", "lobby.*", "#regex:^x", "room.7.*"]
EVENTS = ["chat", "typing", "chat.x"]
EVENT_KEYS = ["chat", "*", "chat*", "#regex:^t", "typing", "nope"]
STORAGE_NAMES = ["cursor.1", "settings"]
STORAGE_KEYS = ["cursor.*", "settings", "*", "#regex:1$", "other"]

flags = st.sampled_from([None, True, False])


def glob_reference(pattern: str, name: str) -> bool:
    """Classic greedy `*`-only glob match, independent of any regex engine."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == name
    first, *middle, last = parts
    if len(name) < len(first) + len(last) or not name.startswith(first):
        return False
    if not name.endswith(last):
        return False
    position, end = len(first), len(name) - len(last)
    for part in middle:
        found = name.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def parsed(channels: dict[str, Any]) -> Claims:
    return Claims.from_payload({"exp": 2_000_000_000, "scope": "connect", "channels": channels})


def without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


message_grants = st.builds(
    without_none,
    st.fixed_dictionaries(
        {
            "publish": flags,
            "broadcast": flags,
            "echo": flags,
            "store": st.sampled_from([None, -1, 0, 60, 3600]),
            "react": st.sampled_from([None, True, False, ["+1"], ["heart", "+1"]]),
        }
    ),
)
storage_grants = st.builds(
    without_none,
    st.fixed_dictionaries(
        {
            "observe": flags,
            "get": flags,
            "set": flags,
            "emitPubSubEvent": flags,
            "store": st.sampled_from([None, -1, 30, 90]),
        }
    ),
)
channel_grants = st.builds(
    lambda subscribe, history, messages, storage: without_none(
        {"subscribe": subscribe, "historyStart": history, "messages": messages, "storage": storage}
    ),
    flags,
    st.sampled_from([None, 0, 10, 20]),
    st.dictionaries(st.sampled_from(EVENT_KEYS), message_grants, max_size=3),
    st.dictionaries(st.sampled_from(STORAGE_KEYS), storage_grants, max_size=3),
)
layers = st.dictionaries(st.sampled_from(MATCHING_KEYS + OTHER_KEYS), channel_grants, max_size=4)


@quick
@given(st.text(max_size=40))
def test_a_lone_star_matches_every_name(name: str) -> None:
    assert key_matches("*", name)


@quick
@given(
    st.text(alphabet="ab.*\\()[]?$^+|{}\n é#", max_size=8).filter(
        lambda key: not key.startswith(REGEX_PREFIX)
    ),
    st.text(alphabet="ab.()[]?$^\n é#\\", max_size=10),
)
def test_wildcards_match_like_a_reference_glob(key: str, name: str) -> None:
    assert key_matches(key, name) is glob_reference(key, name)


@quick
@given(st.lists(flags, max_size=8))
def test_tri_state_matches_its_definition(values: list[bool | None]) -> None:
    expected = False if False in values else (True if True in values else None)
    assert rules.tri_state(values) is expected


@quick
@given(
    st.dictionaries(st.sampled_from(MATCHING_KEYS + OTHER_KEYS), flags, max_size=6),
    st.dictionaries(st.sampled_from(MATCHING_KEYS + OTHER_KEYS), flags, max_size=6),
)
def test_explicit_false_always_wins_whatever_the_other_keys(
    connect: dict[str, bool | None], subscribe: dict[str, bool | None]
) -> None:
    # GIVEN random subscribe values on random keys of both tokens
    permissions = Permissions.from_claims(
        parsed({key: without_none({"subscribe": v}) for key, v in connect.items()}),
        parsed({key: without_none({"subscribe": v}) for key, v in subscribe.items()}),
    )
    seen = [
        v for layer in (connect, subscribe) for k, v in layer.items() if key_matches(k, CHANNEL)
    ]
    # THEN a false on any matching key denies; otherwise any true allows
    assert permissions.can_subscribe(CHANNEL) is (False not in seen and True in seen)


@thorough
@given(layers, layers)
def test_stored_entries_round_trip_through_json_with_the_same_decisions(
    connect: dict[str, Any], subscribe: dict[str, Any]
) -> None:
    original = Permissions.from_claims(parsed(connect), parsed(subscribe))
    stored = json.loads(json.dumps(original.matching_entries(CHANNEL)))
    rebuilt = Permissions.from_entries(**stored)
    assert rebuilt.can_subscribe(CHANNEL) is original.can_subscribe(CHANNEL)
    assert rebuilt.history_start(CHANNEL) == original.history_start(CHANNEL)
    for event in EVENTS:
        for subscribed in (True, False):
            assert rebuilt.publish_grant(CHANNEL, event, subscribed=subscribed) == (
                original.publish_grant(CHANNEL, event, subscribed=subscribed)
            )
        assert rebuilt.react_permission(CHANNEL, event) == original.react_permission(CHANNEL, event)
    for name in STORAGE_NAMES:
        for directive in ("observe", "get", "set", "emitPubSubEvent"):
            assert rebuilt.storage_flag(CHANNEL, name, directive) is (
                original.storage_flag(CHANNEL, name, directive)
            )
        assert rebuilt.storage_store(CHANNEL, name) == original.storage_store(CHANNEL, name)


@thorough
@given(layers, layers, st.sampled_from(EVENTS))
def test_publishing_while_subscribed_is_never_stricter(
    connect: dict[str, Any], subscribe: dict[str, Any], event: str
) -> None:
    permissions = Permissions.from_claims(parsed(connect), parsed(subscribe))
    if permissions.can_publish(CHANNEL, event, subscribed=False):
        assert permissions.can_publish(CHANNEL, event, subscribed=True)


@thorough
@given(layers, layers, st.sampled_from(EVENTS))
def test_gated_directives_are_off_whenever_publishing_is_refused(
    connect: dict[str, Any], subscribe: dict[str, Any], event: str
) -> None:
    permissions = Permissions.from_claims(parsed(connect), parsed(subscribe))
    grant = permissions.publish_grant(CHANNEL, event, subscribed=False)
    if not grant.allowed:
        assert (grant.echo, grant.emit_pub_sub_event, grant.store) == (False, False, 0)
        assert grant.schedule_before is None


@quick
@given(st.lists(st.tuples(st.booleans(), st.sampled_from([-1, 1, 5, 3600])), min_size=1))
def test_store_resolution_picks_the_most_permissive_preferred_value(
    candidates: list[tuple[bool, int]],
) -> None:
    preferred = [v for exact, v in candidates if exact] or [v for _, v in candidates]
    result = rules.most_permissive_store(candidates)
    assert result in preferred
    assert result == (-1 if -1 in preferred else max(preferred))
