"""TokenVerifier in context: scopes, connection targets (§3.6), claim validation, single use
and construction from Settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opensock.domain.auth.claims import Claims
from opensock.domain.auth.tokens import TokenVerifier
from opensock.errors import InvalidTokenError
from tests.unit.domain.auth.helpers import (
    NOW,
    FrozenClock,
    KeyPair,
    MemoryUsedTokens,
    claims,
    defect,
    not_allowed,
    refused,
)

Build = Callable[..., TokenVerifier]


# --- scope --------------------------------------------------------------------------------
@pytest.mark.parametrize("scope", ["subscribe", "umd", "", "subscribe umd", "connects"])
def test_connect_needs_the_connect_scope(
    scope: str, hs256: KeyPair, verifier: TokenVerifier
) -> None:
    assert not_allowed(verifier, hs256.sign(claims(scope=scope))) == "token lacks the connect scope"


def test_missing_scope_is_a_defect(hs256: KeyPair, verifier: TokenVerifier) -> None:
    assert defect(verifier, hs256.sign({"exp": NOW + 60})) == "missing scope claim"


def test_scope_of_the_wrong_type_is_a_defect(hs256: KeyPair, verifier: TokenVerifier) -> None:
    token = hs256.sign(claims(scope=["connect"]))
    assert defect(verifier, token) == "invalid scope claim"


def test_multi_scope_token_is_accepted_in_each_context(
    hs256: KeyPair, verifier: TokenVerifier
) -> None:
    token = hs256.sign(claims(scope="connect subscribe", uid="u"))
    assert verifier.verify(token, scope="connect")
    assert verifier.verify(token, scope="subscribe", connection_uid="u")


# --- targets (§3.6) -----------------------------------------------------------------------
@pytest.mark.parametrize("connection_id", ["abc=", ""])
def test_connection_id_claim_on_a_connect_token_is_refused(
    connection_id: str, hs256: KeyPair, verifier: TokenVerifier
) -> None:
    token = hs256.sign(claims(scope="connect subscribe", connectionId=connection_id))
    assert not_allowed(verifier, token) == "connectionId not allowed on a connect token"


@pytest.mark.parametrize("scope", ["subscribe", "umd"])
def test_bound_token_for_this_connection_is_accepted(
    scope: Any, hs256: KeyPair, verifier: TokenVerifier
) -> None:
    token = hs256.sign(claims(scope=scope, connectionId="c1=", uid="other"))
    result = verifier.verify(token, scope=scope, connection_id="c1=", connection_uid="me")
    assert result.connection_id == "c1="


@pytest.mark.parametrize("scope", ["subscribe", "umd"])
def test_bound_token_for_another_connection_is_refused_whatever_the_uid(
    scope: Any, hs256: KeyPair, verifier: TokenVerifier
) -> None:
    token = hs256.sign(claims(scope=scope, connectionId="c2=", uid="me"))
    reason = not_allowed(verifier, token, scope=scope, connection_id="c1=", connection_uid="me")
    assert reason == "connectionId does not match this connection"


@pytest.mark.parametrize("scope", ["subscribe", "umd"])
def test_unbound_token_with_this_connections_uid_is_accepted(
    scope: Any, hs256: KeyPair, verifier: TokenVerifier
) -> None:
    token = hs256.sign(claims(scope=scope, uid="me"))
    assert verifier.verify(token, scope=scope, connection_id="c1=", connection_uid="me")


@pytest.mark.parametrize(
    ("token_uid", "connection_uid"),
    [("other", "me"), (None, "me"), ("", ""), ("me", None)],
    ids=["other-uid", "no-uid", "empty-uid", "anonymous-connection"],
)
def test_unbound_token_needs_the_connections_non_empty_uid(
    token_uid: str | None, connection_uid: str | None, hs256: KeyPair, verifier: TokenVerifier
) -> None:
    payload = (
        claims(scope="subscribe") if token_uid is None else claims(scope="subscribe", uid=token_uid)
    )
    reason = not_allowed(
        verifier, hs256.sign(payload), scope="subscribe", connection_uid=connection_uid
    )
    assert reason == "uid does not match this connection"


def test_connection_id_of_the_wrong_type_is_a_defect(
    hs256: KeyPair, verifier: TokenVerifier
) -> None:
    token = hs256.sign(claims(scope="subscribe", connectionId=5))
    assert (
        defect(verifier, token, scope="subscribe", connection_id="5")
        == "invalid connectionId claim"
    )


def test_numeric_uid_on_an_unbound_subscribe_token_is_a_defect(
    hs256: KeyPair, verifier: TokenVerifier
) -> None:
    token = hs256.sign(claims(scope="subscribe", uid=5))
    assert defect(verifier, token, scope="subscribe", connection_uid="5") == "invalid uid claim"


# --- structural claims --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"channels": {"c": {"subscribe": "yes"}}}, "invalid channels claim"),
        ({"uid": 42}, "invalid uid claim"),
        ({"uid": "u" * 129}, "invalid uid claim"),
        ({"umd": "x" * 1023}, "invalid umd claim"),
        ({"heartbeatTimeout": 4}, "invalid heartbeatTimeout claim"),
        ({"keepAlive": "true"}, "invalid keepAlive claim"),
        ({"channels": {"#regex:(": {"subscribe": True}}}, "invalid channels claim"),
        ({"channels": {"#regex:(?<=a)b": {"subscribe": True}}}, "invalid channels claim"),
        ({"channels": {"c": {"messages": {"#regex:[": {}}}}}, "invalid channels claim"),
        ({"channels": {"c": {"storage": {"#regex:(a)\\1": {}}}}}, "invalid channels claim"),
        ({"channels": {"c": {"storage": {"k": {"store": 0}}}}}, "invalid channels claim"),
        ({"channels": {"c.*": {"alias": "c"}}}, "invalid channels claim"),
        ({"channels": []}, "invalid channels claim"),
        ({"iat": "yesterday"}, "invalid iat claim"),
        ({"jti": 5}, "invalid jti claim"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_malformed_claims_refuse_the_whole_token(
    extra: dict[str, Any], reason: str, hs256: KeyPair, verifier: TokenVerifier
) -> None:
    assert defect(verifier, hs256.sign(claims(**extra))) == reason


def test_single_use_without_jti_is_refused(hs256: KeyPair, verifier: TokenVerifier) -> None:
    assert defect(verifier, hs256.sign(claims(singleUse=True))) == "single-use token without jti"


# --- single use ---------------------------------------------------------------------------
def test_single_use_token_is_consumed_once(
    hs256: KeyPair, verifier: TokenVerifier, used_tokens: MemoryUsedTokens
) -> None:
    # GIVEN a single-use token that verifies
    token = hs256.sign(claims(singleUse=True, jti="j-1"))
    first = verifier.verify(token, scope="connect")
    # WHEN it is consumed, then presented again
    verifier.consume(first)
    second = verifier.verify(token, scope="connect")
    # THEN the second use is refused and the jti is kept until exp
    with pytest.raises(InvalidTokenError) as caught:
        verifier.consume(second)
    assert type(caught.value) is InvalidTokenError
    assert caught.value.reason == "token already used"
    assert used_tokens.used == {"j-1": NOW + 60}


def test_single_use_consumption_spans_contexts(hs256: KeyPair, verifier: TokenVerifier) -> None:
    token = hs256.sign(claims(scope="connect umd", uid="u", singleUse=True, jti="j-2"))
    verifier.consume(verifier.verify(token, scope="connect"))
    again = verifier.verify(token, scope="umd", connection_uid="u")
    with pytest.raises(InvalidTokenError, match="token already used"):
        verifier.consume(again)


def test_verify_alone_never_consumes(
    hs256: KeyPair, verifier: TokenVerifier, used_tokens: MemoryUsedTokens
) -> None:
    token = hs256.sign(claims(singleUse=True, jti="j-3"))
    verifier.verify(token, scope="connect")
    verifier.verify(token, scope="connect")
    assert used_tokens.used == {}


def test_nbf_refusal_does_not_consume(
    hs256: KeyPair, verifier: TokenVerifier, used_tokens: MemoryUsedTokens, clock: FrozenClock
) -> None:
    token = hs256.sign(claims(singleUse=True, jti="j-4", nbf=NOW + 10))
    assert defect(verifier, token) == "token not yet valid"
    clock.now = NOW + 10
    verifier.consume(verifier.verify(token, scope="connect"))
    assert used_tokens.used == {"j-4": NOW + 60}


def test_consuming_a_reusable_token_records_nothing(
    hs256: KeyPair, verifier: TokenVerifier, used_tokens: MemoryUsedTokens
) -> None:
    token = hs256.sign(claims(jti="j-5", singleUse=False))
    verifier.consume(verifier.verify(token, scope="connect"))
    verifier.consume(verifier.verify(token, scope="connect"))
    assert used_tokens.used == {}


def test_single_use_without_a_registry_is_refused(hs256: KeyPair, make_verifier: Build) -> None:
    verifier = make_verifier(hs256.slot(), used_tokens=None)
    claims_ = verifier.verify(hs256.sign(claims(singleUse=True, jti="j")), scope="connect")
    with pytest.raises(InvalidTokenError, match="single-use token cannot be recorded"):
        verifier.consume(claims_)


# --- construction -------------------------------------------------------------------------
def test_from_settings_uses_keys_audience_issuer_and_leeway(
    hs256: KeyPair, clock: FrozenClock
) -> None:
    from opensock.config import load_settings

    settings = load_settings(
        {
            "TABLE_NAME": "t",
            "WEBSOCKET_CALLBACK_URL": "https://example/v1",
            "SIGNING_KEY_1_METHOD": "HS256",
            "SIGNING_KEY_1_ID": "k1",
            "SIGNING_KEY_1_ENCODED": hs256.slot().encoded,
            "TOKEN_AUDIENCE": "aud-1",
            "TOKEN_ISSUER": "iss-1",
            "TOKEN_LEEWAY_SECONDS": "3",
        }
    )
    used = MemoryUsedTokens()
    verifier = TokenVerifier.from_settings(settings, clock=clock, used_tokens=used)
    kid = {"kid": "k1"}
    # the leeway, and the clock given (nbf is still in the future by the system clock)
    token = hs256.sign(claims(aud="aud-1", iss="iss-1", exp=NOW - 2, nbf=NOW - 10), headers=kid)
    assert isinstance(verifier.verify(token, scope="connect"), Claims)
    # the audience and the issuer
    assert defect(verifier, hs256.sign(claims(aud="x", iss="iss-1"), headers=kid)) == (
        "audience mismatch"
    )
    assert defect(verifier, hs256.sign(claims(aud="aud-1", iss="x"), headers=kid)) == (
        "issuer mismatch"
    )
    # the used-token registry
    single = hs256.sign(claims(aud="aud-1", iss="iss-1", singleUse=True, jti="j-9"), headers=kid)
    verifier.consume(verifier.verify(single, scope="connect"))
    with pytest.raises(InvalidTokenError, match="token already used"):
        verifier.consume(verifier.verify(single, scope="connect"))


def test_reasons_never_contain_the_token(hs256: KeyPair, verifier: TokenVerifier) -> None:
    token = hs256.sign(claims(exp=NOW - 1, uid="secret-user"))
    error = refused(verifier, token)
    assert "secret-user" not in str(error)
