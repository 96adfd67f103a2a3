"""Faults Opensock cannot prevent, and what it does about each (docs/reliability.md).

- DynamoDB throttling / 5xx: retried with backoff by the shared client; past the retry budget
  the client gets an error (refused handshake, INTERNAL_ERROR frame), never a silent success.
- Management API `GoneException` / 500 mid fan-out: the others still get the frame; the gone
  connection is pruned, the failed one is not; the publisher is not failed.
- SNS / EventBridge failures: the client's operation succeeds; the failed entries are retried
  with backoff (4 sends in all), then logged and counted (`PubSubFailed`).
- A schedule target firing twice.
"""

from __future__ import annotations

import io
import json
import types
from collections.abc import Iterator
from typing import Any

import botocore.endpoint
import pytest
from moto.core.models import botocore_stubber

from opensock.adapters.pubsub import ATTEMPTS, AwsEventPublisher
from opensock.domain.envelopes import PubSubEvent
from opensock.errors import ConnectionGoneError
from tests.reliability.drive import handler, ws, ws_raw
from tests.reliability.kit import TokenKit, table_items
from tests.support.calls import subscribe
from tests.support.channels import open_connection
from tests.support.events import ws_event
from tests.support.fakes import FakeConnections, FakeLambdaContext
from tests.support.stack import Stack


# --- DynamoDB ----------------------------------------------------------------------------
class Faults:
    """Answers the next `times` DynamoDB `operation` requests with an AWS error instead of
    moto (wrapping moto's dispatcher, so botocore's own retry logic runs as in AWS)."""

    def __init__(self) -> None:
        self.injected: list[str] = []
        self.sleeps: list[float] = []
        self._plan: dict[str, tuple[list[int], str, int]] = {}
        self._original = type(botocore_stubber).process_request.__get__(botocore_stubber)
        botocore_stubber.process_request = self._dispatch  # type: ignore[method-assign]

    def inject(self, operation: str, times: int, code: str, status: int) -> None:
        self._plan[operation] = ([times], code, status)

    def clear(self) -> None:
        self._plan.clear()

    def restore(self) -> None:
        self.clear()
        if "process_request" in vars(botocore_stubber):
            del botocore_stubber.process_request

    def _dispatch(self, request: Any) -> Any:
        target = request.headers.get("X-Amz-Target") or b""
        operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
        planned = self._plan.get(operation)
        if planned is None or planned[0][0] <= 0:
            return self._original(request)
        remaining, code, status = planned
        remaining[0] -= 1
        self.injected.append(operation)
        body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"}
        headers = {"x-amzn-requestid": "fault", "content-type": "application/x-amz-json-1.0"}
        return status, headers, json.dumps(body)  # moto's (status, headers, body) triple


@pytest.fixture
def faults(rel_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faults]:
    injected = Faults()
    # botocore sleeps between retries: record the backoff instead of waiting for it
    shim = types.SimpleNamespace(sleep=injected.sleeps.append)
    monkeypatch.setattr(botocore.endpoint, "time", shim)
    yield injected
    injected.restore()


THROTTLE = ("ProvisionedThroughputExceededException", 400)
SERVER_ERROR = ("InternalServerError", 500)


@pytest.mark.parametrize(("code", "status"), [THROTTLE, SERVER_ERROR], ids=["throttle", "5xx"])
def test_connect_survives_transient_dynamodb_errors(
    rel_stack: Stack, kit: TokenKit, faults: Faults, code: str, status: int
) -> None:
    # GIVEN DynamoDB refusing the connection write twice
    faults.inject("PutItem", 2, code, status)
    token = kit.rs256(kit.good("connect"))
    event = ws_event("connect", connection_id="Flt1Conn=", query={"token": token})
    # WHEN a client connects
    response = ws_raw(rel_stack, "connect", event)
    # THEN the write was retried with backoff and the connect succeeded
    assert response == {"statusCode": 200}
    assert faults.injected == ["PutItem", "PutItem"]
    assert len(faults.sleeps) == 2
    assert all(delay >= 0 for delay in faults.sleeps)
    assert [item["sk"] for item in table_items(rel_stack)] == ["conn"]


