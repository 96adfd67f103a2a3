"""Permissions: §5.4 booleans, the §5.6 publish matrix, §5.7 gating, Q-PERM-3, aliases,
auto-subscribe, layering and stored entries."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from opensock.auth.claims import Claims
from opensock.auth.permissions import Permissions, PublishGrant


def grants(channels: dict[str, Any]) -> Claims:
    return Claims.from_payload({"exp": 2_000_000_000, "scope": "connect", "channels": channels})


def resolver(connect: dict[str, Any], subscribe: dict[str, Any] | None = None) -> Permissions:
    return Permissions.from_claims(grants(connect), grants(subscribe) if subscribe else None)


def on_event(**directives: Any) -> dict[str, Any]:
    return {"messages": {"e": directives}}


# --- channel booleans ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("channels", "channel", "allowed"),
    [
        ({"a": {"subscribe": True}}, "a", True),
        ({"a": {"subscribe": True}}, "b", False),
        ({"a.*": {"subscribe": True}}, "a.1", True),
        ({"#regex:^a\\.[0-9]+$": {"subscribe": True}}, "a.12", True),
        ({"#regex:^a\\.[0-9]+$": {"subscribe": True}}, "a.x", False),
        ({"a": {}}, "a", False),  # default false
        ({"*": {"subscribe": True}, "a": {"subscribe": False}}, "a", False),  # exact false wins
        ({"a": {"subscribe": False}, "*": {"subscribe": True}}, "a", False),  # order irrelevant
        ({"a": {"subscribe": True}, "a*": {"subscribe": False}}, "a", False),  # pattern false wins
        (
            {"#regex:^org\\.[0-9]+$": {"subscribe": True}, "org.0": {"subscribe": False}},
            "org.0",
            False,
        ),
        (
            {"#regex:^org\\.[0-9]+$": {"subscribe": True}, "org.0": {"subscribe": False}},
            "org.1",
            True,
        ),
        ({"a": {"subscribe": None}, "*": {"subscribe": True}}, "a", True),
    ],
)
def test_subscribe_resolution(channels: dict[str, Any], channel: str, allowed: bool) -> None:
    assert resolver(channels).can_subscribe(channel) is allowed


@pytest.mark.parametrize("directive", ["getInfo", "omitFromSubCount", "umdUpdate"])
def test_other_channel_flags_follow_the_same_rule(directive: Any) -> None:
    permissions = resolver({"*": {directive: True}, "no": {directive: False}})
    assert permissions.channel_flag("yes", directive) is True
    assert permissions.channel_flag("no", directive) is False


def test_subscribe_token_false_cannot_be_lifted_and_cannot_lift() -> None:
    # GIVEN connect denies `a` and the subscribe token allows it; the reverse for `b`
    permissions = resolver(
        {"a": {"subscribe": False}, "b": {"subscribe": True}},
        {"a": {"subscribe": True}, "b": {"subscribe": False}},
    )
    # THEN an explicit false in either token wins
    assert not permissions.can_subscribe("a")
    assert not permissions.can_subscribe("b")


def test_subscribe_token_adds_permissions() -> None:
    assert resolver({}, {"a": {"subscribe": True}}).can_subscribe("a")


# --- publish / broadcast matrix (§5.6) ----------------------------------------------------
@pytest.mark.parametrize(
    ("directives", "subscribed", "not_subscribed"),
    [
        ({"broadcast": True}, True, True),
        ({"publish": True, "broadcast": True}, True, True),
        ({"publish": True}, True, False),
        ({"publish": True, "broadcast": False}, True, False),
        ({"publish": False, "broadcast": True}, False, False),
        ({}, False, False),
        ({"broadcast": False}, False, False),
    ],
    ids=[
        "broadcast",
        "both",
        "publish",
        "publish-broadcast-false",
        "publish-false",
        "none",
        "b-false",
    ],
)
def test_publish_broadcast_matrix(
    directives: dict[str, Any], subscribed: bool, not_subscribed: bool
) -> None:
    permissions = resolver({"c": on_event(**directives)})
    assert permissions.can_publish("c", "e", subscribed=True) is subscribed
    assert permissions.can_publish("c", "e", subscribed=False) is not_subscribed


def test_broadcast_is_ignored_in_a_subscribe_token() -> None:
    permissions = resolver({}, {"c": on_event(broadcast=True)})
    assert not permissions.can_publish("c", "e", subscribed=False)
    assert not permissions.can_publish("c", "e", subscribed=True)
    assert not permissions.message_flag("c", "e", "broadcast")


def test_publish_false_in_a_subscribe_token_denies_a_connect_broadcast() -> None:
    permissions = resolver({"c": on_event(broadcast=True)}, {"c": on_event(publish=False)})
    assert not permissions.can_publish("c", "e", subscribed=True)


def test_publish_from_a_subscribe_token_needs_the_subscription() -> None:
    permissions = resolver({}, {"c": on_event(publish=True)})
    assert permissions.can_publish("c", "e", subscribed=True)
    assert not permissions.can_publish("c", "e", subscribed=False)


@pytest.mark.parametrize(
    ("channels", "event", "allowed"),
    [
        ({"c": {"messages": {"*": {"publish": True}}}}, "anything", True),
        ({"c": {"messages": {"chat.*": {"publish": True}}}}, "chat.x", True),
        ({"c": {"messages": {"chat.*": {"publish": True}}}}, "typing", False),
        ({"c.*": {"messages": {"#regex:^e[0-9]$": {"publish": True}}}}, "e1", True),
        (
            {
                "c.*": {"messages": {"*": {"publish": True}}},
                "c.1": {"messages": {"e": {"publish": False}}},
            },
            "e",
            False,
        ),
        (
            {
                "c.*": {"messages": {"*": {"publish": True}}},
                "c.1": {"messages": {"f": {"publish": False}}},
            },
            "e",
            True,
        ),
    ],
)
def test_publish_resolves_over_channel_keys_times_event_keys(
    channels: dict[str, Any], event: str, allowed: bool
) -> None:
    channel = "c.1" if any(key.startswith("c.") for key in channels) else "c"
    assert resolver(channels).can_publish(channel, event, subscribed=True) is allowed


# --- gated directives (§5.7) --------------------------------------------------------------
def test_message_directives_apply_only_when_publishing_is_allowed() -> None:
    # GIVEN echo/emit/store/scheduleBefore without publish
    permissions = resolver(
        {"c": on_event(echo=True, emitPubSubEvent=True, store=60, scheduleBefore=2_000_000_000)}
    )
    # THEN the publish grant carries none of them, while raw resolution still sees them
    assert permissions.publish_grant("c", "e", subscribed=True) == PublishGrant(allowed=False)
    assert permissions.message_flag("c", "e", "echo")
    assert permissions.message_store("c", "e") == 60


def test_publish_grant_carries_resolved_directives() -> None:
    permissions = resolver(
        {"c": on_event(publish=True, echo=True, emitPubSubEvent=True, store=-1, scheduleBefore=9)}
    )
    assert permissions.publish_grant("c", "e", subscribed=True) == PublishGrant(
        allowed=True, echo=True, emit_pub_sub_event=True, store=-1, schedule_before=9
    )


def test_publish_grant_defaults() -> None:
    grant = resolver({"c": on_event(broadcast=True)}).publish_grant("c", "e", subscribed=False)
    assert grant == PublishGrant(allowed=True, echo=False, emit_pub_sub_event=False, store=0)


def test_reaction_echo_needs_no_publish_grant() -> None:
    permissions = resolver({"c": {"messages": {"hotsock.messageReaction": {"echo": True}}}})
    assert permissions.message_flag("c", "hotsock.messageReaction", "echo")


def test_storage_directives_apply_only_when_set_resolves_true() -> None:
    storage = {"k": {"emitPubSubEvent": True, "store": 60, "scheduleBefore": 9, "get": True}}
    permissions = resolver({"c": {"storage": storage}})
    assert not permissions.storage_flag("c", "k", "emitPubSubEvent")
    assert permissions.storage_store("c", "k") is None
    assert permissions.storage_schedule_before("c", "k") is None
    assert permissions.storage_flag("c", "k", "get")


def test_storage_set_without_store_defaults_to_forever() -> None:
    permissions = resolver({"c": {"storage": {"k.*": {"set": True, "emitPubSubEvent": True}}}})
    assert permissions.storage_store("c", "k.1") == -1
    assert permissions.storage_flag("c", "k.1", "emitPubSubEvent")
    assert permissions.storage_schedule_before("c", "k.1") is None


def test_storage_set_false_anywhere_denies() -> None:
    permissions = resolver(
        {"c": {"storage": {"*": {"set": True}}}}, {"*": {"storage": {"k": {"set": False}}}}
    )
    assert not permissions.storage_flag("c", "k", "set")
    assert permissions.storage_flag("c", "j", "set")


@pytest.mark.parametrize("directive", ["observe", "get", "set"])
def test_storage_flags_resolve_per_key(directive: Any) -> None:
    permissions = resolver({"c": {"storage": {"cursor.*": {directive: True}}}})
    assert permissions.storage_flag("c", "cursor.1", directive)
    assert not permissions.storage_flag("c", "settings", directive)


# --- non-boolean directives (Q-PERM-3) ----------------------------------------------------
@pytest.mark.parametrize(
    ("messages", "store"),
    [
        ({"e": {"store": 60}, "*": {"store": -1}}, 60),  # exact key beats patterns
        ({"e*": {"store": 60}, "*": {"store": -1}}, -1),  # -1 over any positive
        ({"e*": {"store": 60}, "*": {"store": 3600}}, 3600),  # else the largest
        ({"e*": {"store": 0}, "*": {"store": 5}}, 5),
        ({"*": {"publish": True}}, 0),  # default: not stored
        ({"e": {"store": 0}, "*": {"store": 5}}, 0),  # exact 0 still beats
    ],
)
def test_message_store_resolution(messages: dict[str, Any], store: int) -> None:
    assert resolver({"c": {"messages": messages}}).message_store("c", "e") == store


def test_exact_means_exact_channel_and_exact_event() -> None:
    # GIVEN an exact event under a pattern channel, and a pattern event under the exact channel
    permissions = resolver(
        {"c*": {"messages": {"e": {"store": 10}}}, "c": {"messages": {"*": {"store": 20}}}}
    )
    # THEN neither is exact: the most permissive wins
    assert permissions.message_store("c", "e") == 20


def test_exact_store_in_both_tokens_takes_the_most_permissive() -> None:
    permissions = resolver({"c": on_event(store=10)}, {"c": on_event(store=-1)})
    assert permissions.message_store("c", "e") == -1


@pytest.mark.parametrize(
    ("storage", "store"),
    [
        ({"k": {"set": True, "store": 60}, "*": {"store": -1}}, 60),
        ({"k*": {"set": True, "store": 60}, "*": {"store": -1}}, -1),
        ({"k*": {"set": True, "store": 60}, "*": {"store": 120}}, 120),
    ],
)
def test_storage_store_resolution(storage: dict[str, Any], store: int) -> None:
    assert resolver({"c": {"storage": storage}}).storage_store("c", "k") == store


@pytest.mark.parametrize(
    ("channels", "start"),
    [
        ({"c": {"historyStart": 100}, "*": {"historyStart": 0}}, 100),  # exact beats
        ({"c*": {"historyStart": 100}, "*": {"historyStart": 50}}, 50),  # smallest
        ({"c": {}}, None),
    ],
)
def test_history_start_resolution(channels: dict[str, Any], start: int | None) -> None:
    assert resolver(channels).history_start("c") == start


@pytest.mark.parametrize(
    ("messages", "before"),
    [
        ({"e": {"publish": True, "scheduleBefore": 10}, "*": {"scheduleBefore": 99}}, 10),
        ({"e*": {"publish": True, "scheduleBefore": 10}, "*": {"scheduleBefore": 99}}, 99),
        ({"e": {"publish": True}}, None),
    ],
)
def test_schedule_before_resolution(messages: dict[str, Any], before: int | None) -> None:
    permissions = resolver({"c": {"messages": messages}})
    assert permissions.message_schedule_before("c", "e") == before
    assert permissions.publish_grant("c", "e", subscribed=True).schedule_before == before


def test_storage_schedule_before_takes_the_latest_pattern() -> None:
    permissions = resolver(
        {"c": {"storage": {"k*": {"set": True, "scheduleBefore": 5}, "*": {"scheduleBefore": 7}}}}
    )
    assert permissions.storage_schedule_before("c", "k") == 7


@pytest.mark.parametrize(
    ("messages", "allowed"),
    [
        ({"e": {"react": True}}, True),
        ({"e": {"react": ["+1"]}, "*": {"react": ["heart"]}}, frozenset({"+1"})),  # exact beats
        ({"e*": {"react": ["+1"]}, "*": {"react": ["heart"]}}, frozenset({"+1", "heart"})),
        ({"e*": {"react": ["+1"]}, "*": {"react": True}}, True),
        ({"e": {"react": True}, "*": {"react": False}}, False),  # false anywhere denies
        ({"e": {"publish": True}}, False),
        ({"e": {"react": []}}, frozenset()),
    ],
)
def test_react_resolution(messages: dict[str, Any], allowed: object) -> None:
    assert resolver({"c": {"messages": messages}}).react_permission("c", "e") == allowed


def test_can_react_checks_the_value() -> None:
    permissions = resolver({"c": {"messages": {"e": {"react": ["+1"]}, "f": {"react": True}}}})
    assert permissions.can_react("c", "e", "+1")
    assert not permissions.can_react("c", "e", "heart")
    assert permissions.can_react("c", "f", "anything")
    assert not permissions.can_react("c", "g", "+1")


# --- aliases (§5.9, Q-PERM-7) -------------------------------------------------------------
def test_alias_resolves_to_its_channel() -> None:
    permissions = resolver({"presence.room.42": {"alias": "room"}})
    assert permissions.resolve_channel("room") == ("presence.room.42", "room")
    assert permissions.resolve_channel("presence.room.42") == ("presence.room.42", "room")


def test_real_channel_names_beat_aliases() -> None:
    permissions = resolver({"a": {"alias": "x"}}, {"x": {"subscribe": True}})
    assert permissions.resolve_channel("x") == ("x", None)


def test_pattern_keys_do_not_make_a_name_real() -> None:
    permissions = resolver({"*": {"subscribe": True}, "a": {"alias": "x"}})
    assert permissions.resolve_channel("x") == ("a", "x")


def test_subscribe_token_alias_is_looked_up_first_and_wins() -> None:
    # GIVEN both tokens use alias "r" for different channels, and both alias channel `b`
    permissions = resolver(
        {"a": {"alias": "r"}, "b": {"alias": "old"}}, {"c": {"alias": "r"}, "b": {"alias": "new"}}
    )
    # THEN the subscribe token's meaning and alias win
    assert permissions.resolve_channel("r") == ("c", "r")
    assert permissions.alias_for("b") == "new"
    assert permissions.resolve_channel("old") == ("b", "new")


def test_unknown_names_are_used_as_given() -> None:
    assert resolver({"a": {"alias": "x"}}).resolve_channel("y") == ("y", None)
    assert resolver({"#regex:x": {}}).resolve_channel("#regex:x") == ("#regex:x", None)


# --- auto-subscribe (§2.2 step 6) ---------------------------------------------------------
def test_auto_subscribe_needs_nothing_but_auto_subscribe() -> None:
    permissions = resolver(
        {
            "a": {"autoSubscribe": True},
            "b": {"autoSubscribe": True, "subscribe": True},
            "c": {"autoSubscribe": False, "subscribe": True},
            "d": {"subscribe": True},
            "e.1": {"autoSubscribe": True},
            "e.*": {"subscribe": False},
        }
    )
    assert permissions.auto_subscribe_channels() == ["a", "b"]
    assert permissions.can_auto_subscribe("a")
    assert not permissions.can_auto_subscribe("e.1")  # a matching pattern says subscribe: false
    assert not permissions.can_auto_subscribe("zzz")


def test_auto_subscribe_is_read_from_the_connect_token_only() -> None:
    assert resolver({}, {"a": {"autoSubscribe": True}}).auto_subscribe_channels() == []


# --- stored entries -----------------------------------------------------------------------
def test_matching_entries_are_wire_form_and_rebuild_the_same_decisions() -> None:
    # GIVEN connect and subscribe layers with keys that do and do not match `room.1`
    permissions = resolver(
        {
            "room.*": {
                "storage": {"cursor.*": {"observe": True}},
                "messages": {"*": {"broadcast": True}},
            },
            "#regex:^room\\.[0-9]$": {"storage": {"cursor.9": {"observe": False}}},
            "other": {"subscribe": True},
        },
        {"room.1": {"alias": "r", "storage": {"settings": {"observe": True}}}},
    )
    # WHEN the entries for room.1 are stored as JSON and read back
    entries = permissions.matching_entries("room.1")
    rebuilt = Permissions.from_entries(**json.loads(json.dumps(entries)))
    # THEN only matching keys were kept, in wire form, and decisions are unchanged
    assert set(entries["connect"]) == {"room.*", "#regex:^room\\.[0-9]$"}
    assert entries["subscribe"] == {
        "room.1": {"alias": "r", "storage": {"settings": {"observe": True}}}
    }
    for key in ("cursor.1", "cursor.9", "settings", "nope"):
        assert rebuilt.storage_flag("room.1", key, "observe") is permissions.storage_flag(
            "room.1", key, "observe"
        )
    assert rebuilt.can_publish("room.1", "x", subscribed=False)
    assert rebuilt.alias_for("room.1") == "r"


def test_entries_from_dynamodb_decimals_are_accepted() -> None:
    stored = {
        "c": {
            "messages": {"e": {"publish": True, "store": Decimal("60")}},
            "historyStart": Decimal(0),
        }
    }
    permissions = Permissions.from_entries(stored)
    assert permissions.message_store("c", "e") == 60
    assert permissions.history_start("c") == 0


def test_from_entries_validates_like_a_token() -> None:
    with pytest.raises(ValueError):
        Permissions.from_entries({"#regex:(?<=a)": {}})


def test_the_protocol_example_token_decides_as_documented() -> None:
    # GIVEN the all-features connect token of PROTOCOL §4.5
    from tests.unit.auth.test_claims import BASE, EXAMPLE

    permissions = Permissions.from_claims(Claims.from_payload({**BASE, **EXAMPLE}))
    # THEN its documented consequences hold
    assert permissions.auto_subscribe_channels() == ["presence.room.42"]
    assert permissions.resolve_channel("room") == ("presence.room.42", "room")
    assert permissions.can_subscribe("org.5") and not permissions.can_subscribe("org.0")
    assert permissions.channel_flag("org.5", "omitFromSubCount")
    assert permissions.can_publish("metrics.u-7", "usage.cpu", subscribed=False)
    assert permissions.publish_grant("metrics.u-7", "usage.cpu", subscribed=False).store == 86400
    assert not permissions.can_publish("presence.room.42", "chat", subscribed=False)
    assert permissions.publish_grant("presence.room.42", "chat", subscribed=True).echo
    assert permissions.can_react("presence.room.42", "chat", "+1")
    assert permissions.storage_store("presence.room.42", "cursor.7") == 3600
    assert permissions.storage_store("presence.room.42", "settings") is None
    assert permissions.storage_flag("presence.room.42", "settings", "observe")
    assert permissions.history_start("presence.room.42") == 0
