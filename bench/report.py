"""docs/performance.md from one run: operations, fan-out, storage, umd, cost model, cold start."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bench import prices
from bench.coldstart import ImportTime, PackageSize
from bench.cost import Usage, cost_of, per_million
from bench.local_rtt import RoundTrip
from bench.operations import Measured
from bench.scale import FanoutRun
from bench.tables import money, table, units

MONTH_MINUTES = 30 * 24 * 60
MODELLED_DYNAMODB_MS = 10.0
"""Typical DynamoDB request latency from Lambda, used to replace moto's time in wall times."""


@dataclass
class Results:
    machine: dict[str, str]
    mode: str
    operations: list[Measured] = field(default_factory=list)
    operations_sns: list[Measured] = field(default_factory=list)
    fanout: list[FanoutRun] = field(default_factory=list)
    storage: list[Measured] = field(default_factory=list)
    umd: list[Measured] = field(default_factory=list)
    stored_fanout: list[FanoutRun] = field(default_factory=list)
    history: list[Measured] = field(default_factory=list)
    imports: list[ImportTime] = field(default_factory=list)
    heavy_imports: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    sizes: list[PackageSize] = field(default_factory=list)
    build_note: str = ""
    local: list[RoundTrip] = field(default_factory=list)
    local_note: str = ""
    seconds: float = 0.0
    findings: str = ""
    liveness: Any = None
    """bench/liveness.py `Figures` (heartbeat checks, keep-alive, sweep)."""
    poster: Any = None
    """bench/poster.py `Figures` (lean poster vs boto3, large fan-out model, slow connection)."""


def _requests(usage: Usage) -> str:
    parts = [f"{name.split('.', 1)[1]}×{n}" for name, n in sorted(usage.requests.items())]
    return ", ".join(parts) or "—"


def _fns(usage: Usage) -> str:
    names: dict[str, int] = {}
    for inv in usage.invocations:
        names[inv.function] = names.get(inv.function, 0) + 1
    return ", ".join(f"{n}×{fn}" if n > 1 else fn for fn, n in names.items())


def _queues(usage: Usage) -> str:
    parts = []
    if usage.sqs_units:
        parts.append(f"SQS {usage.sqs_units}")
    if usage.sns_units:
        parts.append(f"SNS {usage.sns_units}")
    if usage.eventbridge_units:
        parts.append(f"EB {usage.eventbridge_units}")
    if usage.scheduler_invocations:
        sched = usage.requests.get("scheduler.CreateSchedule", 0)
        parts.append(f"Scheduler {sched} create + {usage.scheduler_invocations} fire")
    return ", ".join(parts) or "—"


def operations_table(results: list[Measured], sns: list[Measured] | None = None) -> str:
    sns_cost = {m.name: cost_of(m.usage).total for m in sns or []}
    rows = []
    for m in results:
        u, cost = m.usage, cost_of(m.usage)
        row = [
            m.name,
            _fns(u),
            f"{m.wall_ms:.1f} / {m.cpu_ms:.1f}",
            u.dynamodb_requests,
            _requests(u),
            f"{units(u.rru)} / {units(u.wru)}",
            f"{u.messages_in} / {u.messages_out}",
            _queues(u),
            money(per_million(cost.total), 2),
            money(per_million(cost.overhead), 2),
        ]
        if sns is not None:
            row.append(money(per_million(sns_cost.get(m.name, math.nan)), 2))
        rows.append(row)
    headers = [
        "operation",
        "Lambda invocations",
        "Lambda ms (wall / CPU)",
        "DDB req",
        "DynamoDB requests",
        "RRU / WRU",
        "APIGW msgs in / out",
        "queues, events",
        "$ / M ops",
        "of which above APIGW",
    ]
    if sns is not None:
        headers.append("$ / M with SNS pub/sub")
    return table(headers, rows, "l" + "l" + "r" * 2 + "l" + "r" * (len(headers) - 5))


def traces(results: list[Measured]) -> str:
    lines = []
    for m in results:
        if m.usage.trace:
            lines.append(f"- **{m.name}**: " + "; ".join(f"`{t}`" for t in m.usage.trace))
    return "\n".join(lines)


def adjusted_wall_s(run: FanoutRun) -> float:
    aws_requests = sum(run.usage.requests.values())
    modelled = aws_requests * MODELLED_DYNAMODB_MS / 1000
    return max(0.0, run.wall_s - run.usage.aws_seconds + modelled)


