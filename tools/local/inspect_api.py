"""What the console's local panels read: the pub/sub events as a stream, the pending schedules,
and the table's items of one channel. Local only (`/_local/...`), like the rest of that prefix.

- `GET /_local/events/stream`: Server-Sent Events, one `data:` line per recorded pub/sub
  envelope (oldest first; the event id is its index, so a reconnecting `EventSource` resumes
  with `Last-Event-ID`).
- `GET /_local/schedules`: the Scheduler's schedules with their expression, the instant an
  `at()` one fires and its target input (the captured request).
- `GET /_local/table?channel=NAME`: every item of the partition `chan#NAME`, plain JSON
  (numbers as numbers), `expiresAt` included, expired-but-not-yet-swept items too.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
from aiohttp import web

from tools.local.schedules import fire_time, schedule_details, schedule_summaries

if TYPE_CHECKING:
    from tools.local.server import LocalStack

STREAM_POLL_SECONDS = 0.25


def plain(value: Any) -> Any:
    """DynamoDB values as JSON: Decimals to int/float, sets to sorted lists, bytes to text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return value


def channel_items(region: str, table_name: str, channel: str) -> list[dict[str, Any]]:
    from boto3.dynamodb.conditions import Key

    table = boto3.resource("dynamodb", region_name=region).Table(table_name)
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(f"chan#{channel}")}
    while True:
        page = table.query(**query)
        items += [plain(item) for item in page.get("Items") or []]
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def pending_schedules(region: str) -> list[dict[str, Any]]:
    scheduler = boto3.client("scheduler", region_name=region)
    found = [_schedule_view(schedule_details(scheduler, s)) for s in schedule_summaries(scheduler)]
    return sorted(found, key=lambda s: s["firesAt"] or "")


def _schedule_view(details: dict[str, Any]) -> dict[str, Any]:
    expression = details.get("ScheduleExpression", "")
    timezone = details.get("ScheduleExpressionTimezone")
    when = fire_time(expression, timezone)
    target = details.get("Target") or {}
    try:
        target_input = json.loads(target.get("Input") or "null")
    except ValueError:
        target_input = target.get("Input")
    return {
        "name": details.get("Name"),
        "group": details.get("GroupName"),
        "expression": expression,
        "timezone": timezone,
        "firesAt": when.isoformat().replace("+00:00", "Z") if when else None,
        "state": details.get("State"),
        "target": target.get("Arn"),
        "input": target_input,
    }


def routes(stack: LocalStack) -> list[web.RouteDef]:
    def region() -> str:
        return stack.environment.get("AWS_REGION", "us-east-1")

    async def table(request: web.Request) -> web.Response:
        channel = request.query.get("channel", "")
        if not channel:
            raise web.HTTPBadRequest(text="?channel=NAME is required")
        name = stack.environment["TABLE_NAME"]
        items = await asyncio.to_thread(channel_items, region(), name, channel)
        return web.json_response({"channel": channel, "table": name, "items": items})

    async def schedules(request: web.Request) -> web.Response:
        return web.json_response(await asyncio.to_thread(pending_schedules, region()))

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        sent = int(request.headers.get("Last-Event-ID", "-1")) + 1
        await response.write(b"retry: 1000\n\n")
        try:
            while stack.ready:
                events = await asyncio.to_thread(stack.recorder.events_of)
                for index in range(sent, len(events)):
                    line = json.dumps(events[index], separators=(",", ":"))
                    await response.write(f"id: {index}\ndata: {line}\n\n".encode())
                sent = max(sent, len(events))
                await asyncio.sleep(STREAM_POLL_SECONDS)
        except ConnectionError:
            pass  # the page went away
        return response

    return [
        web.get("/_local/table", table),
        web.get("/_local/schedules", schedules),
        web.get("/_local/events/stream", stream),
    ]