@pytest.mark.parametrize(("code", "status"), [THROTTLE, SERVER_ERROR], ids=["throttle", "5xx"])
def test_connect_fails_loudly_when_dynamodb_stays_down(
    rel_stack: Stack, kit: TokenKit, faults: Faults, code: str, status: int
) -> None:
    faults.inject("PutItem", 50, code, status)
    token = kit.rs256(kit.good("connect"))
    event = ws_event("connect", connection_id="Flt1Conn=", query={"token": token})
    response = ws_raw(rel_stack, "connect", event)
    # the handshake is refused (the client retries with back-off), nothing half-written
    assert response == {"statusCode": 500}
    # the shared client's retry budget: botocore standard mode, max_attempts=5 (1 + 5 tries)
    assert 5 <= len(faults.injected) <= 6
    assert len(faults.sleeps) == len(faults.injected) - 1
    assert table_items(rel_stack) == []
    assert rel_stack.invoker.calls == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("route", "operation", "body"),
    [
        (
            "subscribe",
            "TransactWriteItems",
            {"event": "hotsock.subscribe", "channel": "presence.r"},
        ),
        # PutItem + UpdateItem, or one transaction (either way every write path is down)
        (
            "subscribe",
            "PutItem UpdateItem TransactWriteItems",
            {"event": "hotsock.subscribe", "channel": "room"},
        ),
        (
            "channel_storage_set",
            "UpdateItem",
            {"event": "hotsock.channelStorageSet", "channel": "room", "key": "k", "data": 1},
        ),
        ("default", "Query", {"event": "chat", "channel": "room", "data": 1}),
    ],
    ids=["presence subscribe", "subscribe", "storage set", "publish fan-out read"],
)
def test_a_persistent_dynamodb_outage_is_an_error_frame_not_a_silent_loss(
    rel_stack: Stack, faults: Faults, route: str, operation: str, body: dict[str, Any]
) -> None:
    grants = {
        "room": {
            "subscribe": True,
            "messages": {"chat": {"publish": True}},
            "storage": {"k": {"set": True, "observe": True}},
        },
        "presence.r": {"subscribe": True},
    }
    member = open_connection(rel_stack, "Flt1Conn=", grants, uid="f")
    if route == "default":
        subscribe(member, "room", rel_stack)
    before = table_items(rel_stack)
    for name in operation.split():
        faults.inject(name, 50, *THROTTLE)
    _, frame = ws(rel_stack, route, body, cid="Flt1Conn=")
    faults.clear()
    # THEN the client is told (a generic error frame on the request's channel) ...
    assert frame is not None
    assert frame["error"]["code"] == "INTERNAL_ERROR"
    assert frame.get("channel") == body["channel"]
    # ... and nothing was half-applied
    assert table_items(rel_stack) == before


# --- management API ------------------------------------------------------------------------
class FlakyConnections(FakeConnections):
    """Some ids are gone (410), some answer a 500 once per post."""

    def __init__(self, failing: set[str]) -> None:
        super().__init__()
        self.failing = failing

    def post(self, connection_id: str, frame: Any) -> None:
        if connection_id in self.failing:
            raise RuntimeError("management API 500")
        super().post(connection_id, frame)

    def is_connected(self, connection_id: str) -> bool:
        return connection_id not in self.gone


def test_gone_and_failing_connections_mid_fanout(rel_stack: Stack) -> None:
    # GIVEN six subscribers: two gone without $disconnect, one whose posts fail with a 500
    gateway = FlakyConnections(failing=set())
    rel_stack.gateway = gateway
    rel_stack.__dict__.pop("fanout", None)  # rebuild the fan-out on the flaky gateway
    grants = {"room": {"subscribe": True, "messages": {"chat": {"publish": True}}}}
    for i in range(6):
        subscribe(open_connection(rel_stack, f"S{i}Conn=", grants, uid=f"s{i}"), "room", rel_stack)
    gateway.gone |= {"S1Conn=", "S2Conn="}
    gateway.failing.add("S3Conn=")
    # WHEN S0 publishes
    _, frame = ws(
        rel_stack, "default", {"event": "chat", "channel": "room", "data": 7}, cid="S0Conn="
    )
    # THEN the publisher gets no error, and every live subscriber got the message
    assert frame is None
    for cid in ("S4Conn=", "S5Conn="):
        assert gateway.events(cid)[-1] == "chat"
    # AND the gone ones were pruned (connection + subscription), the failing one was not
    left = {item["pk"] for item in table_items(rel_stack)} | {
        item["sk"] for item in table_items(rel_stack)
    }
    assert "conn#S1Conn=" not in left and "sub#S1Conn=" not in left
    assert "conn#S2Conn=" not in left and "sub#S2Conn=" not in left
    assert "conn#S3Conn=" in left and "sub#S3Conn=" in left
    disconnected = rel_stack.pubsub.of_type("hotsock.disconnected")  # type: ignore[attr-defined]
    assert sorted(e["data"]["id"] for e in disconnected) == ["S1Conn=", "S2Conn="]


