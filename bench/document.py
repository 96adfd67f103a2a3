"""Rendering docs/performance.md (method, figures, and the findings kept in bench/findings.md)."""

from __future__ import annotations

from bench import prices
from bench import report as r
from bench.liveness import render as liveness_section
from bench.tables import table

METHOD = """\
## How this is measured

- **Requests** are counted by botocore handlers registered on boto3's default session
  (`before-parameter-build`, `before-call`, `after-call`): every SDK request the handlers make
  against moto, by service and operation. The management API (posts), asynchronous Lambda
  invokes (ConnectedFunction) and the SQS event source are not SDK calls in the bench: posts
  are counted by a `FakeConnections` subclass, async invokes and schedules are captured and
  their target functions run in-process, and Lambda's SQS poller is modelled (one
  ReceiveMessage and one DeleteMessage per lane).
- **DynamoDB units are computed from item sizes**, not read from moto: the bench asks for
  `ReturnConsumedCapacity=TOTAL`, but moto answers a constant (0.5 per read request, 1.0 per
  write request) whatever the size. Sizes follow DynamoDB's rules (name + value bytes); reads
  round up per 4 KB (half for eventually consistent), writes per 1 KB, transactions double,
  conditional writes that fail still pay, and every write that adds, changes or removes an
  item in `gsi1` pays the index write too. Query sizes come from a wrapper on moto's
  `Table.query` that sees every item the request evaluated, before the filter and the
  projection (DynamoDB bills those; a `ProjectionExpression` does not make a Query cheaper).
- **Lambda duration** is each handler's wall time in-process (against moto and the fakes),
  rounded up to 1 ms and billed at the function's `MemorySize` from `template.yaml`, arm64.
  moto answers a small request in ~1–5 ms, close to DynamoDB from Lambda, but a Query costs
  ~0.5 ms per item it returns, far slower than DynamoDB for big channels: fan-out wall times
  are also shown with moto's time replaced by {modelled:.0f} ms per request. "CPU" is the
  handler's CPU time outside AWS calls (signing, moto and parsing excluded).
- **API Gateway messages**: every client frame in, every post out and every two-way reply out,
  in 32 KB units. `$connect`/`$disconnect` are not messages.
- **CloudWatch Logs**: what the functions print (Powertools EMF metrics and logs) plus
  ~300 bytes per invocation for Lambda's START/END/REPORT lines, at $0.50 per GB.
- Fan-out runs against a management API that sleeps 25 ms per post. Channels above 250
  subscribers go through FanoutQueue (moto SQS FIFO); the queued lanes are then run
  concurrently, each in its own thread as a separate FanoutFunction invocation (BatchSize 1;
  Lambda scales out per message group). SQS→Lambda polling delay is not included.
- Pub/sub (SNS/EventBridge) is off by default in `template.yaml`; the operations table shows
  the cost with SNS on in its last column.
- Each operation runs once to warm up (imports, lazy clients), then {repeat} times; units are
  identical across runs, times are the median run's.
"""


