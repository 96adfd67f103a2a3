"""The SNS / EventBridge publisher: batches cut by count and size, per-entry retries with
backoff, what is finally dropped counted, events too large for a target (issue #13)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from opensock.adapters import pubsub
from opensock.adapters.pubsub import AwsEventPublisher
from opensock.domain.envelopes import PubSubEvent

TOPIC = "arn:aws:sns:us-east-1:123456789012:pubsub"
BUS = "opensock-bus"
KIB = 1024


def event(n: int, size: int = 100, kind: str = "hotsock.memberRemoved") -> PubSubEvent:
    """A pub/sub event whose envelope is about `size` bytes."""
    return PubSubEvent(
        type=kind,
        data_type="channelMember",
        data={"n": n, "members": "m" * size},
        metadata={"channel": f"presence.{n}"},
    )


def numbers(entries: list[dict[str, Any]], field: str) -> list[int]:
    return [json.loads(entry[field])["data"]["n"] for entry in entries]


def sns_bytes(entries: list[dict[str, Any]]) -> int:
    """PublishBatch's size: every message with its attributes (names, types, values)."""
    total = 0
    for entry in entries:
        total += len(entry["Message"].encode())
        for name, value in entry["MessageAttributes"].items():
            total += len(name) + len(value["DataType"]) + len(value["StringValue"].encode())
    return total


def eventbridge_bytes(entries: list[dict[str, Any]]) -> int:
    return sum(len((e["Source"] + e["DetailType"] + e["Detail"]).encode()) for e in entries)


class Sns:
    """`publish_batch`; `answers` says, per call, which entry ids fail (or raises)."""

    def __init__(self, *answers: Callable[[list[dict[str, Any]]], Any]) -> None:
        self.answers = list(answers)
        self.calls: list[list[dict[str, Any]]] = []

    def publish_batch(self, TopicArn: str, PublishBatchRequestEntries: list[Any]) -> Any:
        assert TopicArn == TOPIC
        assert len(PublishBatchRequestEntries) <= 10
        assert sns_bytes(PublishBatchRequestEntries) <= 256 * KIB
        self.calls.append(PublishBatchRequestEntries)
        answer = self.answers.pop(0) if self.answers else ok_sns
        return answer(PublishBatchRequestEntries)


class Events:
    def __init__(self, *answers: Callable[[list[dict[str, Any]]], Any]) -> None:
        self.answers = list(answers)
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[Any]) -> Any:
        assert len(Entries) <= 10
        assert eventbridge_bytes(Entries) <= 1024 * KIB
        assert {entry["EventBusName"] for entry in Entries} == {BUS}
        self.calls.append(Entries)
        answer = self.answers.pop(0) if self.answers else ok_events
        return answer(Entries)


def ok_sns(entries: list[Any]) -> Any:
    return {"Successful": [{"Id": e["Id"]} for e in entries], "Failed": []}


def ok_events(entries: list[Any]) -> Any:
    return {"FailedEntryCount": 0, "Entries": [{"EventId": "x"} for _ in entries]}


def sns_failing(*indexes: int, sender_fault: bool = False) -> Callable[[list[Any]], Any]:
    def answer(entries: list[Any]) -> Any:
        failed = [e for i, e in enumerate(entries) if i in indexes]
        return {
            "Successful": [{"Id": e["Id"]} for e in entries if e not in failed],
            "Failed": [
                {"Id": e["Id"], "Code": "InternalError", "SenderFault": sender_fault}
                for e in failed
            ],
        }

    return answer


def events_failing(code: str, *indexes: int) -> Callable[[list[Any]], Any]:
    def answer(entries: list[Any]) -> Any:
        results = [
            {"ErrorCode": code} if i in indexes else {"EventId": "x"} for i in range(len(entries))
        ]
        return {"FailedEntryCount": len(indexes), "Entries": results}

    return answer


def raising(entries: list[Any]) -> Any:
    raise RuntimeError("endpoint unreachable")


class Counted:
    def __init__(self) -> None:
        self.metrics: dict[str, int] = {}

    def __call__(self, name: str, value: int = 1) -> None:
        self.metrics[name] = self.metrics.get(name, 0) + value


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counted:
    recorder = Counted()
    monkeypatch.setattr(pubsub, "count", recorder)
    return recorder


def publisher(
    sns: Sns | None = None, events: Events | None = None, sleeps: list[float] | None = None
) -> AwsEventPublisher:
    pauses = sleeps if sleeps is not None else []
    return AwsEventPublisher(
        TOPIC if sns else "",
        BUS if events else "",
        sns_client=sns,
        events_client=events,
        sleep=pauses.append,
    )


# --- batches ----------------------------------------------------------------------------------
def test_batches_hold_at_most_ten_events() -> None:
    sns, events = Sns(), Events()
    publisher(sns, events).emit([event(n) for n in range(25)])
    assert [len(call) for call in sns.calls] == [10, 10, 5]
    assert [len(call) for call in events.calls] == [10, 10, 5]
    assert [n for call in sns.calls for n in numbers(call, "Message")] == list(range(25))


def test_sns_batches_are_cut_at_256_kib() -> None:
    # GIVEN a disconnect leaving six presence channels with member lists near 100 KB each
    sns = Sns()
    # WHEN their events are emitted
    publisher(sns).emit([event(n, 100_000) for n in range(6)])
    # THEN no PublishBatch passes 256 KiB (the fake asserts it) and every event went once
    assert [len(call) for call in sns.calls] == [2, 2, 2]
    assert [n for call in sns.calls for n in numbers(call, "Message")] == list(range(6))