def test_a_410_that_is_not_confirmed_does_not_prune(rel_stack: Stack) -> None:
    # GIVEN a post that answers 410 while the connection is in fact alive (a transient blip)
    class Blip(FakeConnections):
        blip = False

        def post(self, connection_id: str, frame: Any) -> None:
            if self.blip and connection_id == "B1Conn=":
                raise ConnectionGoneError(connection_id)
            super().post(connection_id, frame)

    rel_stack.gateway = Blip()
    rel_stack.__dict__.pop("fanout", None)
    grants = {"room": {"subscribe": True, "messages": {"chat": {"publish": True}}}}
    for i in range(2):
        subscribe(open_connection(rel_stack, f"B{i}Conn=", grants), "room", rel_stack)
    rel_stack.gateway.blip = True  # type: ignore[attr-defined]
    ws(rel_stack, "default", {"event": "chat", "channel": "room"}, cid="B0Conn=")
    # THEN its subscription survives (pruning needs a confirmed death)
    assert "sub#B1Conn=" in {item["sk"] for item in table_items(rel_stack)}


# --- pub/sub -------------------------------------------------------------------------------
class FailingSns:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.calls = 0

    def publish_batch(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.mode == "raise":
            raise RuntimeError("sns down")
        entries = kwargs["PublishBatchRequestEntries"]
        return {"Failed": [{"Id": e["Id"], "Code": "InternalError"} for e in entries]}


class FailingEvents:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.calls = 0

    def put_events(self, Entries: list[Any]) -> dict[str, Any]:
        self.calls += 1
        if self.mode == "raise":
            raise RuntimeError("eventbridge down")
        failed = [{"ErrorCode": "InternalFailure"} for _ in Entries]
        return {"FailedEntryCount": len(Entries), "Entries": failed}


@pytest.mark.parametrize("mode", ["raise", "partial"])
def test_pubsub_failures_never_fail_the_client(
    rel_stack: Stack, logs: io.StringIO, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    # GIVEN SNS and EventBridge both failing
    sns, events = FailingSns(mode), FailingEvents(mode)
    rel_stack.pubsub = AwsEventPublisher(
        "arn:aws:sns:us-east-1:123456789012:t",
        "bus",
        sns_client=sns,
        events_client=events,
        sleep=lambda _: None,
    )
    grants = {
        "room": {
            "subscribe": True,
            "messages": {"chat": {"publish": True, "emitPubSubEvent": True}},
        }
    }
    for i in range(2):
        subscribe(open_connection(rel_stack, f"P{i}Conn=", grants), "room", rel_stack)
    sns.calls = events.calls = 0
    # WHEN a client publishes with emitPubSubEvent
    _, frame = ws(rel_stack, "default", {"event": "chat", "channel": "room"}, cid="P0Conn=")
    # THEN the client's operation succeeded and the message was delivered
    assert frame is None
    assert rel_stack.gateway.events("P1Conn=")[-1] == "chat"  # type: ignore[attr-defined]
    # AND each failure was retried with backoff, then logged and counted
    assert (sns.calls, events.calls) == (ATTEMPTS, ATTEMPTS)
    printed = logs.getvalue() + capsys.readouterr().out
    assert "PubSubFailed" in printed
    assert "pubsub" in printed


def test_pubsub_publisher_batches_of_ten(rel_stack: Stack) -> None:
    sns = FailingSns("partial")
    publisher = AwsEventPublisher("arn:topic", "", sns_client=sns, sleep=lambda _: None)
    from opensock.domain.envelopes import connection_event
    from opensock.domain.model import Connection

    connection = Connection("c", None, None, {}, "s", 0.0, 1)
    events: list[PubSubEvent] = [
        connection_event("hotsock.connected", connection) for _ in range(25)
    ]
    publisher.emit(events)
    assert sns.calls == 3 * ATTEMPTS  # three batches, each sent ATTEMPTS times


# --- schedules -----------------------------------------------------------------------------
def run_schedule(stack: Stack, payload: dict[str, Any]) -> Any:
    return handler("functions.scheduled.app")(payload, FakeLambdaContext(), app=stack.app)


def test_a_scheduled_storage_write_firing_twice_is_idempotent(rel_stack: Stack) -> None:
    grants = {
        "room": {
            "subscribe": True,
            "storage": {"k": {"set": True, "observe": True, "scheduleBefore": 1_767_700_000}},
        }
    }
    member = open_connection(rel_stack, "Sch1Conn=", grants, uid="s")
    subscribe(member, "room", rel_stack)
    body = {
        "event": "hotsock.channelStorageSet",
        "channel": "room",
        "key": "k",
        "data": {"v": 1},
        "scheduleExpression": "at(2026-01-05T11:00:00)",
    }
    assert ws(rel_stack, "channel_storage_set", body, cid="Sch1Conn=")[1] is None
    _, _, payload = rel_stack.scheduler.schedules[0]  # type: ignore[attr-defined]
    rel_stack.clock.advance(3600)  # type: ignore[attr-defined]
    run_schedule(rel_stack, payload)
    state = table_items(rel_stack)
    run_schedule(rel_stack, payload)
    assert table_items(rel_stack) == state
    updates = [
        f
        for f in rel_stack.gateway.frames["Sch1Conn="]
        if f["event"] == "hotsock.channelStorageUpdated"
    ]  # type: ignore[attr-defined]
    assert len(updates) == 1


def test_a_scheduled_publish_firing_twice_is_delivered_once(rel_stack: Stack) -> None:
    grants = {
        "room": {
            "subscribe": True,
            "messages": {"chat": {"publish": True, "echo": True, "scheduleBefore": 1_767_700_000}},
        }
    }
    member = open_connection(rel_stack, "Sch1Conn=", grants, uid="s")
    subscribe(member, "room", rel_stack)
    body = {
        "event": "chat",
        "channel": "room",
        "data": 1,
        "scheduleExpression": "at(2026-01-05T11:00:00)",
    }
    assert ws(rel_stack, "default", body, cid="Sch1Conn=")[1] is None
    _, _, payload = rel_stack.scheduler.schedules[0]  # type: ignore[attr-defined]
    rel_stack.clock.advance(3600)  # type: ignore[attr-defined]
    run_schedule(rel_stack, payload)
    run_schedule(rel_stack, payload)
    assert rel_stack.gateway.events("Sch1Conn=").count("chat") == 1  # type: ignore[attr-defined]


def test_a_failed_post_mid_fanout_is_counted(
    rel_stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = FlakyConnections(failing=set())
    rel_stack.gateway = gateway
    rel_stack.__dict__.pop("fanout", None)
    grants = {"room": {"subscribe": True, "messages": {"chat": {"publish": True}}}}
    for i in range(3):
        subscribe(open_connection(rel_stack, f"M{i}Conn=", grants), "room", rel_stack)
    gateway.failing.add("M2Conn=")
    capsys.readouterr()
    ws(rel_stack, "default", {"event": "chat", "channel": "room"}, cid="M0Conn=")
    assert "FanoutFailed" in capsys.readouterr().out


# --- FanoutFunction (SQS lanes) --------------------------------------------------------------
def lane_event(connection_ids: list[str], body: str | None = None) -> dict[str, Any]:
    from tests.support.events import load_event

    event = load_event("fanout")
    frame = {"event": "chat", "channel": "room", "data": 1}
    lane = {"channel": "room", "frame": frame, "connectionIds": connection_ids, "lane": 0}
    event["Records"][0]["body"] = body if body is not None else json.dumps(lane)
    return event


def test_a_lane_with_gone_and_failing_posts_is_acknowledged_and_counted(
    rel_stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = FlakyConnections(failing=set())
    rel_stack.gateway = gateway
    rel_stack.__dict__.pop("fanout", None)
    grants = {"room": {"subscribe": True}}
    ids = [f"L{i}Conn=" for i in range(4)]
    for cid in ids:
        subscribe(open_connection(rel_stack, cid, grants), "room", rel_stack)
    gateway.gone.add("L1Conn=")
    gateway.failing.add("L2Conn=")
    capsys.readouterr()
    result = handler("functions.fanout.app")(
        lane_event(ids), FakeLambdaContext(), app=rel_stack.app
    )
    # the lane is acknowledged (no redelivery, so nobody gets the message twice) ...
    assert result == {"posted": 2, "gone": 1, "failed": 1}
    assert "batchItemFailures" not in result
    # ... the failure is counted, and the gone connection pruned
    assert "FanoutFailed" in capsys.readouterr().out
    assert "sub#L1Conn=" not in {item["sk"] for item in table_items(rel_stack)}


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_a_poison_lane_raises_so_sqs_retries_then_dead_letters(rel_stack: Stack) -> None:
    # BatchSize 1 + RedrivePolicy maxReceiveCount 3 (template.yaml): one poison lane is retried
    # three times and lands in FanoutDeadLetterQueue without holding up other lanes.
    with pytest.raises((KeyError, ValueError, TypeError)):
        handler("functions.fanout.app")(
            lane_event([], body='{"channel":"room"}'), FakeLambdaContext(), app=rel_stack.app
        )
