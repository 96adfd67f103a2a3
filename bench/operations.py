"""Every client- and server-facing operation, measured one at a time against moto.

Each scenario prepares fresh state (not counted), then runs the operation inside
`meter.measure()`. A warm-up run comes first (imports, lazy clients), then `repeat` measured
runs; requests and units are the same every run, times are the median run's.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import clients as c
from bench.cost import Usage
from bench.meter import Meter
from bench.world import World

Prepare = Callable[[World, int], Any]
Run = Callable[[World, Any], Any]


@dataclass
class Scenario:
    name: str
    prepare: Prepare
    run: Run
    group: str = "operations"
    delivered: int = 0
    """Messages delivered to other clients by one run (for $ per delivered message)."""


@dataclass
class Measured:
    name: str
    usage: Usage
    runs: list[Usage] = field(default_factory=list)
    delivered: int = 0
    group: str = "operations"

    @property
    def wall_ms(self) -> float:
        return statistics.median(sum(i.wall_ms for i in u.invocations) for u in self.runs)

    @property
    def cpu_ms(self) -> float:
        """Handler CPU outside AWS calls (moto, signing and parsing excluded), median run."""
        return statistics.median(
            max(0.0, sum(i.cpu_ms for i in u.invocations) - u.aws_cpu_seconds * 1000)
            for u in self.runs
        )


def measure(world: World, meter: Meter, scenario: Scenario, repeat: int) -> Measured:
    runs: list[Usage] = []
    for index in range(repeat + 1):
        state = scenario.prepare(world, index)
        with meter.measure() as usage:
            scenario.run(world, state)
        if index:
            runs.append(usage)
    ordered = sorted(runs, key=lambda u: sum(i.wall_ms for i in u.invocations))
    median = ordered[len(ordered) // 2]
    return Measured(scenario.name, median, runs, scenario.delivered, scenario.group)


# --- preparation helpers ----------------------------------------------------------------------
def fresh(world: World, prefix: str, index: int) -> str:
    cid = f"{prefix}{index:04d}"
    c.connect(world, cid)
    return cid


def pair(world: World, prefix: str, index: int, channel: str) -> tuple[str, str]:
    """Two connections subscribed to `channel` (the second one receives)."""
    sender, receiver = fresh(world, prefix + "a", index), fresh(world, prefix + "b", index)
    c.subscribe(world, sender, channel)
    c.subscribe(world, receiver, channel)
    return sender, receiver


def _connect_prepare(world: World, index: int) -> str:
    return f"CONN{index:04d}"


def _disconnect_two(world: World, index: int) -> str:
    cid = fresh(world, "DIS2", index)
    c.subscribe(world, cid, f"chat.d{index}")
    c.subscribe(world, cid, f"presence.d{index}")
    return cid


def _snapshot_prepare(world: World, index: int) -> tuple[str, str]:
    channel = f"store.snap{index}"
    for key in ("a", "b", "c"):
        c.server_storage_set(world, channel, key, {"v": key})
    return fresh(world, "SNAP", index), channel


def _presence_prepare(world: World, index: int) -> tuple[str, str]:
    channel = f"presence.p{index}"
    c.subscribe(world, fresh(world, "PRA", index), channel)
    return fresh(world, "PRB", index), channel


def _unsubscribe_prepare(world: World, index: int) -> tuple[str, str]:
    cid = fresh(world, "UNS", index)
    c.subscribe(world, cid, "chat.unsub")
    return cid, "chat.unsub"


def _storage_prepare(world: World, index: int) -> tuple[str, str]:
    channel = f"store.set{index}"
    writer, _ = pair(world, "STO", index, channel)
    c.storage_set(world, writer, channel, "k", {"v": -1})
    return writer, channel


def _server_one(world: World, index: int) -> str:
    channel = f"chat.one{index}"
    c.subscribe(world, fresh(world, "SRV", index), channel)
    return channel


def _umd_channel(world: World, index: int) -> tuple[str, str]:
    channel = f"presence.umd{index}"
    _first, second = pair(world, "UMD", index, channel)
    return second, channel


def _umd_standard(world: World, index: int) -> tuple[str, str]:
    channel = f"chat.umd{index}"
    _first, second = pair(world, "UMS", index, channel)
    return second, channel


def _umd_propagate(world: World, index: int) -> str:
    cid = fresh(world, "UMP", index)
    c.subscribe(world, cid, f"chat.ump{index}")
    c.subscribe(world, cid, f"presence.ump{index}")
    c.subscribe(world, cid, f"store.ump{index}")
    return cid


UMD_CHANNEL = {"presence.*": {"umdUpdate": True}, "chat.*": {"umdUpdate": True}}


def scenarios() -> list[Scenario]:
    later = c.in_an_hour()
    return [
        Scenario("connect (+ ConnectedFunction)", _connect_prepare, c.connect),
        Scenario("disconnect, no subscriptions", lambda w, i: fresh(w, "DIS0", i), c.disconnect),
        Scenario(
            "disconnect, 2 subscriptions (standard + presence)", _disconnect_two, c.disconnect
        ),
        Scenario(
            "subscribe, standard channel",
            lambda w, i: fresh(w, "SUB", i),
            lambda w, cid: c.subscribe(w, cid, "chat.room"),
        ),
        Scenario(
            "subscribe, presence channel (1 member there)",
            _presence_prepare,
            lambda w, s: c.subscribe(w, *s),
            delivered=1,
        ),
        Scenario(
            "subscribe, with storage snapshot (3 keys)",
            _snapshot_prepare,
            lambda w, s: c.subscribe(w, *s),
        ),
        Scenario(
            "unsubscribe, standard channel", _unsubscribe_prepare, lambda w, s: c.unsubscribe(w, *s)
        ),
        Scenario(
            "client publish, 1 recipient (WebSocket)",
            lambda w, i: (pair(w, "CPB", i, f"chat.cp{i}")[0], f"chat.cp{i}"),
            lambda w, s: c.client_publish(w, *s),
            delivered=1,
        ),
        Scenario(
            "server publish, fan-out 1 (Lambda invoke)",
            _server_one,
            lambda w, ch: c.server_publish(w, ch),
            delivered=1,
        ),
        Scenario(
            "server publish, fan-out 1 (HTTP POST /publish)",
            _server_one,
            lambda w, ch: c.server_publish_http(w, ch),
            delivered=1,
        ),
        Scenario(
            "storage set, 1 other observer",
            _storage_prepare,
            lambda w, s: c.storage_set(w, s[0], s[1], "k", {"v": 1}),
            delivered=1,
        ),
        Scenario(
            "storage get",
            _storage_prepare,
            lambda w, s: c.storage_get(w, s[0], s[1], "k"),
        ),
        Scenario(
            "umdUpdate, per channel (presence, 2 members)",
            _umd_channel,
            lambda w, s: c.umd_update(w, s[0], s[1], {"s": "away"}, channels=UMD_CHANNEL),
            delivered=1,
        ),
        Scenario(
            "umdUpdate, per channel (standard)",
            _umd_standard,
            lambda w, s: c.umd_update(w, s[0], s[1], {"s": "away"}, channels=UMD_CHANNEL),
        ),
        Scenario(
            "umdUpdate, propagated to 3 subscriptions",
            _umd_propagate,
            lambda w, cid: c.umd_update(
                w, cid, None, {"s": "away"}, umdUpdate=True, umdPropagate=True
            ),
        ),
        Scenario(
            "scheduled message (schedule + fire, 1 recipient)",
            _server_one,
            lambda w, ch: (c.server_publish(w, ch, scheduleExpression=later), w.fire_schedules()),
            delivered=1,
        ),
        Scenario(
            "scheduled storage write (schedule + fire, 1 observer)",
            _storage_prepare,
            lambda w, s: (
                c.server_storage_set(w, s[1], "k", {"v": 2}, scheduleExpression=later),
                w.fire_schedules(),
            ),
            delivered=2,
        ),
        Scenario(
            "hotsock.heartbeat (MOCK route, no function)",
            lambda w, i: fresh(w, "HB", i),
            lambda w, cid: c.mock_route(w, replies=False),
        ),
        Scenario(
            "hotsock.ping → pong (MOCK route, no function)",
            lambda w, i: fresh(w, "PING", i),
            lambda w, cid: c.mock_route(w, replies=True),
        ),
    ]


def run_all(meter: Meter, repeat: int, *, sns_pubsub: bool = False) -> list[Measured]:
    results = []
    with World(meter, sns_pubsub=sns_pubsub) as world:
        for scenario in scenarios():
            results.append(measure(world, meter, scenario, repeat))
    return results
