"""In-memory ports for the use-case unit tests (the moto-backed ones are integration tests)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from opensock.domain.lanes import LaneState, Recipient
from opensock.domain.model import Connection, Subscription
from opensock.jsoncodec import JsonValue


class MemoryConnections:
    """ConnectionRepository in memory."""

    def __init__(self) -> None:
        self.items: dict[str, Connection] = {}

    def put(self, connection: Connection) -> None:
        self.items[connection.connection_id] = connection

    def get(self, connection_id: str) -> Connection | None:
        return self.items.get(connection_id)

    def delete(self, connection_id: str) -> Connection | None:
        return self.items.pop(connection_id, None)

    def set_umd(self, connection_id: str, umd: JsonValue) -> Connection | None:
        return self.items.get(connection_id)


class MemorySubscribers:
    """The read side of SubscriptionRepository that fan-out uses."""

    def __init__(self, subscribers: dict[str, list[Subscription]] | None = None) -> None:
        self.subscribers = subscribers or {}
        self.queries = 0

    def recipients(
        self, channel: str, stored_id: str | None = None, *, from_lane: int | None = None
    ) -> list[Recipient]:
        self.queries += 1
        found = [
            Recipient(sub.connection_id, sub.lane) for sub in self.subscribers.get(channel, [])
        ]
        if from_lane is None:
            return found
        return [r for r in found if r.lane is not None and r.lane >= from_lane]

    def direct_recipients(
        self, channel: str, below_lane: int, stored_id: str | None = None
    ) -> tuple[list[Recipient], bool]:
        found = self.recipients(channel, stored_id)
        direct = [r for r in found if r.lane is None or r.lane < below_lane]
        return direct, len(direct) < len(found)

    def move_to_lane(self, channel: str, connection_id: str, lane: int) -> None:
        self.subscribers[channel] = [
            replace(sub, lane=lane) if sub.connection_id == connection_id else sub
            for sub in self.subscribers.get(channel, [])
        ]

    def list_subscribers(self, channel: str) -> Iterator[Subscription]:
        self.queries += 1
        return iter(self.subscribers.get(channel, []))


class RecordingQueue:
    """FanoutQueue: keeps the lanes it was given."""

    def __init__(self) -> None:
        self.batches: list[Any] = []
        self.plans: list[Any] = []
        self.released: list[str] = []
        self.retries: list[tuple[str, int]] = []

    def send(self, batches: Iterable[Any]) -> None:
        self.batches.extend(batches)

    def plan(self, job: Any) -> None:
        self.plans.append(job)

    def release(self, receipt_handle: str) -> None:
        self.released.append(receipt_handle)

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        self.retries.append((receipt_handle, seconds))


def subscription(
    channel: str, connection_id: str, lane: int | None = None, **grants: Any
) -> Subscription:
    return Subscription(
        channel=channel,
        connection_id=connection_id,
        uid=connection_id.lower(),
        umd=None,
        created_at=0.0,
        expires_at=2_000_000_000,
        connect_grants=grants.get("connect", {}),
        lane=lane,
    )


class MemoryLanes:
    """LaneStates in memory; `calls` lists the writes in order."""

    def __init__(self) -> None:
        self.states: dict[tuple[str, int], LaneState] = {}
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def get(self, channel: str, lane: int) -> LaneState:
        return self.states.get((channel, lane), LaneState())

    def divert(self, channel: str, lane: int, connection_ids: Sequence[str], until: float) -> None:
        state = self.get(channel, lane)
        busy = {**state.busy, **dict.fromkeys(connection_ids, until)}
        diverted = state.diverted | set(connection_ids)
        self.states[channel, lane] = replace(state, diverted=diverted, busy=busy)
        self.calls.append(("divert", tuple(connection_ids)))

    def settle(self, channel: str, lane: int, connection_ids: Sequence[str]) -> None:
        state = self.get(channel, lane)
        busy = {cid: t for cid, t in state.busy.items() if cid not in connection_ids}
        self.states[channel, lane] = replace(state, busy=busy)
        self.calls.append(("settle", tuple(connection_ids)))

    def forward(self, channel: str, lane: int, connection_ids: Sequence[str]) -> None:
        state = self.get(channel, lane)
        forwarded = dict(state.forwarded)
        for cid in connection_ids:
            forwarded[cid] = forwarded.get(cid, 0) + 1
        self.states[channel, lane] = replace(state, forwarded=forwarded)
        self.calls.append(("forward", tuple(connection_ids)))

    def finish(self, channel: str, lane: int, connection_id: str) -> None:
        state = self.get(channel, lane)
        done = {**state.done, connection_id: state.done.get(connection_id, 0) + 1}
        self.states[channel, lane] = replace(state, done=done)
        self.calls.append(("finish", (connection_id,)))

    def restore(self, channel: str, lane: int, forwarded: Mapping[str, int]) -> bool:
        state = self.get(channel, lane)
        if any(
            state.forwarded.get(c, 0) != n or state.done.get(c, 0) != n
            for c, n in forwarded.items()
        ):
            return False
        self.states[channel, lane] = replace(
            state,
            diverted=state.diverted - set(forwarded),
            forwarded={c: n for c, n in state.forwarded.items() if c not in forwarded},
            done={c: n for c, n in state.done.items() if c not in forwarded},
        )
        self.calls.append(("restore", tuple(forwarded)))
        return True
