"""What a resource's `Ref` and `Fn::GetAtt` values are in the local world.

Functions are named by their logical id (so `FunctionName=ConnectFunction` works locally);
other resources keep their template names, or `<stack>-<LogicalId>` when the template leaves
the name to CloudFormation. ARNs and URLs are the ones moto gives the same names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.local.intrinsics import Resolver

FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
TABLE_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"})

# resource type -> (name property, suffix appended when the property says so)
_NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Events::EventBus": "Name",
    "AWS::Scheduler::ScheduleGroup": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::SSM::Parameter": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::ApiGatewayV2::Stage": "StageName",
}


def physical_name(resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> str:
    """The resource's name: its name property, or `<stack>-<LogicalId>` as CloudFormation would."""
    kind = resource["Type"]
    if kind in FUNCTION_TYPES:
        return logical_id
    props = resource.get("Properties") or {}
    name_property = _NAME_PROPERTY.get(kind)
    if name_property and props.get(name_property) is not None:
        return str(resolver.resolve(props[name_property]))
    name = f"{resolver.world.stack_name}-{logical_id}"
    fifo = props.get("FifoQueue") or props.get("FifoTopic")
    return f"{name}.fifo" if fifo and str(resolver.resolve(fifo)).lower() == "true" else name


def _arn(resolver: Resolver, service: str, resource: str) -> str:
    world = resolver.world
    region = "" if service == "iam" else world.region
    return f"arn:aws:{service}:{region}:{world.account}:{resource}"


def queue_url(resolver: Resolver, name: str) -> str:
    return f"https://sqs.{resolver.world.region}.amazonaws.com/{resolver.world.account}/{name}"


def function_arn(resolver: Resolver, logical_id: str) -> str:
    return _arn(resolver, "lambda", f"function:{logical_id}")


def ref(resolver: Resolver, logical_id: str, resource: dict[str, Any]) -> str:
    kind = resource["Type"]
    name = physical_name(resolver, logical_id, resource)
    if kind == "AWS::SNS::Topic":
        return _arn(resolver, "sns", name)
    if kind == "AWS::SQS::Queue":
        return queue_url(resolver, name)
    if kind == "AWS::ApiGatewayV2::Api":
        return resolver.world.api_id
    if kind in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
        return _arn(resolver, "lambda", f"layer:{name}:1")
    if kind in FUNCTION_TYPES or kind in _NAME_PROPERTY:
        return name
    raise _unsupported(logical_id, kind, "Ref")


def get_att(resolver: Resolver, logical_id: str, resource: dict[str, Any], attribute: str) -> str:
    kind = resource["Type"]
    name = physical_name(resolver, logical_id, resource)
    value = _attributes(resolver, kind, name).get(attribute)
    if value is None:
        raise _unsupported(logical_id, kind, f"GetAtt .{attribute}")
    return value


def _attributes(resolver: Resolver, kind: str, name: str) -> dict[str, str]:
    world = resolver.world
    arn = functools.partial(_arn, resolver)
    table_arn = arn("dynamodb", f"table/{name}")
    builders: dict[str, Callable[[], dict[str, str]]] = {
        "function": lambda: {"Arn": function_arn(resolver, name)},
        "table": lambda: {"Arn": table_arn, "StreamArn": f"{table_arn}/stream/1970-01-01T00:00:00"},
        "AWS::SQS::Queue": lambda: {
            "Arn": arn("sqs", name),
            "QueueUrl": queue_url(resolver, name),
            "QueueName": name,
        },
        "AWS::SNS::Topic": lambda: {"TopicArn": arn("sns", name), "TopicName": name},
        "AWS::Events::EventBus": lambda: {"Arn": arn("events", f"event-bus/{name}"), "Name": name},
        "AWS::Scheduler::ScheduleGroup": lambda: {
            "Arn": arn("scheduler", f"schedule-group/{name}")
        },
        "AWS::IAM::Role": lambda: {"Arn": arn("iam", f"role/{name}"), "RoleId": name},
        "AWS::Lambda::Url": lambda: {"FunctionUrl": f"{world.http_url}/"},
        "AWS::ApiGatewayV2::Api": lambda: {
            "ApiId": world.api_id,
            "ApiEndpoint": f"wss://{world.api_id}.execute-api.{world.region}.amazonaws.com",
        },
        "AWS::Logs::LogGroup": lambda: {"Arn": arn("logs", f"log-group:{name}:*")},
    }
    family = "function" if kind in FUNCTION_TYPES else "table" if kind in TABLE_TYPES else kind
    builder = builders.get(family)
    return builder() if builder else {}


def _unsupported(logical_id: str, kind: str, what: str) -> Exception:
    from tools.local.intrinsics import UnsupportedTemplateError

    return UnsupportedTemplateError(f"{what} of {logical_id} ({kind}) is not supported locally")
