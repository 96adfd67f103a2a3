"""The chat demo's backend (`examples/chat/backend.py`), mounted by the local stack with the
local signing key, as a real app's server holds its installation's key. Only for HMAC keys: an
asymmetric key 1 has no private half here, so the demo's endpoints are left out (logged)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from examples.chat.backend import ChatBackend
from tools.local.tokens import decode_key

if TYPE_CHECKING:
    from tools.local.server import LocalStack

log = logging.getLogger("tools.local")


def routes(stack: LocalStack) -> list[web.RouteDef]:
    method = stack.environment.get("SIGNING_KEY_1_METHOD", "HS256")
    if not method.startswith("HS"):
        log.warning("chat demo: signing key 1 is %s; its token endpoint is not served", method)
        return []
    secret = decode_key(stack.environment["SIGNING_KEY_1_ENCODED"])
    return ChatBackend(secret, method, stack.ws_url, stack.http_url).routes()
