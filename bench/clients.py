"""Client and server actions the bench performs, built from `events/*.json` and real tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench.world import World
from tests.support.events import load_event, ws_event
from tests.support.tokens import mint

FAR_FUTURE = 4_102_444_800  # 2100-01-01
GRANTS: dict[str, Any] = {
    "chat.*": {"subscribe": True, "messages": {"*": {"publish": True}}},
    "presence.*": {"subscribe": True},
    "store.*": {
        "subscribe": True,
        "storage": {"*": {"observe": True, "get": True, "set": True}},
    },
    "plain.*": {"subscribe": True, "storage": {"*": {"get": True, "set": True}}},
}


def connect(world: World, cid: str, *, uid: str | None = None, **claims: Any) -> None:
    """`$connect` then the asynchronous ConnectedFunction (posts `hotsock.connected`)."""
    token = mint({"uid": uid or f"u-{cid}", "channels": GRANTS, **claims})
    world.invoke("connect", ws_event("connect", connection_id=cid, query={"token": token}))
    world.run_async_invokes()


def disconnect(world: World, cid: str) -> None:
    world.invoke("disconnect", ws_event("disconnect", connection_id=cid))


def send(world: World, function: str, cid: str, body: dict[str, Any]) -> Any:
    """One frame from a client on its route's function."""
    return world.invoke(function, ws_event(function, connection_id=cid, body=body))


def subscribe(world: World, cid: str, channel: str) -> Any:
    return send(world, "subscribe", cid, {"event": "hotsock.subscribe", "channel": channel})


def unsubscribe(world: World, cid: str, channel: str) -> Any:
    return send(world, "unsubscribe", cid, {"event": "hotsock.unsubscribe", "channel": channel})


def client_publish(world: World, cid: str, channel: str, data: Any = "hello") -> Any:
    return send(world, "default", cid, {"event": "chat", "channel": channel, "data": data})


def mock_route(world: World, *, replies: bool) -> None:
    """A frame API Gateway answers itself (MOCK integration): one message in, maybe one out."""
    world.meter.usage.messages_in += 1
    world.meter.usage.messages_out += int(replies)


def storage_set(world: World, cid: str, channel: str, key: str, data: Any) -> Any:
    body = {"event": "hotsock.channelStorageSet", "channel": channel, "key": key, "data": data}
    return send(world, "channel_storage_set", cid, body)


def storage_get(world: World, cid: str, channel: str, key: str) -> Any:
    body = {"event": "hotsock.channelStorageGet", "channel": channel, "key": key}
    return send(world, "channel_storage_get", cid, body)


def umd_update(world: World, cid: str, channel: str | None, umd: Any, **claims: Any) -> Any:
    token = mint({"uid": f"u-{cid}", "umd": umd, **claims}, scope="umd")
    body: dict[str, Any] = {"event": "hotsock.umdUpdate", "data": {"token": token}}
    if channel is not None:
        body["channel"] = channel
    return send(world, "umd_update", cid, body)


def server_publish(world: World, channel: str, **fields: Any) -> Any:
    """PublishFunction invoked directly (SERVER-API §2.2 payload)."""
    payload = {"channel": channel, "event": "update", "data": {"n": 1}, **fields}
    return world.invoke("publish", payload)


def server_publish_http(world: World, channel: str) -> Any:
    """PublishFunction through its Function URL (`POST /publish`, Bearer API key)."""
    import json

    from tests.support.env import PUBLISH_API_KEY

    event = load_event("publish_http")
    event["body"] = json.dumps({"channel": channel, "event": "update", "data": {"n": 1}})
    event["headers"]["authorization"] = f"Bearer {PUBLISH_API_KEY}"
    return world.invoke("publish", event)


def in_an_hour() -> str:
    at = datetime.now(UTC) + timedelta(hours=1)
    return f"at({at.strftime('%Y-%m-%dT%H:%M:%S')})"


def server_storage_set(world: World, channel: str, key: str, data: Any, **fields: Any) -> Any:
    payload = {
        "channel": channel,
        "event": "hotsock.channelStorageSet",
        "key": key,
        "data": data,
        **fields,
    }
    return world.invoke("publish", payload)
