"""Races: handlers run in real threads against moto, whose dispatch is serialised by one lock
(moto is not thread-safe; TOOLING.md), so every DynamoDB request is atomic as in AWS while the
handlers' own read-decide-write logic interleaves freely. Deterministic interleavings use hooks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from moto.core.models import botocore_stubber

from opensock.jsoncodec import size_bytes
from tests.reliability.drive import ws, ws_raw
from tests.reliability.kit import TokenKit, decode, table_items
from tests.support.calls import subscribe
from tests.support.channels import open_connection
from tests.support.events import ws_event
from tests.support.stack import Stack

T = TypeVar("T")
AWS_LOCK = threading.RLock()
# Concurrent invocations in one process share Powertools' Metrics singleton: one flush can
# empty another's metrics. Lambda runs one invocation per container, so this is test-only.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


@pytest.fixture
def serialized_moto(rel_stack: Stack) -> Iterator[Stack]:
    """moto's request dispatch under one lock (as tools/local/aws.py does for the local stack)."""
    original = type(botocore_stubber).process_request.__get__(botocore_stubber)

    def locked(request: Any) -> Any:
        with AWS_LOCK:
            return original(request)

    botocore_stubber.process_request = locked  # type: ignore[method-assign]
    try:
        yield rel_stack
    finally:
        del botocore_stubber.process_request


def concurrently(tasks: list[Callable[[], T]]) -> list[T]:
    """Start every task at the same instant (a barrier), each on its own thread."""
    barrier = threading.Barrier(len(tasks))

    def start(task: Callable[[], T]) -> T:
        barrier.wait()
        return task()

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(start, tasks))


def keys_of(stack: Stack) -> list[tuple[str, str]]:
    return [(item["pk"], item["sk"]) for item in table_items(stack)]


# --- single-use tokens ----------------------------------------------------------------------
def test_a_single_use_connect_token_used_concurrently_opens_one_connection(
    serialized_moto: Stack, kit: TokenKit
) -> None:
    # GIVEN one single-use token presented by 12 sockets at once
    token = kit.rs256(kit.good("connect", singleUse=True, jti="race-connect"))

    def connect(i: int) -> Callable[[], int]:
        event = ws_event("connect", connection_id=f"Race{i:02d}Conn=", query={"token": token})
        return lambda: ws_raw(serialized_moto, "connect", event)["statusCode"]

    statuses = concurrently([connect(i) for i in range(12)])
    # THEN exactly one wins, the others are refused as token defects
    assert sorted(statuses) == [200] + [401] * 11
    connections = [k for k in keys_of(serialized_moto) if k[1] == "conn"]
    assert len(connections) == 1
    assert len(serialized_moto.invoker.calls) == 1  # type: ignore[attr-defined]


def test_a_single_use_subscribe_token_used_concurrently_subscribes_once(
    serialized_moto: Stack, kit: TokenKit
) -> None:
    # GIVEN 8 connections of the same uid, each presenting the same single-use uid-bound token
    payload = kit.good("subscribe", singleUse=True, jti="race-sub")
    del payload["connectionId"]
    token = kit.rs256(payload)
    for i in range(8):
        open_connection(serialized_moto, f"Sub{i}Conn=", {}, uid=payload["uid"])
    frame = {"event": "hotsock.subscribe", "channel": "room", "data": {"token": token}}

    def attempt(i: int) -> Callable[[], Any]:
        return lambda: ws(serialized_moto, "subscribe", frame, cid=f"Sub{i}Conn=")[1]

    answers = concurrently([attempt(i) for i in range(8)])
    # THEN exactly one subscription exists; every other attempt got INVALID_SUBSCRIBE_TOKEN
    assert answers.count(None) == 1
    codes = [a["error"]["code"] for a in answers if a is not None]
    assert codes == ["INVALID_SUBSCRIBE_TOKEN"] * 7
    subs = [k for k in keys_of(serialized_moto) if k[1].startswith("sub#")]
    assert len(subs) == 1


# --- presence capacity ----------------------------------------------------------------------
def test_concurrent_joins_at_the_presence_cap_never_overfill(serialized_moto: Stack) -> None:
    # GIVEN a presence channel whose cap fits exactly 4 of the 12 members joining at once
    umd = {"n": "x" * 100}
    member_bytes = size_bytes({"uid": "m00", "umd": umd})
    serialized_moto.members.limit = 4 * member_bytes + member_bytes // 2
    grants = {"presence.cap": {"subscribe": True}}
    connections = [
        open_connection(serialized_moto, f"Cap{i:02d}Conn=", grants, uid=f"m{i:02d}", umd=umd)
        for i in range(12)
    ]

    def join(connection: Any) -> Callable[[], str]:
        def run() -> str:
            event = ws_event(
                "subscribe",
                connection_id=connection.connection_id,
                body={"event": "hotsock.subscribe", "channel": "presence.cap"},
            )
            frame = decode(ws_raw(serialized_moto, "subscribe", event))
            return "joined" if frame is None else str(frame["error"]["code"])

        return run

    outcomes = concurrently([join(c) for c in connections])
    # THEN exactly 4 joined and 8 were told the channel is full
    assert sorted(outcomes) == ["PRESENCE_CHANNEL_CAPACITY_REACHED"] * 8 + ["joined"] * 4
    items = table_items(serialized_moto)
    members = [i for i in items if i["sk"].startswith("member#")]
    subs = [i for i in items if i["sk"].startswith("sub#")]
    meta = next(i for i in items if i["sk"] == "meta")
    # AND the stored accounting matches what is really there (no orphan, no overfill)
    assert len(members) == len(subs) == 4
    assert int(meta["presenceBytes"]) == sum(int(m["bytes"]) for m in members)
    assert int(meta["presenceBytes"]) <= serialized_moto.members.limit
    assert int(meta["subscriptionsCount"]) == 4


