"""HttpApiSecretKeysFunction: the custom resource that generates the API keys at install.

CloudFormation's side is played by a local HTTP server standing in for the presigned S3
`ResponseURL` (the answer is a PUT with an empty content type); Parameter Store is moto's.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.http_api_secret_keys.app import lambda_handler
from opensock.adapters.ssm_api_keys import ApiKeys
from opensock.errors import UnauthorizedError
from tests.support.fakes import FakeLambdaContext
from tests.support.stack import Stack

EVENT = json.loads(
    (Path(__file__).parents[2] / "events" / "http_api_secret_keys.json").read_text("utf-8")
)
PATH = EVENT["ResourceProperties"]["ParameterPath"]


class ResponseUrl:
    """A stand-in for CloudFormation's presigned S3 URL: records every PUT."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        self.content_types: list[str | None] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers["Content-Length"])
                recorder.answers.append(json.loads(self.rfile.read(length)))
                recorder.content_types.append(self.headers.get("Content-Type"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/response?sig=x"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def response_url() -> Iterator[ResponseUrl]:
    url = ResponseUrl()
    yield url
    url.server.shutdown()
    url.server.server_close()


def request(kind: str, url: ResponseUrl, physical_id: str | None = None) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["RequestType"] = kind
    event["ResponseURL"] = url.url
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


def stored() -> dict[str, str]:
    ssm = boto3.client("ssm")
    pages = ssm.get_paginator("get_parameters_by_path").paginate(
        Path=PATH, Recursive=True, WithDecryption=True
    )
    return {p["Name"].rsplit("/", 1)[1]: p["Value"] for page in pages for p in page["Parameters"]}


def test_create_generates_two_40_character_secure_keys(
    stack: Stack, response_url: ResponseUrl
) -> None:
    # WHEN CloudFormation creates the resource
    lambda_handler(request("Create", response_url), FakeLambdaContext(), app=stack.app)
    # THEN two distinct alphanumeric 40-character SecureString keys exist under the path
    keys = stored()
    assert sorted(keys) == ["key1", "key2"]
    assert all(len(k) == 40 and k.isalnum() for k in keys.values())
    assert keys["key1"] != keys["key2"]
    (described,) = boto3.client("ssm").describe_parameters()["Parameters"][:1]
    assert described["Type"] == "SecureString"
    # AND CloudFormation is told SUCCESS, with the path (never a key) as the only data
    (answer,) = response_url.answers
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == PATH
    assert answer["Data"] == {"ParameterPath": PATH}
    assert answer["NoEcho"] is True
    assert not any(key in json.dumps(answer) for key in keys.values())
    assert response_url.content_types == [""]


def test_the_generated_keys_open_the_publish_api(stack: Stack, response_url: ResponseUrl) -> None:
    lambda_handler(request("Create", response_url), FakeLambdaContext(), app=stack.app)
    keys = ApiKeys((), PATH)
    for key in stored().values():
        keys.check(f"Bearer {key}")
    with pytest.raises(UnauthorizedError):
        keys.check("Bearer not-a-generated-key")


def test_update_keeps_existing_keys(stack: Stack, response_url: ResponseUrl) -> None:
    # GIVEN installed keys, one of them rotated by the operator
    lambda_handler(request("Create", response_url), FakeLambdaContext(), app=stack.app)
    boto3.client("ssm").put_parameter(
        Name=f"{PATH}/key2", Value="r" * 40, Type="SecureString", Overwrite=True
    )
    before = stored()
    # WHEN the stack is updated
    lambda_handler(request("Update", response_url, PATH), FakeLambdaContext(), app=stack.app)
    # THEN no key changed
    assert stored() == before
    assert response_url.answers[-1]["Status"] == "SUCCESS"


def test_delete_removes_the_generated_keys_only(stack: Stack, response_url: ResponseUrl) -> None:
    lambda_handler(request("Create", response_url), FakeLambdaContext(), app=stack.app)
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=f"{PATH}/key3", Value="x" * 40, Type="SecureString")
    lambda_handler(request("Delete", response_url, PATH), FakeLambdaContext(), app=stack.app)
    assert sorted(stored()) == ["key3"]
    assert response_url.answers[-1]["Status"] == "SUCCESS"


def test_delete_after_a_failed_create_touches_nothing(
    stack: Stack, response_url: ResponseUrl
) -> None:
    boto3.client("ssm").put_parameter(Name=f"{PATH}/key1", Value="k" * 40, Type="SecureString")
    event = request("Delete", response_url, "opensock-not-created")
    lambda_handler(event, FakeLambdaContext(), app=stack.app)
    assert sorted(stored()) == ["key1"]
    assert response_url.answers[-1]["Status"] == "SUCCESS"


def test_a_failure_is_answered_failed_without_details(
    stack: Stack, response_url: ResponseUrl
) -> None:
    # GIVEN a request without the properties the resource needs
    event = request("Create", response_url)
    del event["ResourceProperties"]["KeyNames"]
    # WHEN it runs, CloudFormation is still answered at once, FAILED
    answer = lambda_handler(event, FakeLambdaContext(), app=stack.app)
    assert answer["Status"] == "FAILED"
    (sent,) = response_url.answers
    assert sent["Status"] == "FAILED"
    assert sent["Reason"] == "KeyError: see the function's log"
    assert sent["PhysicalResourceId"] == "opensock-not-created"


def test_the_generated_keys_are_never_logged_even_at_debug(
    stack: Stack,
    response_url: ResponseUrl,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # GIVEN every logger at DEBUG (ours, botocore's, urllib3's)
    from opensock.observability import logger

    previous = logger.log_level
    logger.setLevel("DEBUG")
    caplog.set_level(logging.DEBUG)
    try:
        # WHEN the keys are generated and then read back by the key check
        lambda_handler(request("Create", response_url), FakeLambdaContext(), app=stack.app)
        ApiKeys((), PATH).check(f"Bearer {stored()['key1']}")
    finally:
        logger.setLevel(previous)
    # THEN no key is in any log record nor anything printed (a control line is)
    captured = capfd.readouterr()
    printed = captured.out + captured.err + "\n".join(r.getMessage() for r in caplog.records)
    printed += "\n".join(str(r.__dict__) for r in caplog.records)
    assert "api keys provisioned" in printed
    for key in stored().values():
        assert key not in printed
