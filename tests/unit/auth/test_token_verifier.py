"""TokenVerifier: the §3.8 procedure with real keys, one refusal per test."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from opensock.auth.claims import Claims
from opensock.auth.tokens import TokenVerifier
from opensock.errors import InvalidTokenError, TokenScopeError
from tests.unit.auth.helpers import (
    ALGORITHMS,
    NOW,
    FrozenClock,
    KeyPair,
    MemoryUsedTokens,
    b64url_json,
    claims,
    forge,
    pem,
)

Build = Callable[..., TokenVerifier]


def refused(verifier: TokenVerifier, token: str, **context: Any) -> InvalidTokenError:
    context.setdefault("scope", "connect")
    with pytest.raises(InvalidTokenError) as caught:
        verifier.verify(token, **context)
    if len(token) > 10:
        assert token not in str(caught.value)
    return caught.value


def defect(verifier: TokenVerifier, token: str, **context: Any) -> str:
    error = refused(verifier, token, **context)
    assert type(error) is InvalidTokenError
    return error.reason


def not_allowed(verifier: TokenVerifier, token: str, **context: Any) -> str:
    error = refused(verifier, token, **context)
    assert isinstance(error, TokenScopeError)
    assert error.status == 403
    return error.reason


# --- every algorithm ---------------------------------------------------------------------
@pytest.mark.parametrize("method", ALGORITHMS)
def test_each_algorithm_is_accepted_with_its_own_slot(
    method: str, key_pairs: dict[str, KeyPair], make_verifier: Build
) -> None:
    # GIVEN a verifier whose only slot uses this method
    pair = key_pairs[method]
    verifier = make_verifier(pair.slot())
    # WHEN a token signed with that method's key is verified
    result = verifier.verify(pair.sign(claims(uid="u1")), scope="connect")
    # THEN its claims come back
    assert result.uid == "u1"
    assert result.scopes == {"connect"}


def test_slot_key_wrapped_with_literal_backslash_n_and_whitespace_is_accepted(
    key_pairs: dict[str, KeyPair], make_verifier: Build
) -> None:
    pair = key_pairs["ES256"]
    encoded = base64.b64encode(pair.material).decode()
    wrapped = "\\n".join(encoded[i : i + 40] for i in range(0, len(encoded), 40)) + "\n  "
    verifier = make_verifier(pair.slot().model_copy(update={"encoded": wrapped}))
    assert verifier.verify(pair.sign(claims()), scope="connect").expires_at == NOW + 60


def test_short_hmac_secret_is_accepted_without_warning(make_verifier: Build) -> None:
    # GIVEN a 5-byte secret (pyjwt warns below 32 bytes; Hotsock accepts any secret)
    verifier = make_verifier(KeyPair("HS256", b"short", b"short").slot())
    header = {"alg": "HS256", "typ": "JWT"}
    # THEN it verifies without a warning (warnings are errors here) and still checks signatures
    assert verifier.verify(forge(header, claims(), secret=b"short"), scope="connect")
    assert defect(verifier, forge(header, claims(), secret=b"other")) == (
        "signature verification failed"
    )


# --- algorithm and key selection ---------------------------------------------------------
def test_alg_none_is_refused(verifier: TokenVerifier) -> None:
    token = forge({"alg": "none", "typ": "JWT"}, claims())
    assert defect(verifier, token) == "unsupported algorithm"


def test_hs256_signed_with_the_rsa_public_pem_is_refused_by_an_rs256_slot(
    key_pairs: dict[str, KeyPair], make_verifier: Build
) -> None:
    pair = key_pairs["RS256"]
    verifier = make_verifier(pair.slot())
    token = forge({"alg": "HS256", "typ": "JWT"}, claims(), secret=pair.material)
    assert defect(verifier, token) == "algorithm not accepted"


def test_a_strangers_rs256_key_is_refused(
    key_pairs: dict[str, KeyPair], stranger_rsa: rsa.RSAPrivateKey, make_verifier: Build
) -> None:
    verifier = make_verifier(key_pairs["RS256"].slot())
    token = jwt.encode(claims(), stranger_rsa, algorithm="RS256")
    assert defect(verifier, token) == "signature verification failed"


def test_a_strangers_es256_key_is_refused(
    key_pairs: dict[str, KeyPair], make_verifier: Build
) -> None:
    verifier = make_verifier(key_pairs["ES256"].slot())
    token = jwt.encode(claims(), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    assert defect(verifier, token) == "signature verification failed"


def test_hs384_token_is_refused_by_an_hs256_slot(
    key_pairs: dict[str, KeyPair], make_verifier: Build
) -> None:
    secret = key_pairs["HS512"].material
    verifier = make_verifier(KeyPair("HS256", secret, secret).slot())
    token = jwt.encode(claims(), secret, algorithm="HS384")
    assert defect(verifier, token) == "algorithm not accepted"


def test_unknown_kid_is_refused_when_the_slot_has_a_key_id(
    hs256: KeyPair, make_verifier: Build
) -> None:
    verifier = make_verifier(hs256.slot(key_id="k1"))
    assert defect(verifier, hs256.sign(claims(), headers={"kid": "k2"})) == "unknown key id"


def test_missing_kid_is_refused_when_the_slot_has_a_key_id(
    hs256: KeyPair, make_verifier: Build
) -> None:
    verifier = make_verifier(hs256.slot(key_id="k1"))
    assert defect(verifier, hs256.sign(claims())) == "unknown key id"


def test_matching_kid_is_accepted(hs256: KeyPair, make_verifier: Build) -> None:
    verifier = make_verifier(hs256.slot(key_id="k1"))
    assert verifier.verify(hs256.sign(claims(), headers={"kid": "k1"}), scope="connect")


def test_non_string_kid_is_refused(hs256: KeyPair, verifier: TokenVerifier) -> None:
    token = forge({"alg": "HS256", "typ": "JWT", "kid": 7}, claims(), secret=hs256.material)
    assert defect(verifier, token) == "invalid kid header"


def test_two_slots_with_blank_key_ids_accept_any_kid(make_verifier: Build) -> None:
    # GIVEN rotation: an old and a new HS256 secret, both slots without a key id
    old, new = KeyPair("HS256", b"o" * 32, b"o" * 32), KeyPair("HS256", b"n" * 32, b"n" * 32)
    verifier = make_verifier(old.slot(), new.slot())
    # THEN tokens from either secret verify, whatever kid they carry
    assert verifier.verify(old.sign(claims(), headers={"kid": "anything"}), scope="connect")
    assert verifier.verify(new.sign(claims()), scope="connect")
    assert verifier.verify(new.sign(claims(), headers={"kid": "other"}), scope="connect")


def test_rotation_slot_with_key_id_is_skipped_for_other_kids(make_verifier: Build) -> None:
    # GIVEN slot 1 pinned to kid "a", slot 2 blank
    first, second = KeyPair("HS256", b"a" * 32, b"a" * 32), KeyPair("HS256", b"b" * 32, b"b" * 32)
    verifier = make_verifier(first.slot(key_id="a"), second.slot())
    # THEN slot 1's key is only tried for kid "a"
    assert verifier.verify(first.sign(claims(), headers={"kid": "a"}), scope="connect")
    token = first.sign(claims(), headers={"kid": "z"})
    assert defect(verifier, token) == "signature verification failed"


def test_tampered_payload_is_refused(hs256: KeyPair, verifier: TokenVerifier) -> None:
    header, _, signature = hs256.sign(claims(uid="alice")).split(".")
    token = ".".join([header, b64url_json(claims(uid="mallory")), signature])
    assert defect(verifier, token) == "signature verification failed"


def test_unsupported_crit_header_is_refused(hs256: KeyPair, verifier: TokenVerifier) -> None:
    token = hs256.sign(claims(), headers={"crit": ["exp"], "exp": 1})
    assert defect(verifier, token) == "malformed token"


# --- header -------------------------------------------------------------------------------
@pytest.mark.parametrize("typ", ["JWS", "jwt", None, 1])
def test_typ_other_than_jwt_is_refused(
    typ: object, hs256: KeyPair, verifier: TokenVerifier
) -> None:
    header = {"alg": "HS256"} if typ is None else {"alg": "HS256", "typ": typ}
    token = forge(header, claims(), secret=hs256.material)
    assert defect(verifier, token) == "typ must be JWT"


# --- malformed input ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        "eyJ.eyJ.sig",
        f"{b64url_json([1])}.{b64url_json({})}.",
        f"{b64url_json({'alg': 'HS256', 'typ': 'JWT'})}.{b64url_json('text')}.",
        "x" * 20_000,
        "a." * 10_000 + "b",
        ".".join(["A" * 7000] * 3),
    ],
    ids=[
        "empty",
        "garbage",
        "two-parts",
        "four-parts",
        "not-base64",
        "not-json",
        "header-array",
        "payload-string",
        "20kb-junk",
        "20kb-dots",
        "21kb-segments",
    ],
)
def test_malformed_input_is_refused(token: str, verifier: TokenVerifier) -> None:
    assert defect(verifier, token) == "malformed token"


def test_nan_in_payload_is_malformed(hs256: KeyPair, verifier: TokenVerifier) -> None:
    header = b64url_json({"alg": "HS256", "typ": "JWT"})
    body = base64.urlsafe_b64encode(b'{"exp": NaN, "scope": "connect"}').rstrip(b"=").decode()
    assert defect(verifier, f"{header}.{body}.c2ln") == "malformed token"


# --- exp / nbf ----------------------------------------------------------------------------
def test_expired_token_is_refused(hs256: KeyPair, verifier: TokenVerifier) -> None:
    assert defect(verifier, hs256.sign(claims(exp=NOW))) == "token expired"


def test_token_expiring_next_second_is_accepted(hs256: KeyPair, verifier: TokenVerifier) -> None:
    assert verifier.verify(hs256.sign(claims(exp=NOW + 1)), scope="connect")


def test_fractional_clock_compares_whole_seconds(
    hs256: KeyPair, verifier: TokenVerifier, clock: FrozenClock
) -> None:
    clock.now = NOW + 0.999
    assert verifier.verify(hs256.sign(claims(exp=NOW + 1)), scope="connect")


def test_leeway_extends_exp_when_configured(hs256: KeyPair, make_verifier: Build) -> None:
    verifier = make_verifier(hs256.slot(), leeway=5)
    assert verifier.verify(hs256.sign(claims(exp=NOW - 4)), scope="connect")
    assert defect(verifier, hs256.sign(claims(exp=NOW - 5))) == "token expired"


@pytest.mark.parametrize("exp", [str(NOW + 60), True, NOW + 60.5, [NOW + 60], {"t": 1}])
def test_exp_that_is_not_an_integer_is_refused(
    exp: object, hs256: KeyPair, verifier: TokenVerifier
) -> None:
    assert defect(verifier, hs256.sign(claims(exp=exp))) == "invalid exp claim"


def test_integral_float_exp_is_accepted(hs256: KeyPair, verifier: TokenVerifier) -> None:
    result = verifier.verify(hs256.sign(claims(exp=float(NOW + 60))), scope="connect")
    assert result.expires_at == NOW + 60


def test_missing_exp_is_refused(hs256: KeyPair, verifier: TokenVerifier) -> None:
    assert defect(verifier, hs256.sign({"scope": "connect"})) == "missing exp claim"


def test_nbf_in_the_future_is_refused(hs256: KeyPair, verifier: TokenVerifier) -> None:
    assert defect(verifier, hs256.sign(claims(nbf=NOW + 1))) == "token not yet valid"


def test_nbf_now_is_accepted(hs256: KeyPair, verifier: TokenVerifier) -> None:
    assert verifier.verify(hs256.sign(claims(nbf=NOW)), scope="connect").not_before == NOW


def test_nbf_as_string_is_refused(hs256: KeyPair, verifier: TokenVerifier) -> None:
    assert defect(verifier, hs256.sign(claims(nbf="0"))) == "invalid nbf claim"


# --- aud / iss ----------------------------------------------------------------------------
@pytest.mark.parametrize("aud", ["other", ["other", "more"], None, 7, {"aud": "hs"}])
def test_wrong_audience_is_refused(aud: object, hs256: KeyPair, make_verifier: Build) -> None:
    verifier = make_verifier(hs256.slot(), audience="hs")
    payload = claims() if aud is None else claims(aud=aud)
    assert defect(verifier, hs256.sign(payload)) == "audience mismatch"


@pytest.mark.parametrize("aud", ["hs", ["other", "hs"]])
def test_matching_audience_is_accepted(aud: object, hs256: KeyPair, make_verifier: Build) -> None:
    verifier = make_verifier(hs256.slot(), audience="hs")
    assert verifier.verify(hs256.sign(claims(aud=aud)), scope="connect").audience == aud


def test_audience_is_ignored_when_not_configured(hs256: KeyPair, verifier: TokenVerifier) -> None:
    assert verifier.verify(hs256.sign(claims(aud="anyone")), scope="connect")


def test_audience_of_the_wrong_type_is_a_claim_defect_even_when_unconfigured(
    hs256: KeyPair, verifier: TokenVerifier
) -> None:
    assert defect(verifier, hs256.sign(claims(aud=7))) == "invalid aud claim"


@pytest.mark.parametrize("iss", ["other", None])
def test_wrong_issuer_is_refused(iss: str | None, hs256: KeyPair, make_verifier: Build) -> None:
    verifier = make_verifier(hs256.slot(), issuer="acme")
    payload = claims() if iss is None else claims(iss=iss)
    assert defect(verifier, hs256.sign(payload)) == "issuer mismatch"


def test_matching_issuer_is_accepted(hs256: KeyPair, make_verifier: Build) -> None:
    verifier = make_verifier(hs256.slot(), issuer="acme")
    assert verifier.verify(hs256.sign(claims(iss="acme")), scope="connect").issuer == "acme"


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
    from opensock.settings import load_settings

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
    verifier = TokenVerifier.from_settings(settings, clock=clock)
    token = hs256.sign(claims(aud="aud-1", iss="iss-1", exp=NOW - 2), headers={"kid": "k1"})
    assert isinstance(verifier.verify(token, scope="connect"), Claims)
    assert defect(verifier, hs256.sign(claims(aud="aud-1", iss="x"), headers={"kid": "k1"})) == (
        "issuer mismatch"
    )


def test_reasons_never_contain_the_token(hs256: KeyPair, verifier: TokenVerifier) -> None:
    token = hs256.sign(claims(exp=NOW - 1, uid="secret-user"))
    error = refused(verifier, token)
    assert "secret-user" not in str(error)
    assert pem  # helpers stay importable
