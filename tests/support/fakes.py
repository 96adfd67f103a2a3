"""Fakes for the ports whose AWS backends moto cannot play (TOOLING.md)."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from opensock.domain.envelopes import PubSubEvent
from opensock.domain.timers import Timer
from opensock.errors import ConnectionGoneError


class FakeLambdaContext:
    function_name = "opensock-test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:opensock-test"
    memory_limit_in_mb = 512
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name = "/aws/lambda/opensock-test"
    log_stream_name = "2026/11/28/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


class FakeConnections:
    """A management API: records every frame per connection; `gone` ids answer 410."""

    def __init__(self) -> None:
        self.frames: dict[str, list[Any]] = defaultdict(list)
        self.gone: set[str] = set()
        self.flaky_gone: set[str] = set()
        """Answer 410 to posts yet exist on `GET @connections` (API Gateway's false 410s)."""
        self.closed: list[str] = []
        self.gone_before_open: dict[str, int] = {}
        self.active: dict[str, float] = {}
        """`lastActiveAt` per connection (epoch seconds) for `GET @connections/{id}`."""
        self._lock = threading.Lock()

    def post(self, connection_id: str, frame: Any) -> None:
        with self._lock:
            pending = self.gone_before_open.get(connection_id, 0)
            if pending:
                self.gone_before_open[connection_id] = pending - 1
                raise ConnectionGoneError(connection_id)
            if connection_id in self.gone or connection_id in self.flaky_gone:
                raise ConnectionGoneError(connection_id)
            if isinstance(frame, bytes | str):
                frame = json.loads(frame)
            self.frames[connection_id].append(frame)

    def close(self, connection_id: str) -> None:
        with self._lock:
            self.closed.append(connection_id)
            self.gone.add(connection_id)

    def is_connected(self, connection_id: str) -> bool:
        with self._lock:
            return connection_id not in self.gone

    def last_active(self, connection_id: str) -> float | None:
        with self._lock:
            if connection_id in self.gone:
                return None
            return self.active.get(connection_id, 0.0)

    def events(self, connection_id: str) -> list[str]:
        return [frame["event"] for frame in self.frames[connection_id]]


class FakePublisher:
    """Records pub/sub envelopes (tests of the SNS/EventBridge adapter use moto instead)."""

    def __init__(self, enabled: bool = True) -> None:
        self._enabled = enabled
        self.envelopes: list[dict[str, Any]] = []

    @property
    def enabled(self) -> bool:
        return self._enabled

    def emit(self, events: Sequence[PubSubEvent]) -> None:
        self.envelopes.extend(event.envelope() for event in events)

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.envelopes if e["type"] == event_type]


class FakeInvoker:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke_async(self, function_name: str, payload: dict[str, Any]) -> None:
        self.calls.append((function_name, payload))


class FakeTimers:
    """The liveness timers port: records started timers; `due(now)` pops those due by then."""

    def __init__(self) -> None:
        self.started: list[Timer] = []

    def start(self, timers: Sequence[Timer], now: float) -> None:
        self.started.extend(timers)

    def due(self, now: float) -> list[Timer]:
        ready = [t for t in self.started if t.due <= now]
        self.started = [t for t in self.started if t.due > now]
        return ready

    @staticmethod
    def as_event(timers: Sequence[Timer]) -> dict[str, Any]:
        """An SQS batch of LivenessQueue messages, as LivenessFunction receives it."""
        return {
            "Records": [
                {"messageId": str(i), "body": json.dumps(t.to_json())} for i, t in enumerate(timers)
            ]
        }


class FrozenClock:
    def __init__(self, now: float = 1_767_607_200.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
