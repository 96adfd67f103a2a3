"""Subscribe and umd tokens: the same corpus, on every route that takes one (PROTOCOL §3.6–3.9).

- `hotsock.subscribe` `data.token` → `hotsock.error` INVALID_SUBSCRIBE_TOKEN on the channel;
- `hotsock.umdUpdate` `data.token` → `hotsock.error` INVALID_UMD_TOKEN;
- `POST /connection/umdUpdate` `token` → 400 INVALID_UMD_TOKEN (SERVER-API §4.1).

Every refusal leaves the table, the frames, pub/sub and the scheduler exactly as they were.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.reliability.drive import http, ws
from tests.reliability.kit import (
    CONNECTION_ID,
    UID,
    BadToken,
    TokenKit,
    corpus_for,
    other_scopes,
    snapshot,
    table_items,
)
from tests.support.channels import open_connection
from tests.support.stack import Stack

SUBSCRIBE_CORPUS = corpus_for("subscribe")
UMD_CORPUS = corpus_for("umd")
# A umd token's own channel entry allows the per-channel update (§12.1).
UMD_CHANNELS = {"room": {"umdUpdate": True}}


@pytest.fixture
def member(rel_stack: Stack) -> Any:
    """An open connection with no grants of its own, subscribed to nothing yet."""
    return open_connection(rel_stack, CONNECTION_ID, {"lobby": {"subscribe": True}}, uid=UID)


def subscribe_frame(token: str) -> dict[str, Any]:
    return {"event": "hotsock.subscribe", "channel": "room", "data": {"token": token}}


def umd_frame(token: str) -> dict[str, Any]:
    return {"event": "hotsock.umdUpdate", "data": {"token": token}}


def umd_token(kit: TokenKit, case: BadToken | None = None, scope: str = "umd") -> str:
    if case is not None:
        return case.build(kit, scope)
    return kit.rs256(kit.good(scope, umdUpdate=True, umd={"mood": "new"}, channels=UMD_CHANNELS))


def assert_refused(stack: Stack, before: dict[str, Any], frame: Any, code: str) -> None:
    assert frame is not None
    assert frame["event"] == "hotsock.error"
    assert frame["error"]["code"] == code
    assert snapshot(stack) == before


# --- positive controls -------------------------------------------------------------------
def test_good_subscribe_token_subscribes(rel_stack: Stack, kit: TokenKit, member: Any) -> None:
    response, frame = ws(
        rel_stack,
        "subscribe",
        subscribe_frame(kit.rs256(kit.good("subscribe"))),
        cid=member.connection_id,
    )
    assert (response, frame) == ({"statusCode": 200}, None)
    assert rel_stack.gateway.events(CONNECTION_ID) == ["hotsock.subscribed"]  # type: ignore[attr-defined]


def test_good_umd_token_updates(rel_stack: Stack, kit: TokenKit, member: Any) -> None:
    response, frame = ws(rel_stack, "umd_update", umd_frame(umd_token(kit)), cid=CONNECTION_ID)
    assert (response, frame) == ({"statusCode": 200}, None)
    assert rel_stack.connections.get(CONNECTION_ID).umd == {"mood": "new"}  # type: ignore[union-attr]
    creds = {"connectionId": CONNECTION_ID, "connectionSecret": member.secret}
    token = kit.rs256(kit.good("umd", umdUpdate=True, umd=2))
    assert http(rel_stack, "/connection/umdUpdate", {"token": token}, query=creds)[:2] == (
        200,
        {},
    )


# --- the corpus on every token route ------------------------------------------------------
@pytest.mark.parametrize("case", SUBSCRIBE_CORPUS, ids=lambda case: case.name)
def test_subscribe_refuses_bad_token(
    rel_stack: Stack, kit: TokenKit, member: Any, case: BadToken
) -> None:
    # GIVEN an open connection and a bad subscribe token for a channel only the token grants
    before = snapshot(rel_stack)
    # WHEN it subscribes with it
    _, frame = ws(
        rel_stack, "subscribe", subscribe_frame(case.build(kit, "subscribe")), cid=CONNECTION_ID
    )
    # THEN the answer is INVALID_SUBSCRIBE_TOKEN for that channel, and nothing changed
    assert_refused(rel_stack, before, frame, "INVALID_SUBSCRIBE_TOKEN")
    assert frame is not None and frame["channel"] == "room"


@pytest.mark.parametrize("case", UMD_CORPUS, ids=lambda case: case.name)
def test_ws_umd_update_refuses_bad_token(
    rel_stack: Stack, kit: TokenKit, member: Any, case: BadToken
) -> None:
    before = snapshot(rel_stack)
    _, frame = ws(rel_stack, "umd_update", umd_frame(umd_token(kit, case)), cid=CONNECTION_ID)
    assert_refused(rel_stack, before, frame, "INVALID_UMD_TOKEN")


@pytest.mark.parametrize("case", UMD_CORPUS, ids=lambda case: case.name)
def test_http_umd_update_refuses_bad_token(
    rel_stack: Stack, kit: TokenKit, member: Any, case: BadToken
) -> None:
    before = snapshot(rel_stack)
    creds = {"connectionId": CONNECTION_ID, "connectionSecret": member.secret}
    status, reply, _ = http(
        rel_stack, "/connection/umdUpdate", {"token": umd_token(kit, case)}, query=creds
    )
    assert (status, reply["error"]["code"]) == (400, "INVALID_UMD_TOKEN")
    assert snapshot(rel_stack) == before


# --- every scope misused on every route ----------------------------------------------------
@pytest.mark.parametrize("scope", other_scopes("subscribe"))
def test_subscribe_refuses_other_scopes(
    rel_stack: Stack, kit: TokenKit, member: Any, scope: str
) -> None:
    token = kit.rs256({**kit.good("subscribe"), "scope": scope})
    before = snapshot(rel_stack)
    _, frame = ws(rel_stack, "subscribe", subscribe_frame(token), cid=CONNECTION_ID)
    assert_refused(rel_stack, before, frame, "INVALID_SUBSCRIBE_TOKEN")


@pytest.mark.parametrize("scope", other_scopes("umd"))
def test_umd_routes_refuse_other_scopes(
    rel_stack: Stack, kit: TokenKit, member: Any, scope: str
) -> None:
    token = kit.rs256({**kit.good("umd", umdUpdate=True, umd=1), "scope": scope})
    before = snapshot(rel_stack)
    _, frame = ws(rel_stack, "umd_update", umd_frame(token), cid=CONNECTION_ID)
    assert_refused(rel_stack, before, frame, "INVALID_UMD_TOKEN")
    creds = {"connectionId": CONNECTION_ID, "connectionSecret": member.secret}
    status, reply, _ = http(rel_stack, "/connection/umdUpdate", {"token": token}, query=creds)
    assert (status, reply["error"]["code"]) == (400, "INVALID_UMD_TOKEN")
    assert snapshot(rel_stack) == before


@pytest.mark.parametrize(
    ("route", "path"),
    [("publishMessage", "publishMessage"), ("channelStorageSet", "channelStorageSet")],
)
def test_http_never_accepts_a_subscribe_token_as_credentials(
    rel_stack: Stack, kit: TokenKit, member: Any, route: str, path: str
) -> None:
    # GIVEN a valid subscribe token passed where the Client HTTP API expects the secret
    token = kit.rs256(kit.good("subscribe"))
    creds = {"connectionId": CONNECTION_ID, "connectionSecret": token}
    # THEN it is just a wrong secret (§3.6: HTTP calls never carry a subscribe token)
    body = {"channel": "room", "event": "e", "key": "k", "data": 1, "token": token}
    status, reply, _ = http(rel_stack, f"/connection/{path}", body, query=creds)
    assert (status, reply["error"]["code"]) == (401, "UNAUTHORIZED")


# --- single use across contexts (Q-AUTH-4) -------------------------------------------------
def test_single_use_subscribe_token_works_once(
    rel_stack: Stack, kit: TokenKit, member: Any
) -> None:
    token = kit.rs256(kit.good("subscribe", singleUse=True, jti="sub-once"))
    assert ws(rel_stack, "subscribe", subscribe_frame(token), cid=CONNECTION_ID)[1] is None
    unsubscribe = {"event": "hotsock.unsubscribe", "channel": "room"}
    assert ws(rel_stack, "unsubscribe", unsubscribe, cid=CONNECTION_ID)[1]["event"] == (  # type: ignore[index]
        "hotsock.unsubscribed"
    )
    before = snapshot(rel_stack)
    _, frame = ws(rel_stack, "subscribe", subscribe_frame(token), cid=CONNECTION_ID)
    assert_refused(rel_stack, before, frame, "INVALID_SUBSCRIBE_TOKEN")


def test_a_jti_used_at_connect_is_refused_by_umd_update(
    rel_stack: Stack, kit: TokenKit, member: Any
) -> None:
    # GIVEN a multi-scope single-use token whose first use was the connect
    payload = kit.good("umd", singleUse=True, jti="multi", umdUpdate=True, umd=1)
    token = kit.rs256(payload)
    assert (
        rel_stack.verifier.consume(
            rel_stack.verifier.verify(token, scope="umd", connection_id=CONNECTION_ID)
        )
        is None
    )
    before = snapshot(rel_stack)
    # WHEN it is presented again anywhere
    _, frame = ws(rel_stack, "umd_update", umd_frame(token), cid=CONNECTION_ID)
    # THEN it is refused as a token defect
    assert_refused(rel_stack, before, frame, "INVALID_UMD_TOKEN")
    assert [item["pk"] for item in table_items(rel_stack)].count("jti#multi") == 1
