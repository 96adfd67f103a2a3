"""Tokens: verifying a connect, subscribe or umd JWT in the order of PROTOCOL §3.8.

`TokenVerifier.verify` decodes, checks `typ`/`alg`, picks the key slots whose method equals
`alg` and whose key id is blank or equals `kid` (§3.4), lets pyjwt check the signature with
`algorithms=[that slot's method]`, then checks `exp`/`nbf` against the injected clock, `aud`/
`iss` when configured, the scope, the connection target (§3.6) and the claims themselves.
Defects raise `InvalidTokenError`; a sound token used where it is not allowed raises
`TokenScopeError` (Q-AUTH-1). `verify` never consumes a single-use token: `consume` does, and
callers call it once the operation the token authorises is about to succeed (§3.7, Q-AUTH-4).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import jwt

from opensock.clock import Clock, epoch_seconds, system_clock
from opensock.config import SIGNING_METHODS, Settings, SigningKeySettings
from opensock.domain.auth.claims import Claims, ClaimsError
from opensock.domain.auth.signing_keys import (
    SigningKeyError,
    VerificationKey,
    load_verification_key,
)
from opensock.domain.auth.wire import parse_token, read_numeric_date
from opensock.domain.model import Connection
from opensock.errors import AppError, InvalidTokenError, TokenScopeError

TokenScope = Literal["connect", "subscribe", "umd"]


class UsedTokenRegistry(Protocol):
    """Remembers used `jti`s until their token's `exp` (a conditional write in production)."""

    def claim(self, jti: str, expires_at: int) -> bool:
        """Record the jti; True only for the call that recorded it first."""
        ...


class TokenVerifier:
    """Verifies tokens against the configured key slots; keys are parsed once, here."""

    def __init__(
        self,
        keys: Sequence[SigningKeySettings],
        audience: str = "",
        issuer: str = "",
        clock: Clock = system_clock,
        leeway: int = 0,
        used_tokens: UsedTokenRegistry | None = None,
    ) -> None:
        if not keys:
            raise SigningKeyError("no signing key configured")
        self._keys = tuple(load_verification_key(slot) for slot in keys)
        self._audience = audience
        self._issuer = issuer
        self._clock = clock
        self._leeway = max(leeway, 0)
        self._used_tokens = used_tokens
        self._jws = jwt.PyJWS()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        used_tokens: UsedTokenRegistry | None = None,
    ) -> TokenVerifier:
        return cls(
            settings.signing_keys,
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            clock=clock,
            leeway=settings.token_leeway_seconds,
            used_tokens=used_tokens,
        )

    def verify(
        self,
        token: str,
        *,
        scope: TokenScope,
        connection_id: str | None = None,
        connection_uid: str | None = None,
    ) -> Claims:
        """Return the token's claims, or raise InvalidTokenError / TokenScopeError."""
        header, payload = parse_token(token)
        self._verify_signature(token, self._select_keys(header))
        self._check_lifetime(payload)
        self._check_audience_and_issuer(payload)
        _check_scope(payload, scope)
        _check_target(payload, scope, connection_id, connection_uid)
        try:
            return Claims.from_payload(payload)
        except ClaimsError as exc:
            raise InvalidTokenError(exc.reason) from None

    def verify_for(
        self, token: str, *, scope: TokenScope, connection: Connection, refusal: type[AppError]
    ) -> Claims:
        """A subscribe or umd token bound to `connection` (§3.6); every refusal is `refusal`."""
        try:
            return self.verify(
                token,
                scope=scope,
                connection_id=connection.connection_id,
                connection_uid=connection.uid,
            )
        except InvalidTokenError as exc:
            raise refusal(f"{refusal.default_message}: {exc.reason}") from None

    def consume(self, claims: Claims) -> None:
        """Record a single-use token's jti; refuse it if it was already used anywhere."""
        if not claims.is_single_use:
            return
        if self._used_tokens is None or not claims.token_id:
            raise InvalidTokenError("single-use token cannot be recorded")
        if not self._used_tokens.claim(claims.token_id, claims.expires_at):
            raise InvalidTokenError("token already used")

    def _select_keys(self, header: dict[str, Any]) -> list[VerificationKey]:
        if header.get("typ") != "JWT":
            raise InvalidTokenError("typ must be JWT")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in SIGNING_METHODS:
            raise InvalidTokenError("unsupported algorithm")
        kid = header.get("kid")
        if "kid" in header and not isinstance(kid, str):
            raise InvalidTokenError("invalid kid header")
        same_method = [key for key in self._keys if key.method == alg]
        if not same_method:
            raise InvalidTokenError("algorithm not accepted")
        usable = [key for key in same_method if not key.key_id or key.key_id == kid]
        if not usable:
            raise InvalidTokenError("unknown key id")
        return usable

    def _verify_signature(self, token: str, keys: list[VerificationKey]) -> None:
        if not any(self._signed_by(token, key) for key in keys):
            raise InvalidTokenError("signature verification failed")

    def _signed_by(self, token: str, key: VerificationKey) -> bool:
        quiet = warnings.catch_warnings() if key.weak else contextlib.nullcontext()
        try:
            with quiet:
                if key.weak:
                    warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
                self._jws.decode_complete(token, key=key.key, algorithms=[key.method])
        except jwt.InvalidSignatureError:
            return False
        except jwt.PyJWTError:
            raise InvalidTokenError("malformed token") from None
        return True

    def _check_lifetime(self, payload: dict[str, Any]) -> None:
        now = epoch_seconds(self._clock)
        expires_at = read_numeric_date(payload, "exp")
        if expires_at is None:
            raise InvalidTokenError("missing exp claim")
        if expires_at + self._leeway <= now:
            raise InvalidTokenError("token expired")
        not_before = read_numeric_date(payload, "nbf")
        if not_before is not None and not_before - self._leeway > now:
            raise InvalidTokenError("token not yet valid")

    def _check_audience_and_issuer(self, payload: dict[str, Any]) -> None:
        if self._audience and not _audience_matches(payload.get("aud"), self._audience):
            raise InvalidTokenError("audience mismatch")
        if self._issuer and payload.get("iss") != self._issuer:
            raise InvalidTokenError("issuer mismatch")


def _audience_matches(audience: object, expected: str) -> bool:
    return audience == expected or (isinstance(audience, list) and expected in audience)


def _check_scope(payload: dict[str, Any], scope: TokenScope) -> None:
    value = payload.get("scope")
    if value is None:
        raise InvalidTokenError("missing scope claim")
    if not isinstance(value, str):
        raise InvalidTokenError("invalid scope claim")
    if scope not in value.split():
        raise TokenScopeError(f"token lacks the {scope} scope")


def _check_target(
    payload: dict[str, Any],
    scope: TokenScope,
    connection_id: str | None,
    connection_uid: str | None,
) -> None:
    bound_to = payload.get("connectionId")
    if bound_to is not None and not isinstance(bound_to, str):
        raise InvalidTokenError("invalid connectionId claim")
    if scope == "connect":
        if bound_to is not None:
            raise TokenScopeError("connectionId not allowed on a connect token")
        return
    if bound_to is not None:
        if bound_to != connection_id:
            raise TokenScopeError("connectionId does not match this connection")
        return
    uid = payload.get("uid")
    if uid is not None and not isinstance(uid, str):
        raise InvalidTokenError("invalid uid claim")
    if not uid or uid != connection_uid:
        raise TokenScopeError("uid does not match this connection")
