"""Stored messages, history, reactions and resume (issue #14), measured one at a time.

Rows: a stored server publish at fan-out 1 and 100 (25 ms per post, as `scale.fanout`),
`connection/listMessages` of a full 100-message page with and without `expandReactions`, a
reaction add over the WebSocket, and a `resumeAfter` subscribe that delivers 100 messages.
Messages and reactions are seeded straight into moto (nothing counted). The resume's wait for
its hand-off (`RESUME_HANDOFF_SECONDS` + `RESUME_SETTLE_SECONDS`, 1.5 s deployed) is a sleep
the bench skips; it is added to the subscribe's billed duration (`RESUME_WAIT_MS`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bench import clients as c
from bench import scale, seed
from bench.meter import Meter
from bench.operations import Measured
from bench.scale import FanoutRun
from bench.world import World
from tests.support.events import load_event

STORE = 86_400
RESUME_WAIT_MS = 1_500.0
CHANNEL = "hist.room"
GRANTS: dict[str, Any] = {
    "hist.*": {
        "subscribe": True,
        "historyStart": 0,
        "messages": {"*": {"publish": True, "store": STORE, "react": True}},
    }
}


def stored_fanout(meter: Meter, subscribers: int) -> FanoutRun:
    """`scale.fanout` with `store: 86400` on the payload."""
    return scale.fanout(meter, subscribers, store=STORE)


def _seed_messages(world: World, count: int, reacted: int) -> list[str]:
    """`count` chat messages of ~100 bytes; the first `reacted` carry 3 reactions each."""
    from opensock.adapters.dynamodb.message_table import message_item, reaction_item
    from opensock.domain.messages import Outgoing, new_message_id
    from opensock.domain.model import Member, Origin
    from opensock.domain.reaction_rules import Reaction

    now = world.stack.clock()
    origin = Origin("client.websocket", "req", "SENDER=", "203.0.113.9", "Mozilla/5.0 bench")
    ids, items = [], []
    for n in range(count):
        outgoing = Outgoing(CHANNEL, "chat", {"text": f"message {n:04d} " + "x" * 60}, store=STORE)
        outgoing = replace(outgoing, meta=Member(f"user-{n % 7}", {"name": "Bench"}))
        message = outgoing.stored(new_message_id(now), origin, now)
        ids.append(message.id)
        items.append(message_item(message))
        for k in range(3 if n < reacted else 0):
            member = Member(f"fan-{k}", {"name": f"Fan {k}"})
            value = ("+1", "heart", "+1")[k]
            reaction = Reaction(
                new_message_id(now), CHANNEL, message.id, value, member, now, message.expires_at,
                origin,
            )  # fmt: skip
            items.append(reaction_item(reaction))
    seed.put_items(world, items)
    return ids


def _http(world: World, cid: str, secret: str, action: str, body: dict[str, Any]) -> Any:
    event = load_event("http_api")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/connection/{action}"
    event["queryStringParameters"] = {"connectionId": cid, "connectionSecret": secret}
    event["body"] = json.dumps(body)
    return world.invoke("http_api", event)


def _measure(world: World, meter: Meter, name: str, action: Any, delivered: int = 0) -> Measured:
    action()  # warm-up: imports and clients
    with meter.measure() as usage:
        action()
    return Measured(name, usage, [usage], delivered)


def rows(meter: Meter) -> list[Measured]:
    results = []
    with World(meter, record_frames=False) as world:
        for cid in ("READER", "FAN", "BACK", "WARM"):
            c.connect(world, cid, channels=GRANTS)
        c.subscribe(world, "READER", CHANNEL)
        c.subscribe(world, "FAN", CHANNEL)
        ids = _seed_messages(world, 100, reacted=20)
        reader = world.stack.connections.get("READER")
        assert reader is not None
        for expand in (False, True):
            body = {"channel": CHANNEL, "expandReactions": expand}
            name = "listMessages, 100-message page, 20 with 3 reactions" + (
                ", expandReactions" if expand else ""
            )
            results.append(
                _measure(
                    world,
                    meter,
                    name,
                    lambda b=body: _http(world, "READER", reader.secret, "listMessages", b),
                )
            )
        added = iter(ids[20:])

        def react() -> Any:
            data = {"messageId": next(added), "reaction": "+1", "action": "add"}
            body = {"event": "hotsock.messageReaction", "channel": CHANNEL, "data": data}
            return c.send(world, "message_reaction", "FAN", body)

        results.append(_measure(world, meter, "reaction add (WebSocket), 1 other subscriber",
                                react, delivered=1))  # fmt: skip
        results.append(_resume(world, meter, ids))
    return results


def _resume(world: World, meter: Meter, ids: list[str]) -> Measured:
    """`hotsock.subscribe` with `resumeAfter` before the 100 seeded messages."""
    from opensock.domain.stored_messages import previous_id

    def resume(cid: str) -> Any:
        body = {
            "event": "hotsock.subscribe",
            "channel": CHANNEL,
            "data": {"resumeAfter": previous_id(ids[0])},
        }
        return c.send(world, "subscribe", cid, body)

    resume("WARM")
    with meter.measure() as usage:
        resume("BACK")
    usage.invocations = [
        replace(inv, wall_ms=inv.wall_ms + RESUME_WAIT_MS) for inv in usage.invocations
    ]
    name = "resume: subscribe with resumeAfter, 100 messages (+1.5 s hand-off wait)"
    return Measured(name, usage, [usage], delivered=100)
