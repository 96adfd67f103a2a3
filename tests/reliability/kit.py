"""Reliability kit: signing keys, token forging, the bad-token corpus and state snapshots.

Key pairs are generated once per process (RSA generation is slow). `TokenKit.good(context)` is
the payload a context accepts; each corpus case derives one defect from it, so a refusal can
only come from that defect (the good token itself is a positive control in every test file).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from opensock.config import SigningKeySettings
from tests.support.env import HS256_SECRET
from tests.support.fakes import FrozenClock
from tests.unit.domain.auth.helpers import b64url, b64url_json, pem

NOW = int(FrozenClock().now)
AUDIENCE = "opensock-reliability"
ISSUER = "acme-app"
RSA_KID = "rsa-1"
UID = "u-rel"
CONNECTION_ID = "Rel1ConnAAAA="

Payload = dict[str, Any]


class TokenKit:
    """The installation's keys (RS256 `rsa-1` + HS256) and an attacker's keys."""

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.hs_secret = HS256_SECRET.encode()
        self.rsa_public_pem = pem(self.rsa.public_key())

    # --- signing ---------------------------------------------------------------------------
    def rs256(self, payload: Payload, headers: dict[str, Any] | None = None) -> str:
        """RS256 by the installation's key; signs any header/payload (pyjwt would refuse some)."""
        header = {
            "alg": "RS256",
            "typ": "JWT",
            **({"kid": RSA_KID} if headers is None else headers),
        }
        signing_input = f"{b64url_json(header)}.{b64url_json(payload)}".encode()
        signature = self.rsa.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode()}.{b64url(signature)}"

    def hs256(self, payload: Payload, secret: bytes | None = None) -> str:
        return forge({"alg": "HS256", "typ": "JWT"}, payload, secret or self.hs_secret)

    def good(self, scope: str, **extra: Any) -> Payload:
        payload: Payload = {
            "exp": NOW + 600,
            "scope": scope,
            "aud": AUDIENCE,
            "iss": ISSUER,
            "uid": UID,
            "channels": {"room": {"subscribe": True}, "presence.lobby": {"subscribe": True}},
        }
        if scope != "connect":
            payload["connectionId"] = CONNECTION_ID
        payload.update(extra)
        return payload


def verifier_slots(kit: TokenKit) -> tuple[SigningKeySettings, ...]:
    return (
        SigningKeySettings(
            method="RS256",
            key_id=RSA_KID,
            encoded=base64.b64encode(kit.rsa_public_pem).decode(),
        ),
        SigningKeySettings(method="HS256", encoded=base64.b64encode(kit.hs_secret).decode()),
    )


def forge(header: dict[str, Any], payload: Any, secret: bytes | None = None) -> str:
    """Compact JWS with any header/payload (even non-objects), HMAC-SHA256 signed or unsigned."""
    head = b64url_json(header) if not isinstance(header, str) else b64url(header.encode())
    body = b64url_json(payload) if not isinstance(payload, str) else b64url(payload.encode())
    signing_input = f"{head}.{body}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{b64url(signature)}"


def without(payload: Payload, *names: str) -> Payload:
    return {k: v for k, v in payload.items() if k not in names}


# --- the corpus -------------------------------------------------------------------------------
DEFECT = "defect"  # $connect 401; subscribe INVALID_SUBSCRIBE_TOKEN; umd INVALID_UMD_TOKEN
MISUSE = "misuse"  # $connect 403 (sound token, wrong scope/target); elsewhere as DEFECT


@dataclass(frozen=True)
class BadToken:
    name: str
    build: Callable[[TokenKit, str], str]
    """(kit, scope) -> token; scope is the one the context requires."""
    kind: str = DEFECT


def _rs(mutate: Callable[[Payload], Payload]) -> Callable[[TokenKit, str], str]:
    return lambda kit, scope: kit.rs256(mutate(kit.good(scope)))


def _set(**claims: Any) -> Callable[[TokenKit, str], str]:
    return _rs(lambda payload: {**payload, **claims})


def _channels(entry: dict[str, Any]) -> Callable[[TokenKit, str], str]:
    return _set(channels=entry)


def _tamper_payload(kit: TokenKit, scope: str) -> str:
    header, _, signature = kit.rs256(kit.good(scope)).split(".")
    richer = kit.good(scope, channels={"*": {"subscribe": True}}, uid="admin")
    return f"{header}.{b64url_json(richer)}.{signature}"


def _tamper_signature(kit: TokenKit, scope: str) -> str:
    token = kit.rs256(kit.good(scope))
    head, body, signature = token.split(".")
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    return f"{head}.{body}.{flipped}"


