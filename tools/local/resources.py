"""The template's AWS resources, created in moto: table, queues, topic, bus, schedule groups.

`create_table_from_template` is also the integration tests' way to build the one table with the
template's keys, indexes, stream and TTL (call it inside `mock_aws()`).
"""

from __future__ import annotations

import functools
import importlib
import json
from pathlib import Path
from typing import Any

import boto3

from tools.local.intrinsics import LocalWorld, UnsupportedTemplateError
from tools.local.naming import TABLE_TYPES, physical_name
from tools.local.template import DEFAULT_TEMPLATE, LocalTemplate, load_local_template

_TABLE_ARGS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "ProvisionedThroughput",
    "BillingMode",
)
_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DelaySeconds",
    "MessageRetentionPeriod",
    "MaximumMessageSize",
    "DeduplicationScope",
    "ReceiveMessageWaitTimeSeconds",
    "FifoThroughputLimit",
)


def create_table_from_template(
    table_name: str | None = None,
    template: LocalTemplate | Path = DEFAULT_TEMPLATE,
    dynamodb: Any = None,
    logical_id: str | None = None,
) -> str:
    """Create the template's table (the only one, or `logical_id`) in moto; returns its name.

    `table_name` replaces the template's name (tests use their own)."""
    if isinstance(template, Path):
        template = _parsed(str(template.resolve()), template.stat().st_mtime)
    tables = template.of_type(*TABLE_TYPES)
    if logical_id is None and len(tables) != 1:
        raise UnsupportedTemplateError(
            f"expected one table in the template, found {sorted(tables)}"
        )
    logical_id = logical_id or next(iter(tables))
    properties = template.resolver.resolve(tables[logical_id].get("Properties") or {})
    name = table_name or physical_name(template.resolver, logical_id, tables[logical_id])
    client = dynamodb or boto3.client("dynamodb", region_name=template.world.region)
    client.create_table(TableName=name, **_table_arguments(tables[logical_id]["Type"], properties))
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and str(ttl.get("Enabled", True)).lower() == "true":
        spec = {"AttributeName": ttl["AttributeName"], "Enabled": True}
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)
    return name


@functools.lru_cache(maxsize=4)
def _parsed(path: str, mtime: float) -> LocalTemplate:
    """Parsing template.yaml takes ~0.2 s; integration tests build a table per test."""
    del mtime  # part of the cache key only
    return load_local_template(Path(path), LocalWorld(port=0))


def _table_arguments(kind: str, properties: dict[str, Any]) -> dict[str, Any]:
    if kind == "AWS::Serverless::SimpleTable":
        key = properties.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        attribute_type = {"String": "S", "Number": "N", "Binary": "B"}[key["Type"]]
        definition = {"AttributeName": key["Name"], "AttributeType": attribute_type}
        return {
            "AttributeDefinitions": [definition],
            "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }
    arguments = {k: properties[k] for k in _TABLE_ARGS if k in properties}
    if "ProvisionedThroughput" not in arguments:
        arguments["BillingMode"] = "PAY_PER_REQUEST"
    stream = properties.get("StreamSpecification")
    if stream:
        arguments["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return arguments


def create_all(template: LocalTemplate) -> None:
    """Every resource of the template that holds state locally."""
    resolver = template.resolver
    region = template.world.region
    for logical_id in template.of_type(*TABLE_TYPES):
        create_table_from_template(template=template, logical_id=logical_id)
    sqs = boto3.client("sqs", region_name=region)
    queues = template.of_type("AWS::SQS::Queue")
    # dead-letter queues first: a RedrivePolicy names its target
    for logical_id in sorted(
        queues, key=lambda q: "RedrivePolicy" in (queues[q].get("Properties") or {})
    ):
        properties = resolver.resolve(queues[logical_id].get("Properties") or {})
        sqs.create_queue(
            QueueName=physical_name(resolver, logical_id, queues[logical_id]),
            Attributes=_queue_attributes(properties),
        )
    sns = boto3.client("sns", region_name=region)
    for logical_id, topic in template.of_type("AWS::SNS::Topic").items():
        fifo = str(resolver.resolve((topic.get("Properties") or {}).get("FifoTopic", False)))
        attributes = {"FifoTopic": "true"} if fifo.lower() == "true" else {}
        sns.create_topic(Name=physical_name(resolver, logical_id, topic), Attributes=attributes)
    events = boto3.client("events", region_name=region)
    for logical_id, bus in template.of_type("AWS::Events::EventBus").items():
        events.create_event_bus(Name=physical_name(resolver, logical_id, bus))
    scheduler = boto3.client("scheduler", region_name=region)
    for logical_id, group in template.of_type("AWS::Scheduler::ScheduleGroup").items():
        scheduler.create_schedule_group(Name=physical_name(resolver, logical_id, group))


def warm_moto_imports() -> None:
    """moto imports a service's code on first use; SSM's pulls in EC2 and takes ~2 s. Importing
    it ahead (no AWS lock needed) keeps that out of the first handler that reads a parameter."""
    for module in ("moto.ssm.models", "moto.ssm.responses"):
        importlib.import_module(module)


def _queue_attributes(properties: dict[str, Any]) -> dict[str, str]:
    attributes = {k: _text(properties[k]) for k in _QUEUE_ATTRIBUTES if k in properties}
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
    return attributes


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
