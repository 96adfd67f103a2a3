"""High-volume fuzzing of the pure parsing and validation layer of every route (no AWS).

For each route the same functions the handlers call are fed hostile input. Allowed outcomes:
the input is accepted, or an `AppError` with a specific documented code is raised (never the
generic INTERNAL_ERROR, never any other exception). Example counts are asserted, so the suite
really runs what docs/reliability.md claims.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from opensock.app.client_frames import frame_event
from opensock.domain import requests
from opensock.domain.messages import check_store as _check_store
from opensock.domain.names import check_channel, check_data, check_event
from opensock.domain.schedule import parse_at
from opensock.edge.websocket import parse_ws_event
from tests.reliability.fuzzing import (
    assert_documented,
    mutate,
    run_fuzz,
    seeds,
    through_the_edge,
)
from tests.reliability.kit import NOW
from tests.reliability.strategies import (
    events_for,
    frames,
)
from tests.support.events import ws_event

# route -> examples; their sum is reported in docs/reliability.md
EXAMPLES = {
    "default": 400,
    "subscribe": 250,
    "unsubscribe": 150,
    "channel_storage_set": 350,
    "channel_storage_get": 150,
    "channel_storage_list": 200,
    "umd_update": 200,
    "umd_http": 150,
    "server_publish": 350,
}
# seeded mutations of a plausible frame, per route (cheap: see fuzzing.mutate)
MUTATIONS = {
    "default": 1500,
    "subscribe": 800,
    "unsubscribe": 500,
    "channel_storage_set": 1300,
    "channel_storage_get": 500,
    "channel_storage_list": 600,
    "umd_update": 700,
    "umd_http": 500,
    "server_publish": 1300,
}
BASES: dict[str, dict[str, Any]] = {
    "default": {
        "event": "chat", "channel": "room", "data": {"n": 1},
        "scheduleExpression": "at(2026-01-05T10:30:00)", "scheduleExpressionTimezone": "UTC",
    },
    "subscribe": {"event": "hotsock.subscribe", "channel": "room", "data": {"token": "t.t.t"}},
    "unsubscribe": {"event": "hotsock.unsubscribe", "channel": "room"},
    "channel_storage_set": {
        "event": "hotsock.channelStorageSet", "channel": "room", "key": "k", "data": 1,
        "scheduleExpression": "at(2026-01-05T10:30:00)", "scheduleExpressionTimezone": "UTC",
    },
    "channel_storage_get": {"event": "hotsock.channelStorageGet", "channel": "room", "key": "k"},
    "channel_storage_list": {"channel": "room", "keys": ["a", "b"], "after": "a"},
    "umd_update": {"event": "hotsock.umdUpdate", "channel": "room", "data": {"token": "t.t.t"}},
    "umd_http": {"token": "t.t.t", "channel": "room"},
    "server_publish": {
        "event": "chat", "channel": "room", "data": 1, "store": 60, "deduplicationId": "d",
        "emitPubSubEvent": True, "scheduleExpression": "at(2026-01-05T10:30:00)",
    },
}  # fmt: skip


def schedule(body: dict[str, Any]) -> None:
    if body.get("scheduleExpression") is not None:
        parse_at(body["scheduleExpression"], body.get("scheduleExpressionTimezone"), NOW)


def default(body: Any) -> None:
    event = ws_event("default", raw_body="{}")
    request = parse_ws_event(event)
    request = request.__class__(**{**request.__dict__, "body": body})
    name = frame_event(request.body)
    if name.startswith("hotsock."):
        return
    parsed = requests.parse_body(requests.ClientPublishRequest, body)
    check_event(parsed.event)
    check_channel(parsed.channel)
    check_data(parsed.data)
    schedule(body)


def subscribe(body: Any) -> None:
    frame = requests.parse_body(requests.SubscribeRequest, body)
    check_channel(frame.channel)


def server_publish(body: Any) -> None:
    parsed = requests.parse_body(requests.ServerPublishRequest, body)
    check_channel(parsed.channel)
    check_event(parsed.event)
    check_data(parsed.data)
    _check_store(parsed.store)
    schedule(body)


def storage_set(body: Any) -> None:
    request = requests.parse_body(requests.StorageSetRequest, body)
    if request.schedule_expression is not None:
        parse_at(request.schedule_expression, request.schedule_expression_timezone, NOW)


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "default": default,
    "subscribe": subscribe,
    "unsubscribe": lambda body: requests.parse_body(requests.UnsubscribeRequest, body),
    "channel_storage_set": storage_set,
    "channel_storage_get": lambda body: requests.parse_body(requests.StorageGetRequest, body),
    "channel_storage_list": lambda body: requests.parse_body(requests.StorageListRequest, body),
    "umd_update": lambda body: requests.parse_body(requests.UserMetadataUpdateFrame, body),
    "umd_http": lambda body: requests.parse_body(requests.UserMetadataUpdateRequest, body),
    "server_publish": server_publish,
}
EVENTS = {
    "default": events_for("chat", "hotsock.ping", "hotsock.pong", "hotsock.heartbeat"),
    "server_publish": events_for("chat", "hotsock.channelStorageSet"),
}
SCHEDULE = ("scheduleExpression", "scheduleExpressionTimezone")
FIELDS = {
    "default": ("channel", "data", "eagerIdGeneration", *SCHEDULE),
    "subscribe": ("channel", "data"),
    "unsubscribe": ("channel",),
    "channel_storage_set": ("channel", "key", "data", *SCHEDULE),
    "channel_storage_get": ("channel", "key"),
    "channel_storage_list": ("channel", "keys", "after"),
    "umd_update": ("channel", "data"),
    "umd_http": ("channel", "token"),
    "server_publish": (
        "channel", "data", "key", "store", "deduplicationId", "emitPubSubEvent", *SCHEDULE
    ),
}  # fmt: skip


def fuzz(route: str, strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> int:
    return run_fuzz(EXAMPLES[route], strategy, check)


def _route_test(route: str) -> Callable[[], None]:
    def test() -> None:
        strategy = frames(EVENTS.get(route, events_for("hotsock.x", "chat")), *FIELDS[route])
        validate = VALIDATORS[route]
        fuzz(
            route,
            strategy,
            lambda body: assert_documented(lambda: validate(through_the_edge(body))),
        )

    test.__name__ = f"test_{route}_body_validation_never_crashes"
    return test


def _mutation_test(route: str) -> Callable[[], None]:
    def test() -> None:
        validate = VALIDATORS[route]

        def check(seed: int) -> None:
            body = mutate(seed, BASES[route])
            assert_documented(lambda: validate(through_the_edge(body)))

        run_fuzz(MUTATIONS[route], seeds(), check)

    test.__name__ = f"test_{route}_mutated_frames_never_crash"
    return test


for _route in VALIDATORS:
    globals()[f"test_{_route}_body_validation_never_crashes"] = _route_test(_route)
    globals()[f"test_{_route}_mutated_frames_never_crash"] = _mutation_test(_route)


def test_total_examples_is_at_least_ten_thousand() -> None:
    from tests.reliability.test_fuzz_handlers import EXAMPLES as HANDLERS
    from tests.reliability.test_fuzz_tokens import EXAMPLES as MORE

    total = sum(EXAMPLES.values()) + sum(MUTATIONS.values()) + sum(MORE.values())
    assert total + sum(HANDLERS.values()) >= 10_000
