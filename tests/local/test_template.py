"""Reading template.yaml: intrinsics, conditions, wiring, environment, resources, failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.local.conftest import FIXTURE_TEMPLATE
from tools.local.environment import (
    LOCAL_API_KEY,
    function_aliases,
    handler_environment,
    resolve_function,
)
from tools.local.intrinsics import LocalWorld, Resolver, UnsupportedTemplateError
from tools.local.resources import create_table_from_template
from tools.local.template import load_local_template
from tools.local.wiring import event_sources, function_urls, websocket_api

WORLD = LocalWorld(port=4321)


def fixture(**parameters: str) -> Any:
    return load_local_template(FIXTURE_TEMPLATE, WORLD, parameters)


def test_routes_follow_target_integration_and_route_responses() -> None:
    api = websocket_api(fixture())
    assert api is not None
    assert (api.stage, api.selection_expression) == ("v1", "$request.body.event")
    assert {k: (r.function, r.two_way) for k, r in api.routes.items()} == {
        "$connect": ("ConnectFunction", False),
        "$disconnect": ("DisconnectFunction", False),
        "$default": ("DefaultFunction", True),
        "test.post": ("PostFunction", False),
        "test.mock": ("", True),
        "test.silent": ("", False),
    }
    assert api.routes["test.mock"].mock_response == '{"mocked":true}'
    assert api.routes["test.silent"].is_mock and api.routes["test.silent"].mock_response is None


def test_function_urls_come_from_the_outputs() -> None:
    mounts = {m.path_prefix: m.function for m in function_urls(fixture())}
    assert mounts == {"/publish": "PublishFunction", "/": "HttpApiFunction"}


def test_event_sources_carry_batch_size_failures_and_filters() -> None:
    queue, stream = event_sources(fixture())
    assert (queue.kind, queue.function, queue.source, queue.batch_size, queue.report_failures) == (
        "SQS",
        "FanoutFunction",
        "FanoutQueue",
        5,
        True,
    )
    assert (stream.kind, stream.function, stream.source, stream.batch_size) == (
        "DynamoDB",
        "StreamFunction",
        "Table",
        10,
    )
    assert stream.filters[0]["userIdentity"] == {
        "type": ["Service"],
        "principalId": ["dynamodb.amazonaws.com"],
    }


def test_handler_environment_is_the_local_world() -> None:
    env = handler_environment(
        fixture(), {"TABLE_NAME": "ignored", "SIGNING_KEY_1_ID": "k"}
    ).variables
    assert env["WEBSOCKET_CALLBACK_URL"] == "http://127.0.0.1:4321/v1"
    assert env["AWS_ENDPOINT_URL_LAMBDA"] == "http://127.0.0.1:4321"
    assert env["TABLE_NAME"] == "opensock-local-Table"  # resource-wired: not overridable
    assert env["SIGNING_KEY_1_ID"] == "k"  # a setting: overridable under its deployed name
    assert env["CONNECTED_FUNCTION_NAME"] == "ConnectedFunction"
    assert (
        env["SCHEDULED_FUNCTION_ARN"]
        == "arn:aws:lambda:us-east-1:123456789012:function:ScheduledFunction"
    )
    assert (
        env["PUBSUB_SNS_TOPIC_ARN"]
        == "arn:aws:sns:us-east-1:123456789012:opensock-local-PubSubTopic"
    )
    assert env["PUBSUB_EVENT_BUS_NAME"] == "opensock-local-bus"
    assert env["PUBLISH_API_KEYS"] == LOCAL_API_KEY
    assert env["SIGNING_KEY_1_METHOD"] == "HS256"


def test_conditions_use_local_parameters_and_can_be_overridden() -> None:
    template = fixture(PublishEventsToSNSParameter="disabled")
    assert "PubSubTopic" not in template.resources
    env = handler_environment(template).variables
    assert env["PUBSUB_SNS_TOPIC_ARN"] == ""
    assert env["PUBSUB_EVENT_BUS_NAME"] == "opensock-local-bus"


@pytest.mark.parametrize(
    "name",
    [
        "ScheduledFunction",
        "opensock-local-scheduled",
        "arn:aws:lambda:us-east-1:123456789012:function:opensock-local-scheduled:$LATEST",
    ],
)
def test_functions_answer_to_every_name(name: str) -> None:
    assert resolve_function(function_aliases(fixture()), name) == "ScheduledFunction"


def resolver(resources: dict[str, Any] | None = None) -> Resolver:
    return Resolver(WORLD, resources or {}, {"P": "v"}, {"Yes": {"Fn::Equals": ["a", "a"]}})


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"Fn::Sub": "${AWS::StackName}-${P}-${!Literal}"}, "opensock-local-v-${Literal}"),
        ({"Fn::Sub": ["${X}.${P}", {"X": {"Ref": "AWS::Region"}}]}, "us-east-1.v"),
        ({"Fn::Join": ["/", ["a", {"Ref": "P"}]]}, "a/v"),
        ({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "b"),
        ({"Fn::If": ["Yes", "t", "f"]}, "t"),
        ({"k": {"Fn::If": ["Yes", {"Ref": "AWS::NoValue"}, 1]}, "j": 2}, {"j": 2}),
        ({"Fn::Not": [{"Condition": "Yes"}]}, False),
    ],
)
def test_intrinsics(node: Any, expected: Any) -> None:
    assert resolver().resolve(node) == expected


@pytest.mark.parametrize(
    "node",
    [
        {"Fn::ImportValue": "x"},
        {"Ref": "Missing"},
        {"Fn::GetAtt": ["Odd", "Arn"]},
        {"Condition": "Nope"},
    ],
)
def test_unsupported_constructs_fail_loudly(node: Any) -> None:
    with pytest.raises(UnsupportedTemplateError):
        resolver({"Odd": {"Type": "AWS::Some::Thing"}}).resolve(node)


def test_unsupported_event_sources_fail_loudly(tmp_path: Path) -> None:
    text = FIXTURE_TEMPLATE.read_text().replace("Type: SQS", "Type: Kinesis")
    broken = tmp_path / "template.yaml"
    broken.write_text(text)
    with pytest.raises(UnsupportedTemplateError, match="Kinesis"):
        event_sources(load_local_template(broken, WORLD))


def test_create_table_from_template_builds_keys_index_stream_and_ttl() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        name = create_table_from_template("my-table", FIXTURE_TEMPLATE)
        table = client.describe_table(TableName=name)["Table"]
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert name == "my-table"
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"}
    assert ttl == {"AttributeName": "expiresAt", "TimeToLiveStatus": "ENABLED"}