# --- subscribe racing disconnect ------------------------------------------------------------
def test_subscribe_interleaved_with_disconnect_leaves_no_orphan(
    serialized_moto: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a subscribe whose connection disconnects right after the subscribe read it
    stack = serialized_moto
    open_connection(stack, "Gone1Conn=", {"room": {"subscribe": True}}, uid="g")
    real_read = stack.connections.get
    fired: list[bool] = []

    def read_then_disconnect(connection_id: str) -> Any:
        found = real_read(connection_id)
        if not fired:
            fired.append(True)
            ws_raw(stack, "disconnect", ws_event("disconnect", connection_id=connection_id))
        return found

    monkeypatch.setattr(stack.connections, "get", read_then_disconnect)
    body = {"event": "hotsock.subscribe", "channel": "room"}
    # WHEN the subscribe goes on
    ws(stack, "subscribe", body, cid="Gone1Conn=")
    # THEN the subscription it wrote was undone: nothing of the connection is left
    assert fired
    leftovers = [k for k in keys_of(stack) if "Gone1Conn=" in k[0] + k[1]]
    assert leftovers == []
    assert stack.gateway.frames.get("Gone1Conn=", []) == []  # type: ignore[attr-defined]


def test_subscribe_and_disconnect_in_parallel_leave_no_orphan(serialized_moto: Stack) -> None:
    stack = serialized_moto
    grants = {"room": {"subscribe": True}, "presence.room": {"subscribe": True}}
    rounds = 10
    for i in range(rounds):
        open_connection(stack, f"Par{i:02d}Conn=", grants, uid=f"p{i:02d}")

    def subscribe_task(cid: str, channel: str) -> Callable[[], Any]:
        body = {"event": "hotsock.subscribe", "channel": channel}
        return lambda: ws(stack, "subscribe", body, cid=cid)

    def disconnect_task(cid: str) -> Callable[[], Any]:
        return lambda: ws_raw(stack, "disconnect", ws_event("disconnect", connection_id=cid))

    for i in range(rounds):
        cid = f"Par{i:02d}Conn="
        concurrently(
            [
                subscribe_task(cid, "room"),
                subscribe_task(cid, "presence.room"),
                disconnect_task(cid),
            ]
        )
    items = table_items(stack)
    assert [i for i in items if i["sk"].startswith(("sub#", "member#")) or i["sk"] == "conn"] == []
    for meta in (i for i in items if i["sk"] == "meta"):
        assert int(meta.get("subscriptionsCount", 0)) == 0
        assert int(meta.get("presenceBytes", 0)) == 0


# --- storage writers ------------------------------------------------------------------------
def test_fifty_concurrent_writers_to_one_key(serialized_moto: Stack) -> None:
    # GIVEN three observers of room/k and 50 writers, all at once
    stack = serialized_moto
    storage = {"k": {"set": True, "observe": True, "emitPubSubEvent": True}}
    grants = {"room": {"subscribe": True, "storage": storage}}
    for i in range(3):
        subscribe(open_connection(stack, f"Obs{i}Conn=", grants, uid=f"o{i}"), "room", stack)
    for i in range(50):
        open_connection(stack, f"W{i:02d}Conn=", grants, uid=f"w{i:02d}")

    def write(i: int) -> Callable[[], Any]:
        body = {"event": "hotsock.channelStorageSet", "channel": "room", "key": "k", "data": i}
        return lambda: ws(stack, "channel_storage_set", body, cid=f"W{i:02d}Conn=")[1]

    answers = concurrently([write(i) for i in range(50)])
    # THEN every write was accepted
    assert answers == [None] * 50
    entry = next(i for i in table_items(stack) if i["sk"] == "storage#k")
    final = int(entry["data"])
    assert final in range(50)
    # AND every observer saw every value at least once and ends on the final one
    for i in range(3):
        seen = [
            f["data"]
            for f in stack.gateway.frames[f"Obs{i}Conn="]  # type: ignore[attr-defined]
            if f["event"] == "hotsock.channelStorageUpdated"
        ]
        assert set(seen) == set(range(50))
        assert seen[-1] == final
    # AND pub/sub got exactly one event per write (none lost, none duplicated)
    events = stack.pubsub.of_type("hotsock.channelStorageUpdated")  # type: ignore[attr-defined]
    assert sorted(e["data"]["data"] for e in events) == list(range(50))
