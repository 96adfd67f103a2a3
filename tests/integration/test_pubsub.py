"""The SNS / EventBridge publisher against moto: real boto3 requests, observed through SQS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from opensock.adapters.pubsub import AwsEventPublisher
from opensock.domain.envelopes import PubSubEvent


@pytest.fixture
def queues() -> Iterator[dict[str, Any]]:
    """A topic and a bus, each feeding an SQS queue (raw delivery keeps the attributes)."""
    with mock_aws():
        sqs, sns, events = boto3.client("sqs"), boto3.client("sns"), boto3.client("events")
        urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("sns", "bus")}
        arns = {
            name: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            for name, url in urls.items()
        }
        topic = sns.create_topic(Name="pubsub")["TopicArn"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arns["sns"],
            Attributes={"RawMessageDelivery": "true"},
        )
        events.create_event_bus(Name="pubsub")
        events.put_rule(Name="all", EventBusName="pubsub", EventPattern='{"source":["hotsock.v1"]}')
        events.put_targets(
            Rule="all", EventBusName="pubsub", Targets=[{"Id": "q", "Arn": arns["bus"]}]
        )
        yield {"sqs": sqs, "urls": urls, "topic": topic}


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return received
        received.extend(batch)


def test_every_event_reaches_both_targets_in_size_cut_batches(queues: dict[str, Any]) -> None:
    # GIVEN 25 events, four of them with ~100 KB member lists
    events = [
        PubSubEvent(
            type="hotsock.memberRemoved",
            data_type="channelMember",
            data={"n": n, "members": "m" * (100_000 if n % 7 == 0 else 10)},
            metadata={"channel": f"presence.{n}"},
        )
        for n in range(25)
    ]
    publisher = AwsEventPublisher(queues["topic"], "pubsub", sleep=lambda _: None)
    # WHEN they are emitted
    publisher.emit(events)
    # THEN each queue holds every event once, SNS with its message attributes
    sqs, urls = queues["sqs"], queues["urls"]
    from_sns = drain(sqs, urls["sns"])
    assert sorted(json.loads(m["Body"])["data"]["n"] for m in from_sns) == list(range(25))
    attributes = from_sns[0]["MessageAttributes"]
    assert attributes["type"]["StringValue"] == "hotsock.memberRemoved"
    assert attributes["channel"]["StringValue"].startswith("presence.")
    from_bus = drain(sqs, urls["bus"])
    details = [json.loads(m["Body"]) for m in from_bus]
    assert sorted(d["detail"]["data"]["n"] for d in details) == list(range(25))
    assert {d["detail-type"] for d in details} == {"channelMember"}
