"""Non-boolean directives with several matching keys (Q-PERM-3)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.domain.auth.helpers import on_event, resolver


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