def render(results: r.Results) -> str:
    m = results.machine
    repeat = "2" if results.mode == "quick" else "5"
    parts = [
        "# Performance and cost",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand except "
        "`bench/findings.md`, which is copied in below. Issue #7, with the bench parts of "
        "#3–#6.",
        "",
        f"Latest run: {m['date']}, commit `{m['commit']}`, mode **{results.mode}**, "
        f"{results.seconds:.0f} s. Machine: {m['nproc']} CPUs ({m['cpu']}), Python "
        f"{m['python']}, moto {m['moto']}, {m['os']}. Prices: AWS {prices.REGION} on-demand, "
        f"read {prices.PRICES_READ_ON} (`bench/prices.py`).",
        "",
        "## Targets",
        "",
        r.targets(results)[0],
        "",
        results.findings.strip(),
        "",
        METHOD.format(modelled=r.MODELLED_DYNAMODB_MS, repeat=repeat),
        "## Prices used",
        "",
        table(["item", "price"], prices.PRICE_TABLE, "lr"),
        "",
        "## Every operation",
        "",
        "Per operation: the Lambda invocations it causes, their time, DynamoDB requests and "
        "units, API Gateway messages (frames in / posts and replies out), queue and event "
        "requests, and dollars per million operations (total, and above API Gateway's message "
        "charge).",
        "",
        r.operations_table(results.operations, results.operations_sns),
        "",
        "Requests in order (key prefixes of the items touched):",
        "",
        r.traces(results.operations),
        "",
        "## Fan-out (server publish; issue #4)",
        "",
        "Server publish (PublishFunction, direct invoke) to N subscribers; management API at "
        "25 ms per post.",
        "",
        r.fanout_table(results.fanout),
        "",
        "Dollars per million delivered messages, by component:",
        "",
        r.fanout_breakdown(results.fanout),
        "",
        *(_poster_part(results) if results.poster is not None else []),
        "## Channel storage (issue #5)",
        "",
        "`hotsock.channelStorageSet` (one key, a changed value), `hotsock.channelStorageGet`, "
        "and `hotsock.subscribe` with the storage snapshot, on a channel holding K keys "
        "(~60 B values) watched by O observers.",
        "",
        r.scale_table(results.storage),
        "",
        "## umdUpdate (issue #6)",
        "",
        "Per channel: see the operations table. Propagated (`umdPropagate`) to K subscriptions "
        "of one connection, every other one a presence channel:",
        "",
        r.scale_table(results.umd),
        "",
        "## Stored messages, history, reactions and resume (issue #14)",
        "",
        "A stored server publish (`store: 86400`, 25 ms per post) beside the same publish "
        "unstored; `connection/listMessages` of a full page (100 messages of ~190 B, 20 of them "
        "with 3 reactions); a reaction add over the WebSocket; a `resumeAfter` subscribe that "
        "delivers 100 messages, billed with its 1.5 s hand-off wait (docs/extensions.md).",
        "",
        r.history_section(results),
        "",
        "## Connection liveness (issue #15)",
        "",
        *(
            [liveness_section(results.liveness), ""]
            if results.liveness is not None
            else ["Not measured.", ""]
        ),
        "## 10,000 connections for a month",
        "",
        r.monthly(results.operations, results.liveness),
        "",
        "## Cold start",
        "",
        "Import time of each handler module in a fresh interpreter (layer on `sys.path`), "
        f"median of {1 if results.mode == 'quick' else 3} runs, on this machine:",
        "",
        r.imports_table(results.imports),
        "",
        "Heaviest imports (`-X importtime` self time summed by top-level package, ms):",
        "",
    ]
    for fn, rows in sorted(results.heavy_imports.items()):
        parts.append(f"- `{fn}`: " + ", ".join(f"{name} {ms:.0f}" for name, ms in rows))
    parts += [
        "",
        f"Package sizes ({results.build_note}):",
        "",
        r.sizes_table(results.sizes),
        "",
        "## Local round trip (issue #3)",
        "",
    ]
    if results.local:
        parts += [
            "`python -m tools.local` as a subprocess; `POST /publish` (Function URL) until the "
            "last of N `websockets` clients has the frame; the first two publishes warm up.",
            "",
            r.local_table(results.local),
        ]
    else:
        parts.append(f"Not measured: {results.local_note}")
    parts.append("")
    return "\n".join(parts)


def _poster_part(results: r.Results) -> list[str]:
    from bench import poster

    figures = results.poster
    slow = figures.slow
    parts = [
        "### Large fan-out, modelled (issue #17)",
        "",
        "CPU per `post_to_connection` measured in this process against a local server that "
        f"answers at once (median of 3 × 400 posts): boto3 {figures.post_ms['boto3']:.2f} ms, "
        f"the lean poster (`adapters/apigw.py`) {figures.post_ms['lean']:.2f} ms. The "
        "functions' own CPU from a 2,000 fan-out on moto with instant posts: publish "
        f"{figures.cpu.publish_ms_per_recipient * 1000:.1f} µs per recipient (with the SDK's "
        "parse of the Query pages, measured on a canned 1 MB page), lane "
        f"{figures.cpu.lane_ms_per_recipient * 1000:.0f} µs per recipient (thread pool and the "
        f"bench's counting fake). Model ({poster.__name__}): {poster.REQUEST_S * 1000:.0f} ms "
        f"per AWS request, {poster.POST_LATENCY_S * 1000:.0f} ms per post, PublishFunction at "
        f"{poster.PUBLISH_MB} MB; lanes from {poster.DIRECT_LANES} on (every lane of these "
        "channels) are filtered out of its read, so it reads every page, parses none and "
        f"queues a plan, and FanoutFunction ({poster.FANOUT_MB} MB, "
        'one vCPU) reads the channel and queues the lanes ("publish reads all": it lanes '
        f"everything itself); lanes of {poster.LANE} in parallel at {poster.FANOUT_MB} MB "
        "(a lane's posts' CPU is serial). \"publish ms\" runs until the last lane is "
        "queued. The SQS → Lambda hops and cold starts are not included.",
        "",
        r.poster_section(figures),
        "",
    ]
    if slow is not None:
        parts += [
            "One connection answering in 2 s in a 1,000 fan-out (measured, 4 lanes, the median "
            "pair of 5 pairs of runs without and with it; two messages published one after "
            "the other, FanoutFunction driven as SQS FIFO does: a group's next message starts "
            "when the previous invocation returns or releases it): the others' "
            f"last post of message 1 {slow.others_last_ms:,.0f} ms after its publish started, "
            f"{slow.baseline_last_ms:,.0f} ms without the slow connection; of message 2 "
            f"{slow.next_others_last_ms:,.0f} ms, {slow.next_baseline_last_ms:,.0f} ms "
            f"without; the slow one's first post {slow.slow_ms:,.0f} ms. Within a run with the "
            "slow connection, its lane-mates' last post of message 2 came "
            f"{slow.mates_next_ms:,.0f} ms after the other lanes' (median of the runs; free "
            "of the drift between runs).",
            "",
        ]
    return parts