def fanout_table(runs: list[FanoutRun]) -> str:
    rows = []
    for run in runs:
        u, cost = run.usage, cost_of(run.usage)
        per = per_million(cost.total / max(1, run.delivered))
        rows.append(
            [
                f"{run.subscribers:,}",
                f"{len(u.invocations)} ({_fns(u)})",
                f"{u.lambda_ms:,}",
                _requests(u),
                f"{units(u.rru)} / {units(u.wru)}",
                f"{run.delivered:,}",
                u.sqs_units,
                f"{run.publish_ms:,.0f}",
                f"{run.wall_s * 1000:,.0f}",
                f"{adjusted_wall_s(run) * 1000:,.0f}",
                money(per_million(cost.total), 2),
                money(per, 4),
            ]
        )
    headers = [
        "subscribers",
        "Lambda invocations",
        "billed Lambda ms",
        "AWS requests",
        "RRU / WRU",
        "posts",
        "SQS units",
        "publish fn ms",
        "delivered in (ms)",
        "… moto replaced (ms)",
        "$ / M publishes",
        "$ / M delivered",
    ]
    return table(headers, rows)


def fanout_breakdown(runs: list[FanoutRun]) -> str:
    rows = []
    for run in runs:
        cost = cost_of(run.usage)
        n = max(1, run.delivered)
        rows.append(
            [f"{run.subscribers:,}"]
            + [
                money(per_million(part / n), 4)
                for part in (
                    cost.api_gateway,
                    cost.lambda_requests,
                    cost.lambda_duration,
                    cost.dynamodb,
                    cost.queues_and_events,
                    cost.logs,
                    cost.total,
                )
            ]
        )
    headers = ["fan-out", "API GW", "Lambda requests", "Lambda duration", "DynamoDB", "SQS",
               "CloudWatch Logs", "total per M delivered"]  # fmt: skip
    return table(headers, rows)


def scale_table(results: list[Measured]) -> str:
    rows = []
    for m in results:
        u = m.usage
        rows.append(
            [
                m.name,
                _fns(u),
                u.dynamodb_requests,
                _requests(u),
                f"{units(u.rru)} / {units(u.wru)}",
                u.posts,
                _queues(u),
                money(per_million(cost_of(u).total), 2),
            ]
        )
    headers = ["case", "Lambda", "DDB req", "requests", "RRU / WRU", "posts", "queues",
               "$ / M ops"]  # fmt: skip
    return table(headers, rows, "llrlrrlr")


def _op(results: list[Measured], prefix: str) -> Measured | None:
    return next((m for m in results if m.name.startswith(prefix)), None)


def monthly(
    results: list[Measured], liveness: Any = None, connections: int = 10_000, beat_s: int = 30
) -> str:
    """10,000 connections open all month: connection-minutes, keep-alive, heartbeats."""
    from bench import liveness as lv

    del results  # the heartbeat is no operation of its own any more (MOCK route)
    minutes = connections * MONTH_MINUTES
    beats = connections * MONTH_MINUTES * 60 // beat_s
    minute_cost = minutes * prices.APIGW_CONNECTION_MINUTE
    wru = 1.0  # one small item (or attribute) written per beat
    # Hotsock's design: $default Lambda (~5 ms at 512 MB) and a DynamoDB write per beat.
    per_beat_written = (
        prices.APIGW_MESSAGE
        + prices.LAMBDA_REQUEST
        + 0.005 * 0.5 * prices.LAMBDA_GB_SECOND_ARM
        + wru * prices.DYNAMODB_WRU
    )
    rows = [["connection-minutes only (API Gateway)", f"{minutes:,}", money(minute_cost, 2)]]
    if liveness is not None:
        sweep = lv.sweep_month(liveness, connections)
        rows.append(
            ["+ ghost sweep (every connection checked every 4 min)", "—",
             money(minute_cost + sweep, 2)]
        )  # fmt: skip
        rows += lv.monthly_rows(liveness, connections, beat_s, 60)
    rows.append(
        [
            f"+ client heartbeat every {beat_s} s, a design writing DynamoDB per beat (Hotsock)",
            f"{beats:,} frames + {beats * wru:,.0f} WRU",
            money(minute_cost + beats * per_beat_written, 2),
        ]
    )
    note = (
        f"\n\nA heartbeat is a MOCK route here: one API Gateway message and no function; its "
        f'enforcement is the deadline checks of LivenessFunction (see "Connection liveness"). '
        f"A design with a Lambda and a write per beat pays "
        f"{money(per_million(per_beat_written), 2)} per million beats."
    )
    return table(["10,000 connections, 30 days", "billable units", "$ / month"], rows, "lrr") + note


