"""Connection liveness costs (issue #15): heartbeats with enforcement, keep-alive frames, and the
ghost sweep, measured on the bench World with the real LivenessFunction and SQS timers (moto).

What is measured: LivenessFunction invocations (wall time, billed at its MemorySize), the SQS
requests the timers make, DynamoDB units of the sweep's Query and of the connect-time item, and
the CPU one real `GET @connections/{id}` costs in botocore (signing and parsing, against a
local HTTP server). What is modelled: the management API's latency (25 ms per `GET`/post, as
the fan-out bench), Lambda's SQS poller (one ReceiveMessage and one DeleteMessageBatch per ten
messages, plus idle long polls), and a heartbeat frame itself, which a MOCK route answers
without any function (one API Gateway message, nothing else).
"""

from __future__ import annotations

import http.server
import math
import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from bench import prices
from bench.cost import Cost, Usage, cost_of, per_million
from bench.meter import Meter
from bench.tables import money, table
from bench.world import World

GET_LATENCY_S = 0.025
BATCH = 100
SWEPT = 1000
MONTH_SECONDS = 30 * 24 * 3600
SWEEPS_PER_MONTH = MONTH_SECONDS // 60
SWEEP_SLOTS = 4
IDLE_RECEIVES_PER_MONTH = 5 * 3 * 60 * 24 * 30
"""Lambda's SQS poller on an empty queue: ~5 long polls of 20 s in parallel (modelled)."""
INDEX_ENTRY_BYTES = 60
"""A gsi2 entry (keys only): pk `conn#…` + sk + `gsi2pk` + `expiresAt`, names included."""
LIFETIME_S = 7200


@dataclass
class Figures:
    check: Usage
    """`BATCH` heartbeat checks in one invocation (each re-armed)."""
    keep_alive: Usage
    """`BATCH` keep-alive frames in one invocation (each re-armed)."""
    sweep_idle: Usage
    sweep: Usage
    """One sweep of `SWEPT` open connections."""
    get_cpu_ms: float
    """botocore CPU per `GET @connections/{id}` (measured)."""
    memory_mb: int


def standard_cost(usage: Usage) -> Cost:
    """`cost_of`, with SQS at the standard queue's price (LivenessQueue is not FIFO)."""
    cost = cost_of(usage)
    fifo = usage.sqs_units * prices.SQS_FIFO_REQUEST
    return replace(
        cost,
        queues_and_events=cost.queues_and_events
        - fifo
        + usage.sqs_units * prices.SQS_STANDARD_REQUEST,
    )


def poller(usage: Usage, messages: int) -> None:
    """Lambda's SQS poller: a receive and a batched delete per ten messages."""
    usage.sqs_units += 2 * math.ceil(messages / 10)