def _splice(kit: TokenKit, scope: str) -> str:
    other = kit.rs256(kit.good(scope, uid="someone-else")).split(".")[2]
    head, body, _ = kit.rs256(kit.good(scope)).split(".")
    return f"{head}.{body}.{other}"


def _strip_signature(kit: TokenKit, scope: str) -> str:
    head, body, _ = kit.rs256(kit.good(scope)).split(".")
    return f"{head}.{body}."


def _header(header: dict[str, Any], secret: bool = True) -> Callable[[TokenKit, str], str]:
    return lambda kit, scope: forge(header, kit.good(scope), kit.hs_secret if secret else None)


def _alg_confusion(kit: TokenKit, scope: str) -> str:
    # HS256 keyed with the RS256 slot's public PEM (the classic RS/HS confusion), kid rsa-1.
    header = {"alg": "HS256", "typ": "JWT", "kid": RSA_KID}
    return forge(header, kit.good(scope), kit.rsa_public_pem)


def _rs_as_hs_confusion(kit: TokenKit, scope: str) -> str:
    # Header says RS256 but the "signature" is an HMAC keyed with the public PEM.
    header = {"alg": "RS256", "typ": "JWT", "kid": RSA_KID}
    return forge(header, kit.good(scope), kit.rsa_public_pem)


def _es256(kit: TokenKit, scope: str) -> str:
    return jwt.encode(kit.good(scope), kit.ec, algorithm="ES256", headers={"kid": RSA_KID})


def _stranger(kit: TokenKit, scope: str) -> str:
    return jwt.encode(
        kit.good(scope), kit.stranger_rsa, algorithm="RS256", headers={"kid": "rsa-1"}
    )


def _jwk_header(kit: TokenKit, scope: str) -> str:
    # An embedded attacker key (RFC 7515 `jwk`) and `jku` must never be trusted.
    public = jwt.algorithms.RSAAlgorithm.to_jwk(kit.stranger_rsa.public_key(), as_dict=True)
    headers = {"kid": "rsa-1", "jwk": public, "jku": "https://evil.example/jwks.json"}
    return jwt.encode(kit.good(scope), kit.stranger_rsa, algorithm="RS256", headers=headers)


def _raw(text: str) -> Callable[[TokenKit, str], str]:
    return lambda kit, scope: text


def _segments(head: str, body: str) -> Callable[[TokenKit, str], str]:
    return lambda kit, scope: f"{head}.{body}.{b64url(b'sig')}"


def _wrap(fmt: str) -> Callable[[TokenKit, str], str]:
    return lambda kit, scope: fmt.format(kit.rs256(kit.good(scope)))


def _oversize(kit: TokenKit, scope: str) -> str:
    return kit.rs256(kit.good(scope, padding="x" * 20_000))


_REGEX_ERRORS = ("#regex:(", "#regex:a(?<=b)c", "#regex:(a)\\1", "#regex:[z-a]")

