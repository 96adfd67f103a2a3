"""TokenVerifier: the §3.8 procedure with real keys, one refusal per test."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from opensock.config import SigningKeySettings
from opensock.domain.auth.tokens import TokenVerifier
from opensock.domain.auth.wire import MAX_TOKEN_LENGTH, parse_token
from opensock.errors import InvalidTokenError
from tests.unit.domain.auth.helpers import (
    ALGORITHMS,
    NOW,
    FrozenClock,
    KeyPair,
    b64url_json,
    claims,
    defect,
    forge,
)

Build = Callable[..., TokenVerifier]


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


@pytest.mark.parametrize("exp", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_non_finite_numbers_in_the_payload_are_malformed(
    exp: bytes, verifier: TokenVerifier
) -> None:
    header = b64url_json({"alg": "HS256", "typ": "JWT"})
    body = base64.urlsafe_b64encode(b'{"exp": ' + exp + b', "scope": "connect"}').decode()
    assert defect(verifier, f"{header}.{body.rstrip('=')}.c2ln") == "malformed token"


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


def test_leeway_extends_nbf_when_configured(hs256: KeyPair, make_verifier: Build) -> None:
    verifier = make_verifier(hs256.slot(), leeway=5)
    assert verifier.verify(hs256.sign(claims(nbf=NOW + 5)), scope="connect")
    assert defect(verifier, hs256.sign(claims(nbf=NOW + 6))) == "token not yet valid"


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


# --- the compact form ---------------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, 123, b"a.b.c", ["a", "b", "c"]])
def test_a_token_that_is_not_text_is_malformed(token: Any) -> None:
    with pytest.raises(InvalidTokenError, match="malformed token"):
        parse_token(token)


def test_a_token_of_the_maximum_length_is_read_one_longer_is_not() -> None:
    header, payload = b64url_json({"alg": "HS256"}), b64url_json({"scope": "connect"})
    token = f"{header}.{payload}." + "s" * (MAX_TOKEN_LENGTH - len(header) - len(payload) - 2)
    assert len(token) == MAX_TOKEN_LENGTH
    assert parse_token(token) == ({"alg": "HS256"}, {"scope": "connect"})
    with pytest.raises(InvalidTokenError, match="malformed token"):
        parse_token(token + "s")


def test_a_weak_key_verifies_without_a_warning(make_verifier: Build) -> None:
    secret = b"short"
    encoded = base64.b64encode(secret).decode()
    verifier = make_verifier(SigningKeySettings(method="HS256", encoded=encoded))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyjwt warns when signing with a short secret
        token = jwt.encode(claims(), secret, algorithm="HS256")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Hotsock takes any secret: no warning per request
        filters = list(warnings.filters)
        assert verifier.verify(token, scope="connect")
        assert warnings.filters == filters  # and the process's warning filters are untouched