def test_an_event_that_exactly_fills_a_batch_goes_alone() -> None:
    sns = Sns()
    full = 256 * KIB - sns_bytes(sns_entries_of(event(0, 0)))
    publisher(sns).emit([event(0, full), event(1)])
    assert [len(call) for call in sns.calls] == [1, 1]
    assert sns_bytes(sns.calls[0]) == 256 * KIB


def sns_entries_of(item: PubSubEvent) -> list[dict[str, Any]]:
    sns = Sns()
    publisher(sns).emit([item])
    return sns.calls[0]


def test_eventbridge_batches_are_cut_at_1_mib() -> None:
    events = Events()
    publisher(events=events).emit([event(n, 300_000) for n in range(7)])
    assert [len(call) for call in events.calls] == [3, 3, 1]
    assert [n for call in events.calls for n in numbers(call, "Detail")] == list(range(7))


# --- retries ----------------------------------------------------------------------------------
def test_failed_entries_alone_are_retried_with_backoff(counted: Counted) -> None:
    # GIVEN SNS failing two entries, then one of them again; EventBridge throttling one
    sns = Sns(sns_failing(1, 3), sns_failing(0))
    events = Events(events_failing("ThrottlingException", 2))
    sleeps: list[float] = []
    # WHEN five events are emitted
    publisher(sns, events, sleeps).emit([event(n) for n in range(5)])
    # THEN only the failed entries were sent again, after growing pauses, and all got through
    assert [numbers(call, "Message") for call in sns.calls] == [[0, 1, 2, 3, 4], [1, 3], [1]]
    assert [numbers(call, "Detail") for call in events.calls] == [[0, 1, 2, 3, 4], [2]]
    assert len(sleeps) == 3
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2
    assert "PubSubFailed" not in counted.metrics


def test_entries_that_keep_failing_are_dropped_and_counted(counted: Counted) -> None:
    # GIVEN SNS failing one entry on every attempt and EventBridge down
    sns = Sns(*[sns_failing(0)] * 10)
    events = Events(*[raising] * 10)
    sleeps: list[float] = []
    # WHEN three events are emitted
    publisher(sns, events, sleeps).emit([event(n) for n in range(3)])
    # THEN each target tried 4 times with backoff, and what was finally dropped is counted
    assert len(sns.calls) == len(events.calls) == pubsub.ATTEMPTS == 4
    assert [numbers(call, "Message") for call in sns.calls[1:]] == [[0], [0], [0]]
    assert len(sleeps) == 6
    assert counted.metrics["PubSubFailed"] == 1 + 3


def test_failures_the_sender_caused_are_not_retried(counted: Counted) -> None:
    sns = Sns(sns_failing(0, sender_fault=True))
    events = Events(events_failing("MalformedDetail", 1))
    sleeps: list[float] = []
    publisher(sns, events, sleeps).emit([event(n) for n in range(2)])
    assert (len(sns.calls), len(events.calls), sleeps) == (1, 1, [])
    assert counted.metrics["PubSubFailed"] == 2


def test_a_refused_request_is_not_retried(counted: Counted) -> None:
    from botocore.exceptions import ClientError

    def denied(entries: list[Any]) -> Any:
        error = {"Error": {"Code": "AuthorizationError", "Message": "no"}}
        raise ClientError({**error, "ResponseMetadata": {"HTTPStatusCode": 403}}, "PublishBatch")  # type: ignore[arg-type]

    def throttled(entries: list[Any]) -> Any:
        error = {"Error": {"Code": "Throttling", "Message": "slow down"}}
        raise ClientError({**error, "ResponseMetadata": {"HTTPStatusCode": 400}}, "PublishBatch")  # type: ignore[arg-type]

    sns = Sns(denied)
    publisher(sns).emit([event(0)])
    assert len(sns.calls) == 1
    assert counted.metrics["PubSubFailed"] == 1
    sns = Sns(throttled)
    publisher(sns).emit([event(0)])
    assert len(sns.calls) == 2


# --- events too large for a target --------------------------------------------------------------
def test_an_event_too_large_for_sns_still_reaches_eventbridge(
    counted: Counted, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN one event of 300 KB (above SNS's 256 KiB, below EventBridge's 1 MiB) among others
    sns, events = Sns(), Events()
    # WHEN emitted
    publisher(sns, events).emit([event(0), event(1, 300_000), event(2)])
    # THEN SNS gets the others, EventBridge gets all three (S §5.1), and the SNS loss is
    # logged as an error and counted, never silent
    assert [n for call in sns.calls for n in numbers(call, "Message")] == [0, 2]
    assert [n for call in events.calls for n in numbers(call, "Detail")] == [0, 1, 2]
    assert counted.metrics["PubSubTooLarge"] == 1
    assert counted.metrics["PubSubFailed"] == 1
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.getMessage() == "pubsub event too large for its target"


def test_an_event_too_large_for_both_targets_is_counted_for_each(counted: Counted) -> None:
    sns, events = Sns(), Events()
    publisher(sns, events).emit([event(0, 1_100_000)])
    assert (sns.calls, events.calls) == ([], [])
    assert counted.metrics["PubSubTooLarge"] == 2


def test_nothing_to_emit_sends_nothing() -> None:
    sns, events = Sns(), Events()
    publisher(sns, events).emit([])
    assert (sns.calls, events.calls) == ([], [])
    assert not publisher().enabled
