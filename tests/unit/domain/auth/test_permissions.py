"""Permissions: §5.4 booleans, connect + subscribe layering, the §5.6 publish matrix and the
§5.7 gated directives."""

from __future__ import annotations

from typing import Any

import pytest

from opensock.domain.auth.permissions import PublishGrant
from tests.unit.domain.auth.helpers import on_event, resolver


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