CORPUS: tuple[BadToken, ...] = (
    # 1. structure (§3.8 step 1)
    BadToken("empty string", _raw("")),
    BadToken("one segment", _raw("abc")),
    BadToken("two segments", _raw("abc.def")),
    BadToken("four segments", _wrap("{}.x")),
    BadToken("leading whitespace", _wrap(" {}")),
    BadToken("trailing newline", _wrap("{}\n")),
    BadToken("bearer prefix", _wrap("Bearer {}")),
    BadToken("header not base64url", _raw("!!!.eyJ9.c2ln")),
    BadToken("padded header segment", lambda k, s: "==.".join(k.rs256(k.good(s)).split(".", 1))),
    BadToken("header not JSON", _segments(b64url(b"not json"), b64url_json({}))),
    BadToken("header is a JSON array", _segments(b64url_json(["JWT"]), b64url_json({}))),
    BadToken("payload is a JSON string", lambda k, s: forge({"alg": "HS256", "typ": "JWT"}, '"x"')),
    BadToken("payload is a JSON array", lambda k, s: forge({"alg": "HS256", "typ": "JWT"}, "[1]")),
    BadToken("payload has NaN", lambda k, s: forge({"alg": "HS256", "typ": "JWT"}, '{"exp":NaN}')),
    BadToken("payload number overflows", lambda k, s: forge({"typ": "JWT"}, '{"exp":1e999}')),
    BadToken("payload is invalid UTF-8", _segments(b64url_json({}), b64url(b'{"uid":"\xff"}'))),
    BadToken("deeply nested payload", _segments(b64url_json({}), b64url(b"[" * 5000))),
    BadToken("over 16 KiB", _oversize),
    # 2. typ / alg (§3.8 step 2)
    BadToken("typ missing", _header({"alg": "HS256"})),
    BadToken("typ JWS", _header({"alg": "HS256", "typ": "JWS"})),
    BadToken("alg none", _header({"alg": "none", "typ": "JWT"}, secret=False)),
    BadToken("alg None", _header({"alg": "None", "typ": "JWT"}, secret=False)),
    BadToken("alg missing", _header({"typ": "JWT"})),
    BadToken("alg unknown HS1", _header({"alg": "HS1", "typ": "JWT"})),
    BadToken("alg not a string", _header({"alg": ["HS256"], "typ": "JWT"})),
    BadToken("alg ES256 not configured", _es256),
    # 3. key selection and signature (§3.4, step 3)
    BadToken("HS256 keyed with the RSA public PEM", _alg_confusion),
    BadToken("RS256 header with an HMAC signature", _rs_as_hs_confusion),
    BadToken("unknown kid", lambda k, s: k.rs256(k.good(s), {"kid": "rsa-2"})),
    BadToken("kid missing for a keyed slot", lambda k, s: k.rs256(k.good(s), {})),
    BadToken("kid not a string", lambda k, s: k.rs256(k.good(s), {"kid": 1})),
    BadToken("signed by a stranger's RSA key", _stranger),
    BadToken("embedded jwk / jku header", _jwk_header),
    BadToken("HS256 with the wrong secret", lambda k, s: k.hs256(k.good(s), b"wrong-secret-x" * 3)),
    BadToken("tampered payload", _tamper_payload),
    BadToken("tampered signature", _tamper_signature),
    BadToken("signature of another token", _splice),
    BadToken("signature stripped", _strip_signature),
    # 4. lifetime (step 4)
    BadToken("exp missing", _rs(lambda p: without(p, "exp"))),
    BadToken("exp in the past", _set(exp=NOW - 1)),
    BadToken("exp equals now", _set(exp=NOW)),
    BadToken("exp is a string", _set(exp=str(NOW + 600))),
    BadToken("exp is a boolean", _set(exp=True)),
    BadToken("exp is fractional", _set(exp=NOW + 600.5)),
    BadToken("exp is null", _set(exp=None)),
    BadToken("nbf in the future", _set(nbf=NOW + 1)),
    BadToken("nbf is a string", _set(nbf="0")),
    BadToken("iat is a string", _set(iat="yesterday")),
    # 5. audience / issuer (step 5)
    BadToken("aud missing", _rs(lambda p: without(p, "aud"))),
    BadToken("aud wrong", _set(aud="someone-else")),
    BadToken("aud list without ours", _set(aud=["a", "b"])),
    BadToken("aud as an object", _set(aud={"aud": AUDIENCE})),
    BadToken("iss missing", _rs(lambda p: without(p, "iss"))),
    BadToken("iss wrong", _set(iss="evil-app")),
    BadToken("iss in a list", _set(iss=[ISSUER])),
    # 6. scope (step 6)
    BadToken("scope missing", _rs(lambda p: without(p, "scope"))),
    BadToken("scope is a list", _rs(lambda p: {**p, "scope": [p["scope"]]})),
    BadToken("scope empty", _set(scope=""), MISUSE),
    BadToken("scope upper case", _rs(lambda p: {**p, "scope": p["scope"].upper()}), MISUSE),
    BadToken("scope as a prefix", _rs(lambda p: {**p, "scope": p["scope"] + "x"}), MISUSE),
    BadToken("scope comma separated", _rs(lambda p: {**p, "scope": f"x,{p['scope']}"}), MISUSE),
    # 8. claim structure (step 8, Q-AUTH-7)
    BadToken("uid is a number", _set(uid=7)),
    BadToken("uid over 128 characters", _set(uid="u" * 129)),
    BadToken("umd over 1 KiB", _set(umd={"bio": "x" * 1100})),
    BadToken("umd over 1 KiB in UTF-8 bytes", _set(umd="é" * 520)),
    BadToken("heartbeatTimeout 4", _set(heartbeatTimeout=4)),
    BadToken("heartbeatTimeout 601", _set(heartbeatTimeout=601)),
    BadToken("heartbeatTimeout a string", _set(heartbeatTimeout="60")),
    BadToken("keepAlive a string", _set(keepAlive="yes")),
    BadToken("channels a list", _set(channels=["room"])),
    BadToken("channels entry not an object", _channels({"room": True})),
    BadToken("subscribe is a string", _channels({"room": {"subscribe": "yes"}})),
    BadToken("messages not an object", _channels({"room": {"messages": ["chat"]}})),
    BadToken(
        "message store too large", _channels({"r": {"messages": {"e": {"store": 3155695201}}}})
    ),
    BadToken("message store -2", _channels({"r": {"messages": {"e": {"store": -2}}}})),
    BadToken("storage store 0", _channels({"r": {"storage": {"k": {"store": 0}}}})),
    BadToken("react is a number", _channels({"r": {"messages": {"e": {"react": 1}}}})),
    BadToken(
        "scheduleBefore a date string",
        _channels({"r": {"messages": {"e": {"scheduleBefore": "2026"}}}}),
    ),
    *(
        BadToken(f"channel key {key}", _channels({key: {"subscribe": True}}))
        for key in _REGEX_ERRORS
    ),
    BadToken("message key invalid regex", _channels({"r": {"messages": {"#regex:(": {}}}})),
    BadToken("storage key invalid regex", _channels({"r": {"storage": {"#regex:(": {}}}})),
    BadToken("alias on a wildcard key", _channels({"room.*": {"alias": "r"}})),
    BadToken("autoSubscribe on a regex key", _channels({"#regex:^r$": {"autoSubscribe": True}})),
    BadToken("alias repeated", _channels({"a": {"alias": "x"}, "b": {"alias": "x"}})),
    BadToken("alias shadows a channel key", _channels({"a": {"alias": "b"}, "b": {}})),
    BadToken("alias not a channel name", _channels({"a": {"alias": "has space"}})),
    BadToken("umdPropagate a string", _set(umdPropagate="true")),
    # 9. single use (§3.7)
    BadToken("singleUse without jti", _set(singleUse=True)),
    BadToken("singleUse with empty jti", _set(singleUse=True, jti="")),
    BadToken("singleUse a string", _set(singleUse="true", jti="j-1")),
    BadToken("jti a number", _set(singleUse=True, jti=12)),
)

