"""The template's event sources, started as background tasks of the local stack.

SQS event sources get a `QueuePoller`, a table whose stream is wired to functions (or that
has a TTL) gets a `TtlSweeper`, one `SchedulePlayer` fires due Scheduler schedules, and each
`ScheduleV2` event of a function gets a `RatePlayer`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import boto3

from tools.local.aws import MotoWorld
from tools.local.environment import function_aliases
from tools.local.intrinsics import UnsupportedTemplateError
from tools.local.invoker import Invoker
from tools.local.naming import TABLE_TYPES, physical_name
from tools.local.queues import QueuePoller
from tools.local.rates import RatePlayer
from tools.local.schedules import Dispatch, SchedulePlayer
from tools.local.template import LocalTemplate
from tools.local.ttl import TtlSweeper
from tools.local.wiring import EventSource, event_sources

log = logging.getLogger("tools.local")


def start_sources(
    template: LocalTemplate,
    invoker: Invoker,
    moto: MotoWorld,
    dispatch: Dispatch,
    rate_seconds: float | None = None,
) -> list[asyncio.Task[None]]:
    region = template.world.region
    sources = event_sources(template)
    runners: list[Any] = []
    sqs = boto3.client("sqs", region_name=region)
    for source in (s for s in sources if s.kind == "SQS"):
        url = template.resolver.ref(source.source)
        arn = template.resolver.get_att(source.source, "Arn")
        poller = QueuePoller(source, url, arn, invoker, sqs, region)
        moto.add_listener(poller.on_aws_call)
        runners.append(poller)
    dynamodb = boto3.client("dynamodb", region_name=region)
    for table_id, table in template.of_type(*TABLE_TYPES).items():
        sweeper = _sweeper(template, table_id, table, sources, invoker, dynamodb)
        if sweeper is not None:
            runners.append(sweeper)
    scheduler = boto3.client("scheduler", region_name=region)
    runners.append(SchedulePlayer(scheduler, function_aliases(template), dispatch))
    for source in (s for s in sources if s.kind == "ScheduleV2"):
        runners.append(RatePlayer(source, dispatch, rate_seconds))
    return [asyncio.create_task(runner.run()) for runner in runners]


def _sweeper(
    template: LocalTemplate,
    table_id: str,
    table: dict[str, Any],
    sources: list[EventSource],
    invoker: Invoker,
    dynamodb: Any,
) -> TtlSweeper | None:
    properties = template.resolver.resolve(table.get("Properties") or {})
    ttl = properties.get("TimeToLiveSpecification") or {}
    wired = [s for s in sources if s.kind == "DynamoDB" and s.source == table_id]
    if wired and not properties.get("StreamSpecification"):
        raise UnsupportedTemplateError(f"{wired[0].function}: {table_id} has no stream")
    if not ttl.get("AttributeName"):
        if wired:
            log.warning("%s has no TTL: its stream gets no records locally", table_id)
        return None
    view_type = (properties.get("StreamSpecification") or {}).get("StreamViewType", "KEYS_ONLY")
    return TtlSweeper(
        table_name=physical_name(template.resolver, table_id, table),
        ttl_attribute=ttl["AttributeName"],
        key_names=[k["AttributeName"] for k in properties["KeySchema"]],
        view_type=view_type,
        stream_arn=template.resolver.get_att(table_id, "StreamArn"),
        sources=wired,
        invoker=invoker,
        dynamodb=dynamodb,
        region=template.world.region,
    )
