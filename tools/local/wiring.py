"""How the template wires functions: WebSocket routes, Function URLs and event sources.

Routes follow Route.Target -> Integration.IntegrationUri -> function; a route is two-way when an
`AWS::ApiGatewayV2::RouteResponse` points at it. A `MOCK` integration has no function: API
Gateway answers from its `AWS::ApiGatewayV2::IntegrationResponse` template (static text only).
`/publish` is served by the function behind the `PublishHttpApiUrl` output and everything else
HTTP by the one behind `HttpApiUrl`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tools.local.intrinsics import UnsupportedTemplateError, referenced_ids
from tools.local.naming import FUNCTION_TYPES, TABLE_TYPES
from tools.local.template import LocalTemplate


@dataclass(frozen=True)
class Route:
    key: str
    function: str
    """The integration's function; empty for a MOCK integration."""
    two_way: bool
    mock_response: str | None = None
    """A MOCK integration's `$default` response template (sent on two-way routes)."""

    @property
    def is_mock(self) -> bool:
        return not self.function


@dataclass(frozen=True)
class WebSocketApi:
    stage: str
    selection_expression: str
    routes: dict[str, Route]


@dataclass(frozen=True)
class FunctionUrl:
    function: str
    path_prefix: str
    cors: dict[str, Any]


@dataclass(frozen=True)
class EventSource:
    kind: str  # "SQS" | "DynamoDB" | "ScheduleV2"
    function: str
    source: str  # logical id of the queue or the table; the expression of a schedule
    batch_size: int
    report_failures: bool
    filters: tuple[dict[str, Any], ...]
    schedule_input: Any = None


def _only(template: LocalTemplate, node: Any, kinds: frozenset[str] | set[str], what: str) -> str:
    found = {i for i in referenced_ids(node) if template.resources.get(i, {}).get("Type") in kinds}
    if len(found) != 1:
        raise UnsupportedTemplateError(f"{what}: expected one {sorted(kinds)}, found {found}")
    return found.pop()


def websocket_api(template: LocalTemplate) -> WebSocketApi | None:
    apis = {
        k: r
        for k, r in template.of_type("AWS::ApiGatewayV2::Api").items()
        if r["Properties"].get("ProtocolType") == "WEBSOCKET"
    }
    if template.of_type("AWS::Serverless::WebSocketApi"):
        raise UnsupportedTemplateError("AWS::Serverless::WebSocketApi is not supported locally")
    if not apis:
        return None
    if len(apis) > 1:
        raise UnsupportedTemplateError(f"one WebSocket API supported, found {sorted(apis)}")
    ((_, api),) = apis.items()
    stages = [
        str(template.resolver.resolve(r["Properties"]["StageName"]))
        for r in template.of_type("AWS::ApiGatewayV2::Stage").values()
    ]
    expression = str(api["Properties"].get("RouteSelectionExpression", "$request.body.action"))
    return WebSocketApi(stages[0] if stages else "v1", expression, _routes(template))


def _routes(template: LocalTemplate) -> dict[str, Route]:
    responses = template.of_type("AWS::ApiGatewayV2::RouteResponse").values()
    two_way = set().union(*(referenced_ids(r["Properties"].get("RouteId")) for r in responses))
    integration_kinds = {"AWS::ApiGatewayV2::Integration"}
    routes = {}
    for logical_id, route in template.of_type("AWS::ApiGatewayV2::Route").items():
        props = route["Properties"]
        key = str(template.resolver.resolve(props["RouteKey"]))
        integration_id = _only(template, props.get("Target"), integration_kinds, logical_id)
        integration = template.resources[integration_id]["Properties"]
        if str(integration.get("IntegrationType")).upper() == "MOCK":
            response = _mock_response(template, integration_id)
            routes[key] = Route(key, "", logical_id in two_way, response)
            continue
        function = _only(
            template, integration.get("IntegrationUri"), FUNCTION_TYPES, integration_id
        )
        routes[key] = Route(key, function, logical_id in two_way)
    return routes