def imports_table(times: list[ImportTime]) -> str:
    rows = [
        [t.function, f"{t.median_ms:.0f}", " / ".join(f"{r:.0f}" for r in t.runs_ms),
         "yes" if t.median_ms <= 300 else "**no**"]
        for t in sorted(times, key=lambda t: -t.median_ms)
    ]  # fmt: skip
    return table(["function", "median ms", "runs ms", "≤ 300 ms"], rows, "lrrc")


def sizes_table(sizes: list[PackageSize]) -> str:
    rows = [
        [s.name, s.files, f"{s.unzipped / 1024:,.1f} KiB", f"{s.zipped / 1024:,.1f} KiB"]
        for s in sizes
    ]
    return table(["package", "files", "unzipped", "zipped"], rows)


def local_table(trips: list[RoundTrip]) -> str:
    rows = [
        [t.clients, len(t.samples_ms), f"{t.percentile(0.5):.1f}", f"{t.percentile(0.95):.1f}",
         f"{max(t.samples_ms):.1f}"]
        for t in trips
    ]  # fmt: skip
    return table(["WebSocket clients", "publishes", "p50 ms", "p95 ms", "max ms"], rows)


def _operation_cost_checks(results: Results) -> list[tuple[str, bool, str]]:
    """Issue #17's targets on single operations: 1:1 client message, subscribe, umd 50."""
    checks: list[tuple[str, bool, str]] = []
    client = _op(results.operations, "client publish")
    if client:
        value = per_million(cost_of(client.usage).total)
        checks.append(
            (
                "1:1 client message (WebSocket in + out): ≤ $2.30 per M (#17)",
                value <= 2.30,
                money(value, 3),
            )
        )
    subscribe = _op(results.operations, "subscribe, standard channel")
    if subscribe:
        value = per_million(cost_of(subscribe.usage).total)
        checks.append(("subscribe, standard channel: ≤ $5.00 per M (#17)", value <= 5.00,
                       f"{money(value, 2)} ({subscribe.usage.wru:g} WRU)"))  # fmt: skip
    umd50 = next((m for m in results.umd if m.name.startswith("umdUpdate propagated to 50 ")), None)
    if umd50:
        n = umd50.usage.dynamodb_requests
        checks.append(("umdUpdate propagated to 50 subscriptions: ≤ 12 DynamoDB requests (#17)",
                       n <= 12, f"{n} requests"))  # fmt: skip
    return checks


def targets(results: Results) -> tuple[str, list[tuple[str, bool, str]]]:
    checks: list[tuple[str, bool, str]] = []
    by_n = {run.subscribers: run for run in results.fanout}
    if 100 in by_n:
        run = by_n[100]
        value = per_million(cost_of(run.usage).total / run.delivered)
        checks.append(("fan-out 100: ≤ $1.03 per M delivered", value <= 1.03, money(value, 4)))
    if 1 in by_n:
        run = by_n[1]
        value = per_million(cost_of(run.usage).total / max(1, run.delivered))
        checks.append(("1:1 server message: ≤ $1.40 per M (#17; was ≤ $1.60)", value <= 1.40,
                       money(value, 3)))  # fmt: skip
    stored = {run.subscribers: run for run in results.stored_fanout}
    if 1 in stored:
        run = stored[1]
        value = per_million(cost_of(run.usage).total / max(1, run.delivered))
        name = "stored 1:1 server message: ≤ $1.60 + $0.63 per M"
        checks.append((name, value <= 2.23, money(value, 3)))
    checks += _operation_cost_checks(results)
    snap = _op(results.operations, "subscribe, with storage snapshot")
    if snap:
        # Issue #7 asked for ≤ 3 requests (one transaction); issue #17's ≤ $5 subscribe needs
        # the transaction's 2× write units gone, which takes single writes (docs/decisions.md,
        # "Subscribe without a transaction"): the target is restated as requests and units.
        n, wru = snap.usage.dynamodb_requests, snap.usage.wru
        checks.append(
            ("subscribe with storage snapshot: ≤ 5 DynamoDB requests and ≤ 4 WRU (#17; #7 had "
             "≤ 3 requests, 8 WRU)", n <= 5 and wru <= 4, f"{n} requests, {wru:g} WRU")
        )  # fmt: skip
    if results.imports:
        worst = max(results.imports, key=lambda t: t.median_ms)
        ok = worst.median_ms <= 300
        checks.append(
            (
                "no handler import above 300 ms",
                ok,
                f"slowest {worst.function} {worst.median_ms:.0f} ms",
            )
        )
    if 1000 in by_n:
        run = by_n[1000]
        adjusted = adjusted_wall_s(run)
        measured = (
            f"{run.wall_s * 1000:,.0f} ms measured on moto; {adjusted * 1000:,.0f} ms with "
            f"moto's time replaced by {MODELLED_DYNAMODB_MS:.0f} ms per request"
        )
        name = "1,000-subscriber fan-out delivered within 1 s (25 ms per post)"
        checks.append((name, adjusted <= 1.0, measured))
    if results.liveness is not None:
        from bench import liveness as lv

        f = results.liveness
        worst = max(lv.per_million_beats(f, i, n) for i, n in ((30, 60), (55, 60), (25, 30)))
        checks.append(
            ("heartbeats with enforcement: ≤ $1.50 per M beats", worst <= 1.50,
             f"{money(lv.per_million_beats(f, 30, 60), 3)} (30 s / 60 s), worst "
             f"{money(worst, 3)}")
        )  # fmt: skip
        idle = lv.sweep_month(f, 0)
        checks.append(
            ("enforcement machinery idle: ≤ $5 per month", idle <= 5.0, f"{money(idle, 2)}")
        )
    if results.poster is not None:
        checks += poster_checks(results.poster)
    rows = [[name, "met" if ok else "**missed**", value] for name, ok, value in checks]
    return table(["target", "status", "measured"], rows, "lcl"), checks


