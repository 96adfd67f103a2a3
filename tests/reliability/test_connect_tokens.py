"""`$connect` refuses every malformed, forged or misused token (PROTOCOL §3.8, §3.9, Q-AUTH-1).

Each corpus token is offered to the real ConnectFunction on moto: the handshake is refused with
401 (token defect) or 403 (sound token, wrong scope/target), the body is empty, the table stays
empty, and nothing is invoked, posted, emitted or scheduled.
"""

from __future__ import annotations

from typing import Any

import pytest

from functions.connect.app import lambda_handler
from tests.reliability.kit import (
    DEFECT,
    NOW,
    BadToken,
    TokenKit,
    corpus_for,
    side_effects,
    table_items,
)
from tests.support.events import ws_event
from tests.support.fakes import FakeLambdaContext, FrozenClock
from tests.support.stack import Stack

CONNECT_CORPUS = corpus_for("connect")


def connect(stack: Stack, query: dict[str, str] | None, cid: str = "Rel1ConnAAAA=") -> Any:
    event = ws_event("connect", connection_id=cid, query=query)
    if query is None:
        event["queryStringParameters"] = None
        event["multiValueQueryStringParameters"] = None
    return lambda_handler(event, FakeLambdaContext(), app=stack.app)


def assert_nothing_happened(stack: Stack) -> None:
    assert table_items(stack) == []
    assert side_effects(stack) == {"frames": {}, "pubsub": [], "invokes": [], "schedules": []}


def test_corpus_is_large_enough() -> None:
    assert len(CONNECT_CORPUS) >= 40
    assert len({case.name for case in CONNECT_CORPUS}) == len(CONNECT_CORPUS)


@pytest.mark.parametrize("issued_as", ["rs256", "hs256"])
def test_the_good_token_is_accepted(rel_stack: Stack, kit: TokenKit, issued_as: str) -> None:
    # GIVEN the payload every corpus case is derived from, signed by either configured slot
    token = getattr(kit, issued_as)(kit.good("connect"))
    # WHEN it opens a connection
    response = connect(rel_stack, {"token": token})
    # THEN the handshake succeeds (so each refusal below is caused by its one defect)
    assert response == {"statusCode": 200}
    assert [item["sk"] for item in table_items(rel_stack)] == ["conn"]


@pytest.mark.parametrize("case", CONNECT_CORPUS, ids=lambda case: case.name)
def test_bad_token_is_refused_and_nothing_is_written(
    rel_stack: Stack, kit: TokenKit, case: BadToken
) -> None:
    # GIVEN a malformed, forged or misused token
    token = case.build(kit, "connect")
    # WHEN it is offered to $connect
    response = connect(rel_stack, {"token": token})
    # THEN the handshake is refused with the documented status and an empty body
    assert response == {"statusCode": 401 if case.kind == DEFECT else 403}
    # AND nothing was stored, invoked, posted or emitted
    assert_nothing_happened(rel_stack)


@pytest.mark.parametrize(
    "query",
    [None, {}, {"token": ""}, {"Token": "x"}, {"token": "%00"}],
    ids=["no query", "empty query", "empty token", "wrong case name", "nul byte"],
)
def test_missing_token_is_refused(rel_stack: Stack, query: dict[str, str] | None) -> None:
    assert connect(rel_stack, query) == {"statusCode": 401}
    assert_nothing_happened(rel_stack)


def test_single_use_token_opens_exactly_one_connection(rel_stack: Stack, kit: TokenKit) -> None:
    # GIVEN a single-use connect token
    token = kit.rs256(kit.good("connect", singleUse=True, jti="jti-once"))
    # WHEN it is presented twice
    first = connect(rel_stack, {"token": token}, cid="Conn1AAAAAA=")
    second = connect(rel_stack, {"token": token}, cid="Conn2AAAAAA=")
    # THEN only the first connect succeeds; the second is a token defect (401)
    assert (first["statusCode"], second["statusCode"]) == (200, 401)
    keys = [(item["pk"], item["sk"]) for item in table_items(rel_stack)]
    assert keys == [("conn#Conn1AAAAAA=", "conn"), ("jti#jti-once", "jti")]
    assert len(rel_stack.invoker.calls) == 1  # type: ignore[attr-defined]


def test_nbf_rejection_does_not_consume_a_single_use_token(
    rel_stack: Stack, kit: TokenKit, clock: FrozenClock
) -> None:
    # GIVEN a single-use token that is not valid yet
    token = kit.rs256(kit.good("connect", singleUse=True, jti="jti-later", nbf=NOW + 30))
    # WHEN it is presented early, then after nbf
    early = connect(rel_stack, {"token": token})
    assert early == {"statusCode": 401}
    assert_nothing_happened(rel_stack)
    clock.advance(30)
    # THEN the early refusal did not use it up (§3.7)
    assert connect(rel_stack, {"token": token})["statusCode"] == 200


def test_a_rejection_after_the_signature_does_not_consume_the_jti(
    rel_stack: Stack, kit: TokenKit
) -> None:
    # GIVEN a single-use token refused for a later check (§3.8 step 9 comes last)
    bad = kit.rs256(kit.good("connect", singleUse=True, jti="jti-x", heartbeatTimeout=1))
    assert connect(rel_stack, {"token": bad}) == {"statusCode": 401}
    # THEN its jti was not recorded
    assert_nothing_happened(rel_stack)


def test_a_token_is_accepted_the_second_before_exp_and_refused_at_exp(
    rel_stack: Stack, kit: TokenKit, clock: FrozenClock
) -> None:
    token = kit.rs256(kit.good("connect", exp=NOW + 1))
    assert connect(rel_stack, {"token": token}, cid="Conn1AAAAAA=")["statusCode"] == 200
    clock.advance(1)
    assert connect(rel_stack, {"token": token}, cid="Conn2AAAAAA=") == {"statusCode": 401}


def test_single_use_token_with_a_far_future_exp_is_answered_not_crashed(
    rel_stack: Stack, kit: TokenKit
) -> None:
    # GIVEN a single-use token whose exp does not fit a DynamoDB number (> 38 digits)
    token = kit.rs256(kit.good("connect", singleUse=True, jti="jti-big", exp=10**40))
    # WHEN it connects
    response = connect(rel_stack, {"token": token})
    # THEN the answer is a decision (accepted, or refused as a defect), never a 500
    assert response["statusCode"] in {200, 401}
