"""High-volume fuzzing of the pure parsing and validation layer of every route (no AWS).

For each route the same functions the handlers call are fed hostile input. Allowed outcomes:
the input is accepted, or an `AppError` with a specific documented code is raised (never the
generic INTERNAL_ERROR, never any other exception). Example counts are asserted, so the suite
really runs what docs/reliability.md claims.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from opensock.auth.claims import Claims, ClaimsError
from opensock.auth.tokens import TokenVerifier
from opensock.auth.wire import parse_token
from opensock.channels import requests as channel_requests
from opensock.channels.names import check_channel, check_data, check_event
from opensock.channels.publishing import _check_store
from opensock.default_route import frame_event
from opensock.errors import AppError, InvalidTokenError
from opensock.gateway.events import parse_ws_event
from opensock.scheduling import parse_at
from opensock.storage import requests as storage_requests
from opensock.umd import requests as umd_requests
from tests.reliability.kit import AUDIENCE, ISSUER, NOW, TokenKit, forge, verifier_slots
from tests.reliability.strategies import (
    claim_payloads,
    events_for,
    evil_text,
    frames,
    json_values,
    raw_bodies,
    token_headers,
)
from tests.support.events import ws_event

PROFILE = settings.get_profile("opensock-reliability")

# route -> examples; their sum is reported in docs/reliability.md
EXAMPLES = {
    "default": 1500,
    "subscribe": 800,
    "unsubscribe": 400,
    "channel_storage_set": 1200,
    "channel_storage_get": 400,
    "channel_storage_list": 400,
    "umd_update": 800,
    "umd_http": 400,
    "server_publish": 1200,
    "schedule": 800,
    "ws_event": 1200,
    "token": 1200,
    "claims": 1000,
}


def schedule(body: dict[str, Any]) -> None:
    if body.get("scheduleExpression") is not None:
        parse_at(body["scheduleExpression"], body.get("scheduleExpressionTimezone"), NOW)


def default(body: Any) -> None:
    event = ws_event("default", raw_body="{}")
    request = parse_ws_event(event)
    request = request.__class__(**{**request.__dict__, "body": body})
    name = frame_event(request)
    if name.startswith("hotsock."):
        return
    parsed = channel_requests.parse_body(channel_requests.ClientPublishRequest, body)
    check_event(parsed.event)
    check_channel(parsed.channel)
    check_data(parsed.data)
    schedule(body)


def subscribe(body: Any) -> None:
    frame = channel_requests.parse_body(channel_requests.SubscribeFrame, body)
    check_channel(frame.channel)


def server_publish(body: Any) -> None:
    parsed = channel_requests.parse_body(channel_requests.ServerPublishRequest, body)
    check_channel(parsed.channel)
    check_event(parsed.event)
    check_data(parsed.data)
    _check_store(parsed.store)
    schedule(body)


def storage_set(body: Any) -> None:
    request = storage_requests.parse_set(body)
    if request.schedule is not None:
        parse_at(request.schedule.expression, request.schedule.timezone, NOW)


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "default": default,
    "subscribe": subscribe,
    "unsubscribe": lambda body: channel_requests.parse_body(channel_requests.ChannelFrame, body),
    "channel_storage_set": storage_set,
    "channel_storage_get": storage_requests.parse_get,
    "channel_storage_list": storage_requests.parse_list,
    "umd_update": umd_requests.parse_frame,
    "umd_http": umd_requests.parse_http_body,
    "server_publish": server_publish,
}
EVENTS = {
    "default": events_for("chat", "hotsock.ping", "hotsock.pong", "hotsock.heartbeat"),
    "server_publish": events_for("chat", "hotsock.channelStorageSet"),
}


def assert_documented(run: Callable[[], Any]) -> None:
    try:
        run()
    except AppError as err:
        assert type(err) is not AppError
        assert err.code != "INTERNAL_ERROR"
        assert err.status in {400, 401, 403, 404, 409}


def fuzz(route: str, strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> int:
    seen: list[int] = []

    @settings(PROFILE, max_examples=EXAMPLES[route])
    @given(strategy)
    def run(value: Any) -> None:
        seen.append(1)
        check(value)

    run()
    assert len(seen) >= EXAMPLES[route] * 0.9
    return len(seen)


def _route_test(route: str) -> Callable[[], None]:
    def test() -> None:
        strategy = frames(EVENTS.get(route, events_for("hotsock.x", "chat")))
        validate = VALIDATORS[route]
        fuzz(route, strategy, lambda body: assert_documented(lambda: validate(body)))

    test.__name__ = f"test_{route}_body_validation_never_crashes"
    return test


for _route in VALIDATORS:
    globals()[f"test_{_route}_body_validation_never_crashes"] = _route_test(_route)


def test_schedule_expressions_never_crash() -> None:
    strategy = st.tuples(json_values | evil_text, st.none() | evil_text | json_values)
    fuzz(
        "schedule",
        strategy,
        lambda pair: assert_documented(lambda: parse_at(pair[0], pair[1], NOW)),
    )


def test_any_websocket_event_body_parses() -> None:
    # parse_ws_event runs before the route's error mapping: it must never raise
    strategy = st.tuples(raw_bodies, st.booleans())

    def check(pair: tuple[str, bool]) -> None:
        raw, as_base64 = pair
        event = ws_event("default", raw_body=raw)
        if as_base64:
            import base64

            event["body"] = base64.b64encode(raw.encode("utf-8", "surrogatepass")).decode()
            event["isBase64Encoded"] = True
        parse_ws_event(event)

    fuzz("ws_event", strategy, check)


def test_any_token_is_verified_or_refused(kit: TokenKit) -> None:
    from tests.support.fakes import FrozenClock

    verifier = TokenVerifier(
        verifier_slots(kit), audience=AUDIENCE, issuer=ISSUER, clock=FrozenClock()
    )
    signed = st.builds(
        lambda header, payload: forge(header, payload, kit.hs_secret),
        token_headers.map(lambda h: {"alg": "HS256", "typ": "JWT", **h}),
        claim_payloads,
    )
    strategy = st.tuples(
        st.one_of(signed, signed, st.builds(forge, token_headers, claim_payloads), evil_text),
        st.sampled_from(["connect", "subscribe", "umd"]),
    )

    def check(pair: tuple[str, str]) -> None:
        token, scope = pair
        try:
            parse_token(token)
            verifier.verify(
                token, scope=scope, connection_id="Rel1ConnAAAA=", connection_uid="u-rel"
            )  # type: ignore[arg-type]
        except InvalidTokenError as err:
            assert err.status in {401, 403}

    fuzz("token", strategy, check)


def test_any_payload_gives_claims_or_a_claims_error() -> None:
    def check(payload: dict[str, Any]) -> None:
        try:
            Claims.from_payload(payload)
        except ClaimsError as err:
            assert err.reason

    fuzz("claims", claim_payloads, check)


def test_total_examples_is_at_least_ten_thousand() -> None:
    assert sum(EXAMPLES.values()) >= 10_000
