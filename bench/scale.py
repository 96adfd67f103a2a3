"""Operations whose cost grows with a channel: fan-out N, storage keys × observers, umd K.

Fan-out runs against a management API that takes 25 ms per post (`post_latency`). Channels
above the batch size (250) are split into lanes sent through FanoutQueue (moto SQS FIFO); the
bench then receives them and runs every lane at once, each in its own thread as a separate
FanoutFunction invocation (Lambda scales out per message group; BatchSize is 1). The event
source's ReceiveMessage and DeleteMessage are billed as modelled SQS requests (one each per
lane, 64 KB units), since Lambda's poller, not our code, makes them.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bench import clients as c
from bench import seed
from bench.cost import Usage, units_of
from bench.meter import SQS_UNIT, Meter
from bench.operations import Measured
from bench.world import World
from tests.support.events import load_event

POST_LATENCY = 0.025
FANOUT_GRANTS = {"chat.*": {"subscribe": True}}


@dataclass
class FanoutRun:
    subscribers: int
    usage: Usage
    wall_s: float
    """From the publish invocation's start until the last lane finished posting."""
    publish_ms: float
    lanes: int
    delivered: int


def _lane_events(world: World, meter: Meter) -> list[dict[str, Any]]:
    import boto3

    sqs = boto3.client("sqs")
    events = []
    with meter.measure():  # the event source's own polling is modelled, not counted
        while True:
            got = sqs.receive_message(QueueUrl=world.queue_url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                break
            for message in messages:
                event = load_event("fanout")
                event["Records"][0]["body"] = message["Body"]
                events.append(event)
                sqs.delete_message(QueueUrl=world.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return events


def fanout(
    meter: Meter,
    subscribers: int,
    latency: float = POST_LATENCY,
    store: int = 0,
    concurrent: bool = True,
) -> FanoutRun:
    """A server publish to `subscribers`; with `store`, a stored message (issue #14). Lanes
    run concurrently, as Lambda runs them; `concurrent=False` runs them one after another, so
    each invocation's CPU (process-wide) is its own."""
    fields = {"store": store} if store else {}
    with World(meter, post_latency=latency, record_frames=False) as world:
        channel = "chat.fanout"
        seed.subscribers(world, channel, subscribers, FANOUT_GRANTS)
        # warm the function as a warm container is: imports, clients and the post pool
        seed.subscribers(world, "chat.warmup", 1, FANOUT_GRANTS, prefix="W")
        c.server_publish(world, "chat.warmup", **fields)
        with meter.measure() as usage:
            started = time.perf_counter()
            c.server_publish(world, channel, **fields)
            publish_ms = usage.invocations[0].wall_ms
            lanes = _lane_events(world, meter)
            count = 0
            while lanes:  # a large channel's plan queues its lanes when it runs
                count += len(lanes)
                for event in lanes:
                    body = event["Records"][0]["body"]
                    usage.sqs_units += 2 * units_of(len(body.encode()), SQS_UNIT)
                with ThreadPoolExecutor(len(lanes) if concurrent else 1) as pool:
                    list(pool.map(lambda e: world.invoke("fanout", e, usage), lanes))
                lanes = _lane_events(world, meter)
            wall = time.perf_counter() - started
        return FanoutRun(subscribers, usage, wall, publish_ms, count, usage.posts)


def storage_matrix(meter: Meter, keys: int, observers: int) -> list[Measured]:
    """Set, get and subscribe-with-snapshot on a channel of `keys` entries, `observers` watchers."""
    grants = {
        "store.*": {
            "subscribe": True,
            "storage": {"*": {"observe": True, "get": True, "set": True}},
        }
    }
    results = []
    with World(meter, record_frames=False) as world:
        channel = "store.matrix"
        seed.storage_keys(world, channel, keys)
        seed.subscribers(world, channel, observers, grants, prefix="O")
        writer = "WRITER"
        c.connect(world, writer)
        c.connect(world, "JOINER")
        c.storage_set(world, writer, channel, "key.00000", {"warm": True})  # warm-up
        c.storage_get(world, writer, channel, "key.00000")
        _lane_events(world, meter)  # drop the warm-up's queued lanes
        for name, action in (
            ("set", lambda: c.storage_set(world, writer, channel, "key.00000", {"v": 1})),
            ("get", lambda: c.storage_get(world, writer, channel, "key.00000")),
            ("subscribe + snapshot", lambda: c.subscribe(world, "JOINER", channel)),
        ):
            with meter.measure() as usage:
                action()
                lanes = _lane_events(world, meter)
                for event in lanes:
                    usage.sqs_units += 2 * units_of(len(event["Records"][0]["body"]), SQS_UNIT)
                    world.invoke("fanout", event, usage)
            results.append(Measured(f"{name}: {keys} keys, {observers} observers", usage, [usage]))
    return results


def umd_propagation(meter: Meter, subscriptions: int) -> Measured:
    """A connection-level umdUpdate with umdPropagate over K subscriptions (half presence)."""
    with World(meter, record_frames=False) as world:
        cid = "PROP"
        c.connect(world, cid)
        for n in range(subscriptions):
            kind = "presence" if n % 2 else "chat"
            c.subscribe(world, cid, f"{kind}.k{n}")
        c.connect(world, "WARM")
        c.subscribe(world, "WARM", "chat.warm")
        c.umd_update(world, "WARM", None, {"s": 0}, umdUpdate=True, umdPropagate=True)
        with meter.measure() as usage:
            c.umd_update(world, cid, None, {"s": "away"}, umdUpdate=True, umdPropagate=True)
        name = (
            f"umdUpdate propagated to {subscriptions} subscriptions ({subscriptions // 2} presence)"
        )
        return Measured(name, usage, [usage])
