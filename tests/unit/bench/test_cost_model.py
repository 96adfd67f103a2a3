"""The bench's arithmetic: item sizes, request units, and dollars of a known usage."""

from __future__ import annotations

import pytest

from bench import prices
from bench.cost import Invocation, Usage, cost_of, per_million, units_of
from bench.meter import write_cost
from bench.sizes import item_size, read_units, value_size, write_units


def test_item_size_follows_dynamodb_rules() -> None:
    # GIVEN an item with a string, a number, a boolean, a null, a list and a map
    item = {
        "pk": {"S": "chan#room"},  # 2 + 9
        "n": {"N": "12345"},  # 1 + (3 + 1)
        "ok": {"BOOL": True},  # 2 + 1
        "x": {"NULL": True},  # 1 + 1
        "l": {"L": [{"S": "ab"}]},  # 1 + 3 + 1 + 2
        "m": {"M": {"k": {"S": "v"}}},  # 1 + 3 + 1 + 1 + 1
    }
    # THEN its size is the sum of names and values
    assert item_size(item) == 11 + 5 + 3 + 2 + 7 + 7
    assert value_size({"N": "-0.00120"}) == 2  # "12": one byte per two digits + 1
    assert item_size(None) == 0


@pytest.mark.parametrize(
    ("size", "consistent", "transactional", "expected"),
    [
        (0, False, False, 0.5),
        (4096, True, False, 1.0),
        (4097, True, False, 2.0),
        (10_000, False, False, 1.5),
        (100, True, True, 2.0),
    ],
)
def test_read_units(size: int, consistent: bool, transactional: bool, expected: float) -> None:
    assert read_units(size, consistent=consistent, transactional=transactional) == expected


def test_write_units() -> None:
    assert write_units(0) == 1.0
    assert write_units(1024) == 1.0
    assert write_units(1025) == 2.0
    assert write_units(300, transactional=True) == 2.0


def test_a_new_indexed_item_pays_the_index_write_too() -> None:
    # GIVEN a put of a subscription item that carries gsi1 keys, onto nothing
    item = {"pk": {"S": "chan#c"}, "sk": {"S": "sub#A"}, "gsi1pk": {"S": "conn#A"},
            "gsi1sk": {"S": "sub#c"}}  # fmt: skip
    target = {"table": "t", "key": {}, "item": item}
    # WHEN it is costed with one GSI on gsi1pk/gsi1sk
    import bench.meter as meter

    original = meter._index_keys
    meter._index_keys = lambda table: [(("gsi1pk", "gsi1sk"), None)]
    try:
        assert write_cost(target, None, item, ok=True) == (2.0, 1.0)
        # a failed conditional write still pays the base write, never the index
        assert write_cost(target, item, item, ok=False) == (1.0, 0.0)
        # removing the item removes its index entry
        assert write_cost({"table": "t", "key": {}}, item, None, ok=True) == (2.0, 1.0)
    finally:
        meter._index_keys = original


def test_a_keys_only_index_is_written_only_when_its_keys_change() -> None:
    # GIVEN a connection item in a KEYS_ONLY index on gsi2pk/expiresAt
    import bench.meter as meter

    item = {"pk": {"S": "conn#A"}, "sk": {"S": "conn"}, "gsi2pk": {"S": "sweep#1"},
            "expiresAt": {"N": "100"}, "umd": {"S": "x" * 1500}}  # fmt: skip
    recorded = {**item, "channels": {"SS": ["room"]}}
    target = {"table": "t", "key": {}}
    original = meter._index_keys
    meter._index_keys = lambda table: [
        (("gsi2pk", "expiresAt"), ("pk", "sk", "gsi2pk", "expiresAt"))
    ]
    try:
        # WHEN an update adds an attribute the index does not hold: the item's units only
        assert write_cost(target, item, recorded, ok=True) == (2.0, 0.0)
        # WHEN its index key changes: the old entry out, the new one in, each a small entry
        moved = {**recorded, "expiresAt": {"N": "200"}}
        assert write_cost(target, recorded, moved, ok=True) == (4.0, 2.0)
        # WHEN the item is put new: one small index entry
        assert write_cost(target, None, item, ok=True) == (3.0, 1.0)
    finally:
        meter._index_keys = original


def test_known_sequence_of_requests_gives_the_expected_dollars() -> None:
    # GIVEN one publish: a 100 ms invocation at 1024 MB, a 0.5 RRU query, one WRU,
    # one frame in, 100 posts, two SQS units, one SNS unit, one scheduler fire, 1 GB of logs
    usage = Usage(
        invocations=[Invocation("publish", 1024, wall_ms=99.2)],
        rru=0.5,
        wru=1.0,
        messages_in=1,
        messages_out=100,
        sqs_units=2,
        sns_units=1,
        scheduler_invocations=1,
        log_bytes=1024**3,
    )
    # WHEN it is priced
    cost = cost_of(usage)
    # THEN every component uses bench/prices.py
    assert cost.api_gateway == pytest.approx(101 * 1e-6)
    assert cost.lambda_requests == pytest.approx(0.2e-6)
    assert cost.lambda_duration == pytest.approx(0.1 * prices.LAMBDA_GB_SECOND_ARM)
    assert cost.dynamodb == pytest.approx(0.5 * 0.125e-6 + 0.625e-6)
    assert cost.queues_and_events == pytest.approx(2 * 0.5e-6 + 0.5e-6 + 1e-6)
    assert cost.logs == pytest.approx(0.50)
    assert per_million(cost.total - cost.logs) == pytest.approx(
        101 + 0.2 + 0.1 * 13.3334 + 0.0625 + 0.625 + 2.5
    )
    assert cost.overhead == pytest.approx(cost.total - cost.api_gateway)


def test_billed_duration_rounds_up_to_the_millisecond() -> None:
    assert Invocation("f", 512, wall_ms=0.2).billed_ms == 1
    assert Invocation("f", 512, wall_ms=3.01).billed_ms == 4
    assert Invocation("f", 512, wall_ms=1000).gb_seconds == pytest.approx(0.5)


def test_units_of_payloads() -> None:
    assert units_of(0, 64 * 1024) == 1
    assert units_of(64 * 1024 + 1, 64 * 1024) == 2


def test_usages_add_up() -> None:
    first = Usage(rru=1, messages_out=2)
    first.requests["dynamodb.Query"] += 1
    second = Usage(rru=0.5, wru=3, posts=4)
    second.requests["dynamodb.Query"] += 2
    first.add(second)
    assert (first.rru, first.wru, first.posts, first.messages_out) == (1.5, 3, 4, 2)
    assert first.requests["dynamodb.Query"] == 3