def poster_checks(figures: Any) -> list[tuple[str, bool, str]]:
    """Issue #17's large fan-out targets, from bench/poster.py's model (lean poster)."""
    lean = {row.subscribers: row for row in figures.rows if row.poster == "lean"}
    checks = []
    if 10_000 in lean:
        row = lean[10_000]
        checks.append(
            (
                "fan-out 10,000: ≤ $1.03 per M delivered (modelled)",
                row.per_million_delivered <= 1.03,
                money(row.per_million_delivered, 4),
            )
        )
        checks.append(
            (
                "fan-out 10,000: last post ≤ 1.0 s (10 ms per request, 25 ms per post)",
                row.last_post_s <= 1.0,
                f"{row.last_post_s:.2f} s",
            )
        )
    if 100_000 in lean:
        row = lean[100_000]
        checks.append(
            (
                "fan-out 100,000: last post ≤ 3 s (same model)",
                row.last_post_s <= 3.0,
                f"{row.last_post_s:.2f} s (publish {row.publish_s:.2f} s)",
            )
        )
    if figures.slow is not None:
        slow = figures.slow
        checks.append(
            (
                "one slow connection (2 s per post) in a 1,000 fan-out: ≤ 100 ms delay "
                "to the others' last post",
                slow.delay_ms <= 100,
                f"{slow.delay_ms:.0f} ms (same message; measured)",
            )
        )
        checks.append(
            (
                "the same, for the NEXT message (published right after; F35 lanes)",
                slow.mates_next_ms <= 100,
                f"{slow.mates_next_ms:.0f} ms (its lane-mates against the other lanes, within "
                f"a run; {slow.next_delay_ms:.0f} ms against runs without it)",
            )
        )
    return checks


def poster_section(figures: Any) -> str:
    """The lean poster against boto3, and the large fan-out model (bench/poster.py)."""
    rows = [
        [f"{row.subscribers:,}", row.poster, f"{row.post_cpu_ms:.2f}", f"{row.lanes:,}",
         f"{row.publish_s * 1000:,.0f}", f"{row.lane_s * 1000:,.0f}",
         f"{row.last_post_s * 1000:,.0f}", money(row.per_million_delivered, 4)]
        for row in figures.rows
    ]  # fmt: skip
    headers = ["subscribers", "poster", "CPU ms per post", "lanes", "publish ms", "lane ms",
               "last post ms", "$ / M delivered"]  # fmt: skip
    return table(headers, rows, "llrrrrrr")


def history_section(results: Results) -> str:
    """Issue #14: stored fan-out beside the unstored one, and the history rows."""
    unstored = {run.subscribers: run for run in results.fanout}
    rows = []
    for run in results.stored_fanout:
        u, cost = run.usage, cost_of(run.usage)
        plain = unstored.get(run.subscribers)
        before = money(per_million(cost_of(plain.usage).total), 2) if plain else "—"
        rows.append(
            [
                f"server publish, store 86400, fan-out {run.subscribers}",
                _requests(u),
                f"{units(u.rru)} / {units(u.wru)}",
                f"{u.lambda_ms:,}",
                before,
                money(per_million(cost.total), 2),
                money(per_million(cost.total / max(1, run.delivered)), 4),
            ]
        )
    headers = ["operation", "AWS requests", "RRU / WRU", "billed Lambda ms",
               "$ / M unstored", "$ / M stored", "$ / M delivered"]  # fmt: skip
    stored = table(headers, rows, "llrrrrr")
    return stored + "\n\n" + scale_table(results.history)
