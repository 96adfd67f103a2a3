"""Aliases (§5.9, Q-PERM-7), auto-subscribe (§2.2 step 6) and stored matching entries."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from opensock.domain.auth.permissions import Permissions
from tests.unit.domain.auth.helpers import EXAMPLE, grants, resolver


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
    permissions = Permissions.from_claims(grants(EXAMPLE["channels"]))
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
