"""The console's local token endpoints: mint with the local signing key, and say why a token
would be refused. Local only: nothing like them exists in a deployed stack, where no secret
ever reaches a page.

- `POST /_local/tokens` `{"claims": {...}, "scope": "connect", "ttl": 3600}` -> `{"token"}`.
- `POST /_local/tokens/check` `{"token", "scope"?, "connectionId"?, "uid"?}` ->
  `{"ok", "problem", "code", "status", "header", "claims"}`, always 200 (a browser logs every
  non-2xx fetch as a console error). A browser sees a refused WebSocket handshake only as close
  code 1006; this names the reason with the same verifier `$connect` uses, without consuming a
  single-use token (a used one is reported from the table's `jti` item).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
from aiohttp import web

if TYPE_CHECKING:
    from tools.local.server import LocalStack

SCOPES = ("connect", "subscribe", "umd")
MAX_TTL_SECONDS = 30 * 24 * 3600


def decode_part(token: str, index: int) -> Any:
    """The JSON of a JWT's header (0) or payload (1), or None when it is not readable."""
    try:
        part = token.split(".")[index]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return None


def check_token(
    environ: Mapping[str, str], token: str, scope: str, target: Mapping[str, str | None]
) -> dict[str, Any]:
    """What `$connect` (or a subscribe/umd update) would say of `token`, as a JSON object."""
    from opensock.config import load_settings
    from opensock.domain.auth.tokens import TokenVerifier
    from opensock.errors import InvalidTokenError

    answer: dict[str, Any] = {
        "ok": True,
        "scope": scope,
        "header": decode_part(token, 0),
        "claims": decode_part(token, 1),
    }
    verifier = TokenVerifier.from_settings(load_settings(environ))
    try:
        claims = verifier.verify(
            token,
            scope=scope,  # type: ignore[arg-type]
            connection_id=target.get("connectionId"),
            connection_uid=target.get("uid"),
        )
    except InvalidTokenError as exc:
        return answer | {"ok": False, "problem": exc.reason, "code": exc.code, "status": exc.status}
    if claims.is_single_use and claims.token_id and _jti_used(environ, claims.token_id):
        answer |= {"ok": False, "problem": "token already used", "code": "INVALID_TOKEN"}
        answer["status"] = 401
    return answer


def _jti_used(environ: Mapping[str, str], jti: str) -> bool:
    from opensock.adapters.dynamodb.keys import JTI_SK, jti_pk

    table = boto3.resource("dynamodb", region_name=environ.get("AWS_REGION"))
    item = table.Table(environ["TABLE_NAME"]).get_item(Key={"pk": jti_pk(jti), "sk": JTI_SK})
    return "Item" in item


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body


def routes(stack: LocalStack) -> list[web.RouteDef]:
    async def mint(request: web.Request) -> web.Response:
        body = await _json_body(request)
        claims, scope, ttl = body.get("claims") or {}, body.get("scope", "connect"), body.get("ttl")
        if not isinstance(claims, dict) or scope not in SCOPES:
            raise web.HTTPBadRequest(text=f"claims must be an object and scope one of {SCOPES}")
        if not isinstance(ttl, int) or not -MAX_TTL_SECONDS <= ttl <= MAX_TTL_SECONDS:
            ttl = 3600
        return web.json_response({"token": stack.mint_token(claims, scope=scope, ttl=ttl)})

    async def check(request: web.Request) -> web.Response:
        body = await _json_body(request)
        token, scope = body.get("token"), body.get("scope", "connect")
        if not isinstance(token, str) or scope not in SCOPES:
            raise web.HTTPBadRequest(text=f"token must be a string and scope one of {SCOPES}")
        target = {name: body.get(name) for name in ("connectionId", "uid")}
        answer = await asyncio.to_thread(
            check_token, stack.environment, token.strip(), scope, target
        )
        return web.json_response(answer)

    return [web.post("/_local/tokens", mint), web.post("/_local/tokens/check", check)]
