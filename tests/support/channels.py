"""Helpers for the channel tests: a moto table, Stack on fakes, connections with grants."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from opensock.config import load_settings
from opensock.domain.model import Connection
from tests.support.env import TEST_ENV
from tests.support.fakes import FakeConnections, FakePublisher, FrozenClock
from tests.support.stack import Stack


def create_table(name: str) -> None:
    """The table from template.yaml when the local stack's builder exists, else its documented
    shape (docs/data-model.md)."""
    try:
        from tools.local.resources import create_table_from_template
    except ImportError:
        import boto3

        boto3.client("dynamodb").create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gsi1",
                    "KeySchema": [
                        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        return
    create_table_from_template(name)


class FakeScheduler:
    def __init__(self) -> None:
        self.schedules: list[tuple[Any, str, dict[str, Any]]] = []

    def schedule(self, at_utc: Any, timezone: str, payload: dict[str, Any]) -> str:
        self.schedules.append((at_utc, timezone, payload))
        return f"arn:aws:scheduler:us-east-1:123456789012:schedule/test/{len(self.schedules)}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def channel_stack(clock: FrozenClock) -> Iterator[Stack]:
    """Stack on moto (table), with fake gateway, pub/sub and scheduler."""
    from opensock.adapters.dynamodb.client import dynamodb_client

    dynamodb_client.cache_clear()
    with mock_aws():
        create_table(TEST_ENV["TABLE_NAME"])
        yield Stack(
            load_settings(),
            clock=clock,
            sleep=lambda _: None,
            gateway=FakeConnections(),
            pubsub=FakePublisher(),
            scheduler=FakeScheduler(),
        )
    dynamodb_client.cache_clear()


def open_connection(
    stack: Stack,
    connection_id: str,
    grants: dict[str, Any] | None = None,
    *,
    uid: str | None = None,
    umd: Any = None,
) -> Connection:
    connection = Connection(
        connection_id=connection_id,
        uid=uid,
        umd=umd,
        grants=grants or {},
        secret=f"secret-{connection_id}",
        connected_at=stack.clock(),
        expires_at=int(stack.clock()) + 7200,
        source_ip="203.0.113.9",
        user_agent="pytest",
    )
    stack.connections.put(connection)
    return connection


def gateway(stack: Stack) -> FakeConnections:
    fake: FakeConnections = stack.gateway
    return fake


def pubsub(stack: Stack) -> FakePublisher:
    fake: FakePublisher = stack.pubsub
    return fake


class RequestCounter:
    """Counts DynamoDB/SQS requests by operation (botocore `before-call` events)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def attach(self, client: Any) -> RequestCounter:
        client.meta.events.register("before-call", self)
        return self

    def by_operation(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name in self.calls:
            counts[name] = counts.get(name, 0) + 1
        return counts


def count_dynamodb(stack: Stack) -> RequestCounter:
    from opensock.adapters.dynamodb.client import dynamodb_client

    del stack
    return RequestCounter().attach(dynamodb_client())


def vanish_after_read(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each read of a connection record deletes it right after (a `$disconnect` racing the
    function that read it): alone, or with its channel's count (a subscribe's read)."""
    real_get = stack.connections.get
    real_with_count = stack.client_reader.connection_and_count

    def get_then_vanish(connection_id: str) -> Any:
        found = real_get(connection_id)
        stack.connections.delete(connection_id)
        return found

    def read_then_vanish(connection_id: str, channel: str) -> Any:
        found = real_with_count(connection_id, channel)
        stack.connections.delete(connection_id)
        return found

    monkeypatch.setattr(stack.connections, "get", get_then_vanish)
    monkeypatch.setattr(stack.client_reader, "connection_and_count", read_then_vanish)