def _mock_response(template: LocalTemplate, integration_id: str) -> str | None:
    """The `$default` response template of a MOCK integration; static text only (no VTL)."""
    for response in template.of_type("AWS::ApiGatewayV2::IntegrationResponse").values():
        props = response["Properties"]
        if integration_id not in referenced_ids(props.get("IntegrationId")):
            continue
        body = (template.resolver.resolve(props.get("ResponseTemplates")) or {}).get("$default")
        if body is not None and ("$" in str(body) or "#" in str(body)):
            raise UnsupportedTemplateError(f"{integration_id}: VTL response templates")
        return None if body is None else str(body)
    return None


_URL_OUTPUTS = (
    ("PublishHttpApiUrl", "PublishFunction", "/publish"),
    ("HttpApiUrl", "HttpApiFunction", "/"),
)


def function_urls(template: LocalTemplate) -> list[FunctionUrl]:
    """Path prefix -> function, longest prefix first; `/` is the HTTP API's catch-all.

    The function is the one whose URL the output names (falling back to the logical id)."""
    by_url = {
        _only(template, r["Properties"].get("TargetFunctionArn"), FUNCTION_TYPES, url_id): url_id
        for url_id, r in template.of_type("AWS::Lambda::Url").items()
    }
    mounts = []
    for output_name, fallback, default_path in _URL_OUTPUTS:
        value = (template.raw_outputs.get(output_name) or {}).get("Value")
        named = [f for f, url_id in by_url.items() if url_id in referenced_ids(value)]
        function = named[0] if len(named) == 1 else fallback if fallback in by_url else None
        if function is None:
            continue
        path = urlsplit(str(template.resolver.resolve(value))).path if named else default_path
        url_props = template.resources[by_url[function]]["Properties"]
        cors = template.resolver.resolve(url_props.get("Cors") or {})
        mounts.append(FunctionUrl(function, path or "/", cors))
    return sorted(mounts, key=lambda m: len(m.path_prefix), reverse=True)


def event_sources(template: LocalTemplate) -> list[EventSource]:
    sources = []
    for function_id, resource in template.of_type(*FUNCTION_TYPES).items():
        for name, event in ((resource.get("Properties") or {}).get("Events") or {}).items():
            sources.append(_event_source(template, function_id, f"{function_id}.{name}", event))
    for logical_id, mapping in template.of_type("AWS::Lambda::EventSourceMapping").items():
        props = mapping["Properties"]
        function_id = _only(template, props.get("FunctionName"), FUNCTION_TYPES, logical_id)
        kind = "DynamoDB" if "dynamodb" in str(props.get("EventSourceArn")).lower() else "SQS"
        event = {
            "Type": kind,
            "Properties": {
                **props,
                "Queue": props["EventSourceArn"],
                "Stream": props["EventSourceArn"],
            },
        }
        sources.append(_event_source(template, function_id, logical_id, event))
    return sources


def _event_source(
    template: LocalTemplate, function_id: str, name: str, event: dict[str, Any]
) -> EventSource:
    kind = event.get("Type")
    props = template.resolver.resolve(event.get("Properties") or {})
    raw_props = event.get("Properties") or {}
    if kind in ("Schedule", "ScheduleV2"):
        return EventSource(
            kind="ScheduleV2",
            function=function_id,
            source=str(props.get("ScheduleExpression", "")),
            batch_size=1,
            report_failures=False,
            filters=(),
            schedule_input=json.loads(props["Input"]) if props.get("Input") else {},
        )
    if kind == "SQS":
        source = _only(template, raw_props.get("Queue"), {"AWS::SQS::Queue"}, name)
    elif kind == "DynamoDB":
        source = _only(template, raw_props.get("Stream"), TABLE_TYPES, name)
    else:
        raise UnsupportedTemplateError(f"{name}: event source type {kind} is not played locally")
    filters = tuple(
        json.loads(f["Pattern"]) if isinstance(f["Pattern"], str) else f["Pattern"]
        for f in (props.get("FilterCriteria") or {}).get("Filters") or []
    )
    return EventSource(
        kind=kind,
        function=function_id,
        source=source,
        batch_size=int(props.get("BatchSize", 10 if kind == "SQS" else 100)),
        report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        filters=filters,
    )
