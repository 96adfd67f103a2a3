"""Message ids, history windows and reaction requests (domain/history.py, domain/reactions.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opensock.domain.messages import new_message_id
from opensock.domain.model import Member, Origin
from opensock.domain.reaction_rules import Reaction, aggregates, listed, parse_reaction
from opensock.domain.stored_messages import (
    HIGHEST_ID,
    check_message_id,
    highest_id,
    id_millis,
    lowest_id,
    next_id,
    previous_id,
)
from opensock.errors import InvalidMessageError, InvalidReactionError

MID = "01KE6Y1Z7V4T2H3K5M8N9P0QRS"


@given(st.integers(min_value=0, max_value=2**48 - 1))
def test_window_bounds_enclose_every_id_of_their_millisecond(millis: int) -> None:
    low, high = lowest_id(millis), highest_id(millis)
    assert id_millis(low) == id_millis(high) == millis
    assert low < high <= HIGHEST_ID
    assert next_id(low) > low and previous_id(next_id(low)) == low


def test_ids_follow_the_clock_and_increase_within_a_millisecond() -> None:
    ids = [new_message_id(1_767_607_200.5) for _ in range(50)]
    assert ids == sorted(ids) and len(set(ids)) == 50
    assert {id_millis(i) for i in ids} == {1_767_607_200_500}
    assert check_message_id(MID.lower()) == MID


@pytest.mark.parametrize("bad", ["", "x" * 26, "8" + "0" * 25, MID[:-1], None, 1, [MID]])
def test_malformed_ids_are_invalid_messages(bad: Any) -> None:
    with pytest.raises(InvalidMessageError):
        check_message_id(bad)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (None, InvalidReactionError),
        ({"messageId": "no", "reaction": "+1", "action": "add"}, InvalidMessageError),
        ({"messageId": MID, "reaction": " ", "action": "add"}, InvalidReactionError),
        ({"messageId": MID, "reaction": "é" * 51, "action": "add"}, InvalidReactionError),
        ({"messageId": MID, "reaction": "#1", "action": "add"}, InvalidReactionError),
        ({"messageId": MID, "reaction": "+1", "action": "ADD"}, InvalidReactionError),
    ],
)
def test_bad_reaction_requests(data: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_reaction(data)


def test_reaction_values_are_counted_in_bytes_and_servers_need_a_uid() -> None:
    assert parse_reaction({"messageId": MID, "reaction": "é" * 50, "action": "remove"}).action == (
        "remove"
    )
    with pytest.raises(InvalidReactionError):
        parse_reaction({"messageId": MID, "reaction": "+1", "action": "add"}, server=True)
    request = parse_reaction(
        {"messageId": MID, "reaction": "+1", "action": "add", "uid": "mod", "umd": {"a": 1}},
        server=True,
    )
    assert request.member == Member("mod", {"a": 1})


def test_aggregates_keep_creation_order_and_leave_out_null_umd() -> None:
    def reaction(n: int, value: str, uid: str, umd: Any = None) -> Reaction:
        rid = lowest_id(1000 + n)
        return Reaction(rid, "c", MID, value, Member(uid, umd), 0.0, None, Origin("server.lambda"))

    found = [reaction(2, "+1", "b"), reaction(1, "heart", "a", {"n": 1}), reaction(3, "+1", "c")]
    assert list(aggregates(found, expand=False)) == ["heart", "+1"]
    assert aggregates(found, expand=True)["+1"] == {
        "count": 2,
        "items": [{"uid": "b"}, {"uid": "c"}],
    }
    assert listed(found)[0] == {"reaction": "heart", "uid": "a", "umd": {"n": 1}}
