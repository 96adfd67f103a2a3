"""One moto world for the bench: the template's table and queue, `Stack` on fakes, a meter.

The handlers run in-process exactly as Lambda calls them (`lambda_handler(event, context,
app=...)`), each timed (wall and CPU) and billed at its template MemorySize. moto plays
DynamoDB, SQS, SNS and Scheduler; the management API is a counting fake (optionally 25 ms per
post), and asynchronous Lambda invokes and schedules are captured so the bench can run their
targets as Lambda would.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "layers" / "shared" / "python"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.support.env import TEST_ENV  # noqa: E402

ORIGINAL_ENV = dict(os.environ)
"""The environment before the bench applied the test settings (for subprocesses)."""
os.environ.update(TEST_ENV)

from moto import mock_aws  # noqa: E402

from bench.cost import Invocation, Usage  # noqa: E402
from bench.meter import Meter  # noqa: E402
from bench.template import memory_of, platform_log_bytes  # noqa: E402
from tests.support.fakes import FakeConnections, FakeInvoker, FakeLambdaContext  # noqa: E402

QUEUE_NAME = "opensock-bench-fanout.fifo"
TWO_WAY = "MESSAGE"


class CountingStream:
    """Stands in for the functions' stdout: counts the bytes (CloudWatch Logs), keeps none."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter

    def write(self, text: str) -> int:
        self.meter.count_log(len(text.encode("utf-8")))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class BenchConnections(FakeConnections):
    """The management API: counts every post; `latency` seconds per post (bench only)."""

    def __init__(self, meter: Meter, latency: float = 0.0, record: bool = True) -> None:
        super().__init__()
        self.meter = meter
        self.latency = latency
        self.record = record

    def post(self, connection_id: str, frame: Any) -> None:
        data = frame if isinstance(frame, bytes | str) else None
        size = len(data) if data is not None else len(str(frame))
        if self.latency:
            time.sleep(self.latency)
        self.meter.count_post(size)
        if self.record:
            super().post(connection_id, frame)


class CapturingScheduler:
    """The real EventBridge Scheduler adapter (moto), keeping each payload to fire it later."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.payloads: list[dict[str, Any]] = []
        self.arns: list[str] = []

    def schedule(self, at_utc: Any, timezone: str, payload: dict[str, Any]) -> str:
        self.payloads.append(payload)
        arn: str = self.real.schedule(at_utc, timezone, payload)
        self.arns.append(arn)
        return arn

    def cancel_schedule(self, arn: str) -> bool:
        """Schedule control: the real delete, and the payload is not fired any more."""
        if arn in self.arns:
            del self.payloads[self.arns.index(arn)]
            self.arns.remove(arn)
        return bool(self.real.cancel_schedule(arn))


def _powertools_handler() -> Any:
    from opensock.observability import logger

    return logger.registered_handler


class World:
    def __init__(
        self,
        meter: Meter,
        *,
        sns_pubsub: bool = False,
        post_latency: float = 0.0,
        record_frames: bool = True,
    ) -> None:
        self.meter = meter
        self.sns_pubsub = sns_pubsub
        self.post_latency = post_latency
        self.record_frames = record_frames
        self._mock = mock_aws()
        self._modules: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.skew = 0.0

    def __enter__(self) -> World:
        import boto3

        from opensock.adapters.dynamodb.client import dynamodb_client
        from opensock.config import load_settings
        from tests.support.stack import Stack
        from tools.local.resources import create_table_from_template

        self._mock.start()
        self.meter.install()
        dynamodb_client.cache_clear()
        self._stdout = sys.stdout
        self._stream = CountingStream(self.meter)
        sys.stdout = self._stream
        self._log_handler = _powertools_handler()
        self._log_stream = self._log_handler.setStream(self._stream)
        with self.meter.measure():  # set-up requests are not counted
            create_table_from_template(TEST_ENV["TABLE_NAME"])
            sqs = boto3.client("sqs")
            self.queue_url = sqs.create_queue(
                QueueName=QUEUE_NAME, Attributes={"FifoQueue": "true"}
            )["QueueUrl"]
            boto3.client("scheduler").create_schedule_group(Name=TEST_ENV["SCHEDULE_GROUP_NAME"])
            environ = {**os.environ, "FANOUT_QUEUE_URL": self.queue_url}
            # only writes with a TTL schedule their clear; the other rows write none
            environ["STORAGE_EXACT_EXPIRY"] = "enabled"
            if self.sns_pubsub:
                topic = boto3.client("sns").create_topic(Name="opensock-bench-pubsub")
                environ["PUBSUB_SNS_TOPIC_ARN"] = topic["TopicArn"]
            self.settings = load_settings(environ)
        stack = Stack(self.settings, clock=self.clock, sleep=lambda _: None)
        self.gateway = BenchConnections(self.meter, self.post_latency, self.record_frames)
        stack.gateway = self.gateway
        self.invoker = FakeInvoker()
        stack.invoker = self.invoker
        self.scheduler = CapturingScheduler(stack.scheduler)
        stack.scheduler = self.scheduler
        if not self.sns_pubsub:
            from tests.support.fakes import FakePublisher

            stack.pubsub = FakePublisher(enabled=False)
        self.stack = stack
        return self

    def __exit__(self, *exc: object) -> None:
        from opensock.adapters.dynamodb.client import dynamodb_client

        self._mock.stop()
        dynamodb_client.cache_clear()
        sys.stdout = self._stdout
        self._log_handler.setStream(self._log_stream)

    # --- invoking handlers ---------------------------------------------------------------------
    def handler(self, function: str) -> Any:
        if function not in self._modules:
            self._modules[function] = importlib.import_module(f"functions.{function}.app")
        return self._modules[function].lambda_handler

    def invoke(self, function: str, event: Any, usage: Usage | None = None, app: Any = None) -> Any:
        """Run one Lambda invocation; WebSocket frames in and two-way replies out are counted.
        `app`: another container's App (its own post pool), else the shared one."""
        handler = self.handler(function)
        wall, cpu = time.perf_counter(), time.process_time()
        result = handler(event, FakeLambdaContext(), app=app or self.stack.app)
        cpu_ms = (time.process_time() - cpu) * 1000
        wall_ms = (time.perf_counter() - wall) * 1000
        target = usage if usage is not None else self.meter.usage
        with self.lock:
            target.invocations.append(Invocation(function, memory_of(function), wall_ms, cpu_ms))
            target.log_bytes += platform_log_bytes()
            context = event.get("requestContext", {}) if isinstance(event, dict) else {}
            if context.get("eventType") == TWO_WAY:
                target.messages_in += 1
                if isinstance(result, dict) and result.get("body"):
                    target.messages_out += 1
        return result

    def run_async_invokes(self) -> int:
        """Run the captured asynchronous invocations (ConnectedFunction) as Lambda would."""
        calls, self.invoker.calls = self.invoker.calls, []
        for name, payload in calls:
            function = name.rsplit("-", 1)[-1]
            self.invoke(function, payload)
        return len(calls)

    def clock(self) -> float:
        """The handlers' time: the real one, moved on by `advance` (expiry rows)."""
        return time.time() + self.skew

    def advance(self, seconds: float) -> None:
        self.skew += seconds

    def fire_schedules(self) -> int:
        """Fire every captured schedule: one Scheduler invocation + ScheduledFunction each."""
        payloads, self.scheduler.payloads = self.scheduler.payloads, []
        self.scheduler.arns = []
        for payload in payloads:
            self.meter.usage.scheduler_invocations += 1
            self.invoke("scheduled", payload)
        return len(payloads)
