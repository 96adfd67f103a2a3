"""Channel-storage fakes: an in-memory repository with DynamoDB's semantics, and observers."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from opensock.domain.storage_model import StorageEntry, WriteResult, live_version
from opensock.domain.storage_values import canonical


class FakeStorageRepository:
    """The StorageRepository contract in memory; counts calls per operation.

    `before_write` runs inside each put/delete before the condition is evaluated, so a test
    can interleave another writer at exactly that point.
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], StorageEntry] = {}
        self.calls: dict[str, int] = defaultdict(int)
        self.before_write: Callable[[], None] | None = None
        self._lock = threading.RLock()

    def _hook(self) -> None:
        hook, self.before_write = self.before_write, None
        if hook is not None:
            hook()

    def put(self, entry: StorageEntry, now: float, expected: int | None = None) -> WriteResult:
        self._hook()
        with self._lock:
            self.calls["put"] += 1
            old = self.items.get((entry.channel, entry.key))
            if expected is not None and live_version(old, now) != expected:
                return WriteResult(changed=False, previous=old)
            live = old is not None and old.is_live(now)
            if (
                live
                and old is not None
                and old.counter == entry.counter
                and canonical(old.data) == canonical(entry.data)
            ):
                return WriteResult(changed=False, previous=old)
            version = (old.version if old else 0) + 1
            self.items[(entry.channel, entry.key)] = replace(entry, version=version)
            return WriteResult(changed=True, previous=old)

    def delete(
        self, channel: str, key: str, now: float, expected: int | None = None
    ) -> WriteResult:
        self._hook()
        with self._lock:
            self.calls["delete"] += 1
            old = self.items.get((channel, key))
            if old is None or not old.is_live(now):
                return WriteResult(changed=False, previous=old)
            if expected is not None and old.version != expected:
                return WriteResult(changed=False, previous=old)
            del self.items[(channel, key)]
            return WriteResult(changed=True, previous=old)

    def delete_expired(self, channel: str, key: str, revision: str, now: float) -> WriteResult:
        with self._lock:
            old = self.items.get((channel, key))
            expired = old is not None and old.expires_at is not None and old.expires_at <= now
            if old is None or old.revision != revision or not expired:
                return WriteResult(changed=False, previous=old)
            del self.items[(channel, key)]
            return WriteResult(changed=True, previous=old)

    def add(self, entry: StorageEntry, by: int, bound: int | None, now: float) -> WriteResult:
        self._hook()
        with self._lock:
            self.calls["add"] += 1
            old = self.items.get((entry.channel, entry.key))
            if old is None or not old.is_live(now) or not old.counter:
                return WriteResult(changed=False, previous=old)
            count = int(str(old.data))
            if bound is not None and (count > bound if by > 0 else count < bound):
                return WriteResult(changed=False, previous=old)
            new = replace(entry, data=count + by, counter=True, version=old.version + 1)
            self.items[(entry.channel, entry.key)] = new
            return WriteResult(changed=True, current=new)

    def get(self, channel: str, key: str, now: float) -> StorageEntry | None:
        with self._lock:
            self.calls["get"] += 1
            entry = self.items.get((channel, key))
            return entry if entry is not None and entry.is_live(now) else None

    def entries(self, channel: str, now: float, after: str | None = None) -> Iterator[StorageEntry]:
        self.calls["query"] += 1
        with self._lock:
            found = [e for (c, _), e in self.items.items() if c == channel and e.is_live(now)]
        found.sort(key=lambda entry: entry.key.encode("utf-8"))
        floor = None if after is None else after.encode("utf-8")
        return iter([e for e in found if floor is None or e.key.encode("utf-8") > floor])

    def get_many(self, channel: str, keys: Sequence[str], now: float) -> list[StorageEntry]:
        self.calls["batch_get"] += 1
        wanted = set(keys)
        return [e for e in self.entries(channel, now) if e.key in wanted]


class RecordingObservers:
    """ObserverDelivery fake: every observed key has `observers` subscribers, frames recorded."""

    def __init__(self, observers: int = 1) -> None:
        self.observers = observers
        self.frames: list[dict[str, Any]] = []
        self.addressed: list[tuple[str, str]] = []
        """The (channel, key) of every delivery, observed or not."""
        self.before_deliver: Callable[[], None] | None = None
        """Runs once, before the next frame lands: another writer can overtake it there."""
        self._lock = threading.Lock()

    def deliver_to_observers(self, channel: str, key: str, frame: dict[str, Any]) -> int:
        self.addressed.append((channel, key))
        if not self.observers:
            return 0
        hook, self.before_deliver = self.before_deliver, None
        if hook is not None:
            hook()
        with self._lock:
            self.frames.append(frame)
        return self.observers

    def data(self) -> list[Any]:
        return [frame["data"] for frame in self.frames]


# --- handler-level helpers (moto-backed Stack) --------------------------------------------


class FakeScheduler:
    """Records schedules; tests run the captured payload through ScheduledFunction's entry."""

    def __init__(self) -> None:
        self.schedules: list[tuple[Any, str, dict[str, Any]]] = []

    def schedule(self, at_utc: Any, timezone: str, payload: dict[str, Any]) -> str:
        self.schedules.append((at_utc, timezone, payload))
        return f"arn:aws:scheduler:us-east-1:123456789012:schedule/test/{len(self.schedules)}"

    def cancel_schedule(self, arn: str) -> bool:
        """Cancels (removes) the schedule; False when it is not there (fired or cancelled)."""
        index = int(arn.rsplit("/", 1)[-1]) - 1
        if index >= len(self.schedules) or self.schedules[index] is None:
            return False
        self.schedules[index] = None  # type: ignore[call-overload]
        return True


def open_connection(
    stack: Any,
    connection_id: str,
    channels: dict[str, Any],
    *,
    uid: str | None = None,
    umd: Any = None,
) -> Any:
    """Persist a connection whose connect token granted `channels` (wire form)."""
    from opensock.domain.model import Connection

    now = stack.clock()
    connection = Connection(
        connection_id=connection_id,
        uid=uid,
        umd=umd,
        grants=channels,
        secret="s3cret",
        connected_at=now,
        expires_at=int(now) + 7200,
        source_ip="203.0.113.9",
        user_agent="pytest",
    )
    stack.connections.put(connection)
    return connection


def subscribe(
    stack: Any, connection: Any, channel: str, token: dict[str, Any] | None = None
) -> Any:
    """Persist a subscription of `connection` to `channel` (no frames: the channels feature's)."""
    from opensock.domain.auth.permissions import Permissions
    from opensock.domain.model import Subscription

    layers = Permissions.from_entries(connection.grants, token or {}).matching_entries(channel)
    subscription = Subscription(
        channel=channel,
        connection_id=connection.connection_id,
        uid=connection.uid,
        umd=connection.umd,
        created_at=stack.clock(),
        expires_at=connection.expires_at,
        connect_grants=layers["connect"],
        token_grants=layers["subscribe"],
    )
    stack.subscriptions.put(subscription)
    return subscription
