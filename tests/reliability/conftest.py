"""Fixtures for the reliability suite: a hardened `Stack` on moto with fakes, a settings
profile for hypothesis (derandomized, no deadline: CI-stable), and log capture.

The verifier here has two slots (RS256 with key id `rsa-1`, HS256 without key id) plus an
audience and an issuer, so every rejection path of PROTOCOL §3.8 is reachable.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from moto import mock_aws

from opensock.config import load_settings
from opensock.observability import logger
from tests.reliability.kit import AUDIENCE, ISSUER, TokenKit, verifier_slots
from tests.support.channels import FakeScheduler
from tests.support.env import TEST_ENV
from tests.support.fakes import FakeConnections, FakeInvoker, FakePublisher, FrozenClock
from tests.support.stack import Stack

settings.register_profile(
    "opensock-reliability",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=(
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ),
)


@functools.cache
def _template() -> Any:
    from tools.local.intrinsics import LocalWorld
    from tools.local.template import DEFAULT_TEMPLATE, load_local_template

    return load_local_template(DEFAULT_TEMPLATE, LocalWorld(port=0))


def create_table() -> None:
    """The table of template.yaml in moto (the template is parsed once per process)."""
    from opensock.adapters.dynamodb.client import dynamodb_client
    from tools.local.resources import create_table_from_template

    create_table_from_template(
        TEST_ENV["TABLE_NAME"], template=_template(), dynamodb=dynamodb_client()
    )


@pytest.fixture(scope="session")
def kit() -> TokenKit:
    return TokenKit()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(scope="module")
def moto_table() -> Iterator[None]:
    """One moto per test module (client creation dominates moto's cost); the table is emptied
    for each test by `rel_stack`."""
    from opensock.adapters.dynamodb.client import dynamodb_client

    dynamodb_client.cache_clear()
    with mock_aws():
        create_table()
        yield
    dynamodb_client.cache_clear()


def recreate_table() -> None:
    from opensock.adapters.dynamodb.client import dynamodb_client

    client = dynamodb_client()
    client.delete_table(TableName=TEST_ENV["TABLE_NAME"])
    create_table()


@pytest.fixture
def rel_stack(moto_table: None, clock: FrozenClock, kit: TokenKit) -> Stack:
    """Stack on moto's (empty) table; fake management API, pub/sub, invoker, scheduler."""
    recreate_table()
    settings = load_settings().model_copy(
        update={
            "signing_keys": verifier_slots(kit),
            "token_audience": AUDIENCE,
            "token_issuer": ISSUER,
        }
    )
    return Stack(
        settings,
        clock=clock,
        sleep=lambda _: None,
        gateway=FakeConnections(),
        pubsub=FakePublisher(),
        invoker=FakeInvoker(),
        scheduler=FakeScheduler(),
    )


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Everything the Powertools logger writes (JSON lines), at DEBUG level."""
    buffer = io.StringIO()
    handlers = [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    saved = [h.setStream(buffer) for h in handlers]
    level = logger.log_level
    logger.setLevel("DEBUG")
    try:
        yield buffer
    finally:
        logger.setLevel(level)
        for handler, stream in zip(handlers, saved, strict=True):
            handler.setStream(stream)  # type: ignore[arg-type]
