"""Test environment: settings and dummy AWS credentials first, then moto-backed fixtures.

Fixtures for every level:
- `aws`: moto's `mock_aws` with the table (and the rest of the template's AWS resources the
  tests need) built from `template.yaml`.
- `stack`: a `Stack` on moto, with fakes for the ports moto cannot play: `connections`
  (the management API), `publisher` (pub/sub envelopes), `invoker` (async Lambda invokes).
- `context`: a fake Lambda context for handlers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.env import TEST_ENV

os.environ.update(TEST_ENV)

from moto import mock_aws

from opensock.config import get_settings, load_settings
from opensock.wiring import get_app
from tests.support.fakes import (
    FakeConnections,
    FakeInvoker,
    FakeLambdaContext,
    FakePublisher,
)
from tests.support.stack import Stack


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    get_app.cache_clear()
    yield
    get_settings.cache_clear()
    get_app.cache_clear()


@pytest.fixture
def aws() -> Iterator[None]:
    from opensock.adapters.dynamodb.client import dynamodb_client
    from tools.local.resources import create_table_from_template

    dynamodb_client.cache_clear()
    with mock_aws():
        create_table_from_template(TEST_ENV["TABLE_NAME"])
        yield
    dynamodb_client.cache_clear()


@pytest.fixture
def connections() -> FakeConnections:
    return FakeConnections()


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def invoker() -> FakeInvoker:
    return FakeInvoker()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def stack(
    aws: None,
    connections: FakeConnections,
    publisher: FakePublisher,
    invoker: FakeInvoker,
    sleeps: list[float],
) -> Stack:
    return Stack(
        load_settings(),
        sleep=sleeps.append,
        gateway=connections,
        pubsub=publisher,
        invoker=invoker,
    )


@pytest.fixture
def context() -> FakeLambdaContext:
    return FakeLambdaContext()


# Channel test fixtures (`channel_stack`, `clock`): tests/support/channels.py
pytest_plugins = ["tests.support.channels"]
