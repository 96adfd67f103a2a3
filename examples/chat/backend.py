"""The chat demo's backend: the one thing a real app's server does for Opensock, minting tokens.

It signs with pyjwt and the installation's signing key, as any backend would (the key is the
local stack's here; in production it is the secret behind `SigningKey1EncodedParameter`), and
grants exactly what the demo needs. It trusts the name it is given: a real backend would take
the user from its own session instead.

- `POST /examples/chat/api/session` `{"name", "room"}` -> `{"token", "uid", "channel",
  "wsUrl", "httpApiUrl"}`: a connect token for the room (presence, chat with history and
  reactions, the room settings, a poll that closes itself, one vote per user).
- `POST /examples/chat/api/status` `{"name", "room", "status"}` -> `{"token"}`: a umd token
  that sets the user's status in that room ("online", "away", "typing").
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web

REACTIONS = ["❤️", "👍", "😂", "🎉"]
STATUSES = ("online", "away", "typing")
HISTORY_SECONDS = 7 * 24 * 3600
TOKEN_SECONDS = 3600
POLL_SCHEDULE_SECONDS = 24 * 3600
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def uid_of(name: str) -> str:
    """`"Jim Halpert"` -> `"jim-halpert"`: the user id the demo derives from a display name."""
    return _UNSAFE.sub("-", name.strip().lower()).strip("-")[:32] or "guest"


def room_channel(room: str) -> str:
    return f"presence.chat.{uid_of(room)}"


@dataclass(frozen=True)
class ChatBackend:
    secret: bytes
    algorithm: str
    ws_url: str
    http_api_url: str

    def _sign(self, claims: dict[str, Any], scope: str, now: int) -> str:
        payload = {"scope": scope, "iat": now, "exp": now + TOKEN_SECONDS, **claims}
        return jwt.encode(payload, self.secret, algorithm=self.algorithm)

    def session(self, name: str, room: str, now: int | None = None) -> dict[str, Any]:
        now = int(time.time()) if now is None else now
        uid, channel = uid_of(name), room_channel(room)
        grants = {
            "subscribe": True,
            "historyStart": 0,
            "messages": {
                "chat": {
                    "publish": True,
                    "echo": True,
                    "store": HISTORY_SECONDS,
                    "react": REACTIONS,
                },
                "hotsock.messageReaction": {"echo": True},
            },
            "storage": {
                "settings": {"observe": True, "get": True, "set": True},
                "poll": {
                    "observe": True,
                    "get": True,
                    "set": True,
                    "scheduleBefore": now + POLL_SCHEDULE_SECONDS,
                },
                "vote.*": {"observe": True, "get": True},
                f"vote.{uid}": {"set": True},
            },
        }
        claims = {
            "uid": uid,
            "umd": {"name": name.strip(), "status": "online"},
            "keepAlive": True,
            "channels": {channel: grants},
        }
        return {
            "token": self._sign(claims, "connect", now),
            "uid": uid,
            "channel": channel,
            "wsUrl": self.ws_url,
            "httpApiUrl": self.http_api_url,
        }

    def status_token(self, name: str, room: str, status: str, now: int | None = None) -> str:
        now = int(time.time()) if now is None else now
        claims = {
            "uid": uid_of(name),
            "umd": {"name": name.strip(), "status": status},
            "channels": {room_channel(room): {"umdUpdate": True}},
        }
        return self._sign(claims, "umd", now)

    def routes(self) -> list[web.RouteDef]:
        async def session(request: web.Request) -> web.Response:
            body = await _body(request)
            return web.json_response(self.session(body["name"], body["room"]))

        async def status(request: web.Request) -> web.Response:
            body = await _body(request)
            if body.get("status") not in STATUSES:
                raise web.HTTPBadRequest(text=f"status must be one of {STATUSES}")
            token = self.status_token(body["name"], body["room"], body["status"])
            return web.json_response({"token": token})

        return [
            web.post("/examples/chat/api/session", session),
            web.post("/examples/chat/api/status", status),
        ]


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    names = (body.get("name"), body.get("room")) if isinstance(body, dict) else (None, None)
    if not all(isinstance(n, str) and n.strip() for n in names):
        raise web.HTTPBadRequest(text="name and room are required")
    return body  # type: ignore[no-any-return]