CONNECT_ONLY: tuple[BadToken, ...] = (
    BadToken("subscribe scope at connect", _set(scope="subscribe"), MISUSE),
    BadToken("umd scope at connect", _set(scope="umd"), MISUSE),
    BadToken("subscribe umd scopes at connect", _set(scope="subscribe umd"), MISUSE),
    BadToken("connectionId on a connect token", _set(connectionId="Rel1ConnAAAA="), MISUSE),
    BadToken("connectionId not a string", _set(connectionId=["x"])),
)

TARGETED_ONLY: tuple[BadToken, ...] = (
    # subscribe / umd contexts (§3.6 target rules)
    BadToken("connect scope", _set(scope="connect"), MISUSE),
    BadToken("connectionId of another connection", _set(connectionId="Other1Conn="), MISUSE),
    BadToken("connectionId not a string", _set(connectionId=7)),
    BadToken(
        "no connectionId, uid of another user",
        _rs(lambda p: {**without(p, "connectionId"), "uid": "mallory"}),
        MISUSE,
    ),
    BadToken("no connectionId, no uid", _rs(lambda p: without(p, "connectionId", "uid")), MISUSE),
    BadToken(
        "no connectionId, empty uid",
        _rs(lambda p: {**without(p, "connectionId"), "uid": ""}),
        MISUSE,
    ),
)


def corpus_for(scope: str) -> list[BadToken]:
    extra = CONNECT_ONLY if scope == "connect" else TARGETED_ONLY
    return [*CORPUS, *extra]


def other_scopes(scope: str) -> list[str]:
    return [s for s in ("connect", "subscribe", "umd") if s != scope]


# --- state ------------------------------------------------------------------------------------
def table_items(stack: Any) -> list[dict[str, Any]]:
    """Every item of the table (a scan), sorted, in plain JSON-ish form."""
    from opensock.adapters.dynamodb.client import dynamodb_client
    from opensock.adapters.dynamodb.codec import from_item

    client = dynamodb_client()
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": stack.settings.table_name}
    while True:
        page = client.scan(**kwargs)
        items.extend(from_item(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda item: (str(item["pk"]), str(item["sk"])))


def side_effects(stack: Any) -> dict[str, Any]:
    """What a refused request must not have caused: frames, pub/sub, invokes, schedules."""
    return {
        "frames": {k: list(v) for k, v in stack.gateway.frames.items() if v},
        "pubsub": list(stack.pubsub.envelopes),
        "invokes": list(stack.invoker.calls),
        "schedules": list(stack.scheduler.schedules),
    }


def snapshot(stack: Any) -> dict[str, Any]:
    return {"items": table_items(stack), **side_effects(stack)}


def decode(response: dict[str, Any]) -> dict[str, Any] | None:
    body = response.get("body")
    return None if body is None else dict(json.loads(body))
