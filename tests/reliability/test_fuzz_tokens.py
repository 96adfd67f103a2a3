"""High-volume fuzzing of what runs before any route logic: the WebSocket event parser, the
token verifier, the claims model and `at()` schedule expressions (no AWS).

Allowed outcomes as in test_fuzz_parsing.py: accepted, or refused with a documented error.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st

from opensock.domain.auth.claims import Claims, ClaimsError
from opensock.domain.auth.tokens import TokenVerifier
from opensock.domain.auth.wire import parse_token
from opensock.domain.schedule import parse_at
from opensock.edge.websocket import INVALID_JSON, parse_ws_event
from opensock.errors import InvalidTokenError
from tests.reliability.fuzzing import assert_documented, run_fuzz
from tests.reliability.kit import AUDIENCE, ISSUER, NOW, TokenKit, forge, verifier_slots
from tests.reliability.strategies import (
    claim_payloads,
    evil_text,
    json_values,
    raw_bodies,
    token_headers,
)
from tests.support.events import ws_event
from tests.support.fakes import FrozenClock

EXAMPLES = {"schedule": 400, "ws_event": 400, "token": 300, "claims": 200}


def fuzz(name: str, strategy: st.SearchStrategy[Any], check: Any) -> None:
    run_fuzz(EXAMPLES[name], strategy, check)


def test_schedule_expressions_never_crash() -> None:
    strategy = st.tuples(json_values | evil_text, st.none() | evil_text | json_values)
    fuzz(
        "schedule",
        strategy,
        lambda pair: assert_documented(lambda: parse_at(pair[0], pair[1], NOW)),
    )


def acceptable_json(text: str) -> tuple[bool, Any]:
    """The oracle: JSON that Python can parse (within its nesting limit) into valid Unicode."""
    try:
        value = json.loads(text)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return False, None
    return True, value


def test_any_websocket_event_body_parses() -> None:
    # parse_ws_event runs before the route's error mapping: it must never raise, and it must
    # hand the route the frame's JSON value, or the INVALID_JSON marker exactly when the text
    # is not acceptable JSON (the route then answers INVALID_MESSAGE)
    strategy = st.tuples(raw_bodies, st.booleans())

    def check(pair: tuple[str, bool]) -> None:
        raw, as_base64 = pair
        event = ws_event("default", connection_id="Fz1=", raw_body=raw)
        text = raw
        if as_base64:
            encoded = raw.encode("utf-8", "surrogatepass")
            event["body"] = base64.b64encode(encoded).decode()
            event["isBase64Encoded"] = True
            text = encoded.decode("utf-8", errors="replace")
        request = parse_ws_event(event, "invocation-1")
        assert (request.connection_id, request.request_id) == ("Fz1=", "invocation-1")
        assert request.raw_body == text
        ok, value = acceptable_json(text)
        if not ok:
            assert request.body is INVALID_JSON
        else:  # compared as JSON text: NaN is not equal to itself
            assert json.dumps(request.body) == json.dumps(value)

    fuzz("ws_event", strategy, check)


def test_any_token_is_verified_or_refused(kit: TokenKit) -> None:
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
