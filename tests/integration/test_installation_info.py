"""InstallationInfoFunction: the installed version, whatever the input (SERVER-API §8)."""

from __future__ import annotations

from typing import Any

import pytest

import opensock
from functions.installation_info.app import lambda_handler
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack


@pytest.mark.parametrize("event", [{}, {"anything": [1, 2]}, None, "text"])
def test_returns_the_version_and_ignores_the_input(stack: Stack, event: Any) -> None:
    # WHEN invoked with any payload
    answer = lambda_handler(event, FakeLambdaContext(), app=stack.app)
    # THEN it names the build and the protocol it speaks
    assert answer == {
        "name": "opensock",
        "version": opensock.__version__,
        "protocol": f"hotsock {opensock.HOTSOCK_VERSION}",
    }