def get_cpu_ms(calls: int = 200) -> float:
    """CPU of one real botocore `get_connection` (a local server answers instantly)."""
    import boto3

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (
                b'{"connectedAt":"2026-01-05T10:00:00.000Z","identity":{"sourceIp":'
                b'"203.0.113.9"},"lastActiveAt":"2026-01-05T10:00:10.000Z"}'
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = boto3.session.Session().client(
            "apigatewaymanagementapi",
            endpoint_url=f"http://127.0.0.1:{server.server_address[1]}/v1",
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        client.get_connection(ConnectionId="warm=")
        started = time.thread_time()
        for n in range(calls):
            client.get_connection(ConnectionId=f"c{n}=")
        return (time.thread_time() - started) * 1000 / calls
    finally:
        server.shutdown()


def _latent(world: World) -> None:
    gateway = world.gateway
    real_last, real_up = gateway.last_active, gateway.is_connected

    def last_active(connection_id: str) -> float | None:
        time.sleep(GET_LATENCY_S)
        return real_last(connection_id)

    def is_connected(connection_id: str) -> bool:
        time.sleep(GET_LATENCY_S)
        return real_up(connection_id)

    gateway.last_active = last_active  # type: ignore[method-assign]
    gateway.is_connected = is_connected  # type: ignore[method-assign]


def measure(meter: Meter) -> Figures:
    import boto3

    from opensock.adapters.sqs_timers import SqsTimers
    from opensock.domain.model import Connection
    from opensock.domain.timers import heartbeat_timer, keep_alive_timer
    from tests.support.fakes import FakeTimers

    saved = os.environ.get("SWEEP_SLOTS")
    os.environ["SWEEP_SLOTS"] = "1"
    try:
        with World(meter, post_latency=GET_LATENCY_S, record_frames=False) as world:
            with meter.measure():
                url = boto3.client("sqs").create_queue(QueueName="bench-liveness")["QueueUrl"]
            world.stack.timers = SqsTimers(url)  # type: ignore[assignment]
            world.stack.gateway = world.gateway  # rebuild the App on the latent gateway
            _latent(world)
            now = time.time()
            ids = [f"HB{n:04d}=" for n in range(BATCH)]
            for cid in ids:
                world.gateway.active[cid] = now - 10
            checks = [heartbeat_timer(cid, now - 100, 60, now) for cid in ids]
            with meter.measure() as check:
                world.invoke("liveness", FakeTimers.as_event(checks))
            poller(check, BATCH)
            alive = [keep_alive_timer(cid, int(now) + 3600, now) for cid in ids]
            with meter.measure() as keep:
                world.invoke("liveness", FakeTimers.as_event(alive))
            poller(keep, BATCH)
            with meter.measure() as idle:
                world.invoke("liveness", {"kind": "sweep"})
            with meter.measure():
                for n in range(SWEPT):
                    world.stack.connections.put(
                        Connection(f"SW{n:04d}=", None, None, {}, "s", now - 100, int(now) + 3600)
                    )
            with meter.measure() as sweep:
                world.invoke("liveness", {"kind": "sweep"})
            memory = sweep.invocations[0].memory_mb
    finally:
        if saved is None:
            os.environ.pop("SWEEP_SLOTS", None)
        else:
            os.environ["SWEEP_SLOTS"] = saved
    return Figures(check, keep, idle, sweep, get_cpu_ms(), memory)


# --- what it costs --------------------------------------------------------------------------------


def _vcpu(memory_mb: int) -> float:
    return min(1.0, memory_mb / 1769)


def get_cpu_dollars(f: Figures, gets: int) -> float:
    """Lambda duration of the signing CPU the bench's fake `GET` does not spend."""
    seconds = gets * f.get_cpu_ms / 1000 / _vcpu(f.memory_mb)
    return seconds * f.memory_mb / 1024 * prices.LAMBDA_GB_SECOND_ARM


def per_check(f: Figures) -> float:
    return (standard_cost(f.check).total + get_cpu_dollars(f, BATCH)) / BATCH


def per_keep_alive(f: Figures) -> float:
    return standard_cost(f.keep_alive).total / BATCH


def checks_per_beat(interval: int, timeout: int, grace: int = 2) -> float:
    """Steady state for beats every `interval` s: a check at (last beat + N + grace) finds the
    beat floor((N + grace) / I) beats later, so one check per that many beats."""
    return 1 / max(1, (timeout + grace) // interval)


def per_million_beats(f: Figures, interval: int, timeout: int) -> float:
    return per_million(prices.APIGW_MESSAGE + checks_per_beat(interval, timeout) * per_check(f))


def sweep_month(f: Figures, connections: int) -> float:
    idle = standard_cost(f.sweep_idle).total * SWEEPS_PER_MONTH
    scheduler = SWEEPS_PER_MONTH * prices.SCHEDULER_INVOCATION
    polling = IDLE_RECEIVES_PER_MONTH * prices.SQS_STANDARD_REQUEST
    checks = connections * SWEEPS_PER_MONTH / SWEEP_SLOTS
    per_swept = (standard_cost(f.sweep).total - standard_cost(f.sweep_idle).total) / SWEPT
    per_swept += get_cpu_dollars(f, 1)
    entries = connections / SWEEP_SLOTS
    rru = math.ceil(entries * INDEX_ENTRY_BYTES / 4096) * 0.5 * SWEEPS_PER_MONTH
    shares = max(0, math.ceil(entries / 1000) - 1) * SWEEPS_PER_MONTH
    share_cost = shares * (prices.LAMBDA_REQUEST + 3 * prices.SQS_STANDARD_REQUEST / 10)
    return idle + scheduler + polling + checks * per_swept + rru * prices.DYNAMODB_RRU + share_cost


def keep_alive_month(f: Figures) -> float:
    """One always-connected client with `keepAlive`: 12 frames per 2-hour connection."""
    frames = (LIFETIME_S // 570) * (MONTH_SECONDS // LIFETIME_S)
    arms = MONTH_SECONDS // LIFETIME_S  # one timer started per connection
    return frames * per_keep_alive(f) + arms * prices.SQS_STANDARD_REQUEST


def render(f: Figures) -> str:
    check = standard_cost(f.check)
    rows = [
        [f"{i} s beats, heartbeatTimeout {n} s", f"{checks_per_beat(i, n):.2f}",
         money(per_million_beats(f, i, n), 3)]
        for i, n in ((30, 60), (25, 30), (55, 60), (5, 10), (300, 600))
    ]  # fmt: skip
    hotsock = per_million(
        prices.APIGW_MESSAGE + prices.LAMBDA_REQUEST + prices.DYNAMODB_WRU
        + 0.005 * 0.5 * prices.LAMBDA_GB_SECOND_ARM
    )  # fmt: skip
    sweep_rows = [
        [f"{n:,}", money(sweep_month(f, n), 2), money(sweep_month(f, n) / max(n, 1) * 1000, 4)
         if n else "—"]
        for n in (0, 10_000, 100_000)
    ]  # fmt: skip
    parts = [
        "Heartbeats never reach a function: `hotsock.heartbeat` is a MOCK route (one API "
        "Gateway message, $1.00 per million), and API Gateway's `lastActiveAt` records the beat. "
        "LivenessFunction checks each `heartbeatTimeout` connection once per deadline through an "
        "SQS delay queue: a `GET @connections/{id}`, then close or re-arm.",
        "",
        f"One check: {money(per_million(per_check(f)), 3)} per million (batch of {BATCH}: "
        f"Lambda {money(per_million((check.lambda_requests + check.lambda_duration) / BATCH), 3)}, "
        f"SQS {money(per_million(check.queues_and_events / BATCH), 3)}, GET signing CPU "
        f"{money(per_million(get_cpu_dollars(f, BATCH) / BATCH), 3)}; "
        f"`GET` {f.get_cpu_ms:.2f} ms CPU measured, 25 ms latency modelled; `GET @connections` "
        "is not a billed message). Hotsock's design (a Lambda and a DynamoDB write per beat) "
        f"is ≈ {money(hotsock, 2)} per million beats.",
        "",
        table(["heartbeats", "checks per beat", "$ per M beats, enforced"], rows, "lrr"),
        "",
        f"Keep-alive: {money(per_million(per_keep_alive(f)), 3)} per million frames "
        f"(post $1.00 + timer), {money(keep_alive_month(f), 4)} per connection-month "
        "(12 frames per 2-hour connection, always connected).",
        "",
        "Ghost sweep (every minute, one of 4 slots of connections, a `GET` each; "
        "idle cost includes 43,200 Scheduler invocations at list price and Lambda's SQS "
        "poller on the empty LivenessQueue):",
        "",
        table(["connections", "$ / month", "$ / 1,000 connections"], sweep_rows, "rrr"),
    ]
    return "\n".join(parts)


def monthly_rows(f: Figures, connections: int, beat_s: int, timeout: int) -> list[list[str]]:
    minutes = connections * MONTH_SECONDS // 60
    beats = connections * MONTH_SECONDS // beat_s
    base = minutes * prices.APIGW_CONNECTION_MINUTE + sweep_month(f, connections)
    enforced = beats * per_million_beats(f, beat_s, timeout) / 1_000_000
    return [
        [f"+ client heartbeat every {beat_s} s, heartbeatTimeout {timeout} s enforced "
         "(MOCK route + deadline checks)", f"{beats:,} frames", money(base + enforced, 2)],
        ["+ keepAlive instead of heartbeats", f"{connections * 4320:,} frames",
         money(base + connections * keep_alive_month(f), 2)],
    ]  # fmt: skip
