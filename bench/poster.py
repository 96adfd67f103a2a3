"""Large fan-out at the price floor (issue #17): the lean poster against boto3, and a model.

`post_cpu_ms` measures one `post_to_connection` (CPU of the calling thread) through a boto3
client configured as the adapter's was, and through `LeanPoster`, against a local server that
answers at once. `handler_cpu` runs a real fan-out on moto with instant posts and takes the
CPU the publish and the lane functions spent outside AWS calls, per recipient. `model` then
prices a fan-out of N and times its last post with 10 ms per AWS request and 25 ms per post:

- PublishFunction (512 MB, 512/1,769 of a vCPU): Query pages of ≈ 3,800 subscriptions (1 MB),
  `SendMessageBatch` per 10 lanes, its own CPU; lanes from `DIRECT_LANES` (13) on (all of them
  in a steady channel above ≈ 5,600 subscriptions) are filtered out by DynamoDB, so it reads
  every page but parses nothing and queues a plan, and FanoutFunction (one vCPU) reads the
  channel again and lanes it;
- N / 250 FanoutFunction lanes in parallel (1,769 MB, one vCPU: the posts' CPU is serial), a
  lane's time = its lane state read (F35) + its CPU (handler + 250 posts) + one post's latency
  (a channel of steady size: ≈ 250 per lane; one that just grew has ≈ N / 158 lanes, see
  `domain/lanes.py`);
- the SQS → Lambda hop and cold starts are not included (as in the fan-out table).
"""

from __future__ import annotations

import http.server
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from bench import prices
from bench.world import ROOT  # noqa: F401  (sets sys.path: the layer)
from opensock.app.fanout import DIRECT_LANES  # noqa: F401  (bench/document.py quotes it)

POST_LATENCY_S = 0.025
REQUEST_S = 0.010
LANE = 250
PUBLISH_MB = 512
FANOUT_MB = 1769
VCPU_MB = 1769
ITEMS_PER_PAGE = 3_800
"""Subscription items (≈ 270 B, read whole though projected) per 1 MB Query page."""
RRU_PER_RECIPIENT = 27 / 1000
"""Measured: 1,000 subscriptions = 27 RRU (eventually consistent)."""
LOG_BYTES_PER_INVOCATION = 580
LANE_STATE_RRU = 1
"""A lane message reads its lane's state item, strongly consistent (F35)."""


class _Ok(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def post_cpu_ms(kind: str, calls: int = 400) -> float:
    """CPU ms of one post through `kind` ("boto3" or "lean"), median of 3 runs of `calls`."""
    import boto3
    from botocore.config import Config
    from botocore.credentials import Credentials

    from opensock.adapters.apigw import LeanPoster

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1"
    data = b'{"event":"chat","channel":"chat.fanout","data":{"text":"hello"}}'
    try:
        if kind == "boto3":
            client = boto3.session.Session().client(
                "apigatewaymanagementapi",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="bench",
                aws_secret_access_key="bench",
                aws_session_token="token",
                config=Config(retries={"mode": "standard", "max_attempts": 3}),
            )

            def post(cid: str) -> None:
                client.post_to_connection(ConnectionId=cid, Data=data)
        else:
            lean = LeanPoster(
                endpoint, credentials=Credentials("bench", "bench", "token"), region="us-east-1"
            )

            def post(cid: str) -> None:
                lean.post(cid, data)

        post("warm=")
        runs = []
        for _ in range(3):
            started = time.thread_time()
            for n in range(calls):
                post(f"Conn{n}=")
            runs.append((time.thread_time() - started) * 1000 / calls)
        return sorted(runs)[1]
    finally:
        server.shutdown()


@dataclass(frozen=True)
class HandlerCpu:
    publish_ms_per_recipient: float
    lane_ms_per_recipient: float


def handler_cpu(meter: Any, subscribers: int = 2_000, runs: int = 3) -> HandlerCpu:
    """The functions' own CPU per recipient (instant posts; moto's and the SDK's CPU excluded):
    the least of `runs` runs, since noise (other processes, a collector pass over what earlier
    bench parts left) only ever adds CPU. One run inside a full bench read 30-40 µs per
    recipient for the publish where a fresh process reads 1-2."""
    samples = [_handler_cpu_once(meter, subscribers) for _ in range(runs)]
    return HandlerCpu(
        min(s.publish_ms_per_recipient for s in samples),
        min(s.lane_ms_per_recipient for s in samples),
    )


def _handler_cpu_once(meter: Any, subscribers: int) -> HandlerCpu:
    from bench import scale

    run = scale.fanout(meter, subscribers, latency=0.0, concurrent=False)
    publish = run.usage.invocations[0]
    lanes = run.usage.invocations[1:]
    lane_cpu = sum(inv.cpu_ms for inv in lanes)
    # the SDK's CPU (and in-process moto's) is in aws_cpu_seconds: take it off the publish,
    # which makes every AWS call of the run (the lanes make none: their posts are the fake's)
    publish_cpu = max(0.0, publish.cpu_ms - run.usage.aws_cpu_seconds * 1000)
    return HandlerCpu(publish_cpu / subscribers, lane_cpu / max(1, run.delivered))


@dataclass(frozen=True)
class Modelled:
    subscribers: int
    poster: str
    post_cpu_ms: float
    lanes: int
    publish_s: float
    lane_s: float
    last_post_s: float
    per_million_delivered: float


def _read_and_queue_s(subscribers: int, cpu: HandlerCpu, memory_mb: int) -> float:
    """Reading `subscribers` ids (1 MB pages), deciding their lanes and sending them."""
    pages = math.ceil(subscribers / ITEMS_PER_PAGE)
    sends = math.ceil(math.ceil(subscribers / LANE) / 10)
    cpu_s = subscribers * cpu.publish_ms_per_recipient / 1000
    return cpu_s * VCPU_MB / min(memory_mb, VCPU_MB) + (pages + sends) * REQUEST_S


def model(
    subscribers: int,
    poster: str,
    post_ms: float,
    cpu: HandlerCpu,
    publish_mb: int = PUBLISH_MB,
    planned: bool = True,
) -> Modelled:
    """`planned` (the code since F35's lanes, for a steady channel above ≈ 5,600): the publish
    reads every page, DynamoDB sends it nothing (every lane is from `DIRECT_LANES` on), it
    queues a plan; FanoutFunction reads the channel and queues the lanes (one more invocation
    and SQS message, and the channel's read units twice). False: the publish reads and lanes
    everything itself."""
    lanes = math.ceil(subscribers / LANE)
    sends = math.ceil(lanes / 10)
    extra_invocations, reads = 0, 1
    if planned:
        pages = math.ceil(subscribers / ITEMS_PER_PAGE)
        publish_s = (pages + 1) * REQUEST_S  # every page, filtered; the plan's SendMessage
        planner_s = _read_and_queue_s(subscribers, cpu, FANOUT_MB)
        extra_invocations, sends, reads = 1, sends + 3, 2  # the plan: sent, received, deleted
    else:
        publish_s, planner_s = _read_and_queue_s(subscribers, cpu, publish_mb), 0.0
    lane_cpu_s = LANE * (post_ms + cpu.lane_ms_per_recipient) / 1000
    # + the lane state's GetItem (F35: who fell out of the lane), one per lane message
    lane_s = lane_cpu_s * VCPU_MB / min(FANOUT_MB, VCPU_MB) + POST_LATENCY_S + REQUEST_S
    gb_s = publish_s * publish_mb / 1024 + (lanes * lane_s + planner_s) * FANOUT_MB / 1024
    invocations = 1 + lanes + extra_invocations
    dollars = (
        subscribers * prices.APIGW_MESSAGE
        + invocations * prices.LAMBDA_REQUEST
        + gb_s * prices.LAMBDA_GB_SECOND_ARM
        + (reads * subscribers * RRU_PER_RECIPIENT + lanes * LANE_STATE_RRU) * prices.DYNAMODB_RRU
        + (sends + 2 * lanes) * prices.SQS_FIFO_REQUEST
        + invocations * LOG_BYTES_PER_INVOCATION / 1024**3 * prices.CLOUDWATCH_LOGS_INGEST_GB
    )
    publish_s += planner_s  # from the publish's start until the last lane is queued
    return Modelled(
        subscribers,
        poster,
        post_ms,
        lanes,
        publish_s,
        lane_s,
        publish_s + lane_s,
        dollars / subscribers * 1_000_000,
    )


def query_page_cpu_ms(items: int = ITEMS_PER_PAGE) -> float:
    """Client CPU of one Query page of `items` projected subscriptions (parse + decode)."""
    import json

    import boto3
    from botocore.awsrequest import AWSResponse

    from opensock.adapters.dynamodb.codec import from_item

    page = [{"sk": {"S": f"sub#Conn{n:08d}AbCdEf="}, "lane": {"N": str(n % 40)}}
            for n in range(items)]  # fmt: skip
    body = json.dumps({"Items": page, "Count": items, "ScannedCount": items}).encode()

    class Raw:
        def stream(self, **_: Any) -> Any:
            yield body

    client = boto3.session.Session().client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b"
    )
    headers = {"content-type": "application/x-amz-json-1.0"}
    client.meta.events.register(
        "before-send", lambda request, **_: AWSResponse(request.url, 200, headers, Raw())
    )

    def query() -> None:
        got = client.query(TableName="t", KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": "chan#x"}})  # fmt: skip
        [from_item(item)["sk"] for item in got["Items"]]

    query()
    started = time.thread_time()
    for _ in range(5):
        query()
    return (time.thread_time() - started) * 1000 / 5


@dataclass(frozen=True)
class SlowRun:
    others_last_ms: float
    """The other connections' last post of message 1, from its publish's start."""
    baseline_last_ms: float
    """The same without the slow connection."""
    slow_ms: float
    """When the slow connection's own post of message 1 ended."""
    next_others_last_ms: float = 0.0
    """The other connections' last post of message 2 (published right after message 1)."""
    next_baseline_last_ms: float = 0.0
    mates_next_ms: float = 0.0
    """Within one run with the slow connection: its lane-mates' last post of message 2 minus
    the other lanes' (no baseline run to subtract, so the machine's drift between runs is out;
    median over the runs). Before F35's lanes ≈ the slow post's 2 s."""

    @property
    def delay_ms(self) -> float:
        """Signed: below zero the difference is the machine's noise."""
        return self.others_last_ms - self.baseline_last_ms

    @property
    def next_delay_ms(self) -> float:
        """How much later the others got the NEXT message because of the slow connection."""
        return self.next_others_last_ms - self.next_baseline_last_ms


def _fifo_events(world: Any, meter: Any) -> dict[str, list[dict[str, Any]]]:
    """The queued messages by FIFO group, in order (taken off the queue: the runner below
    plays SQS's FIFO delivery)."""
    import boto3

    sqs = boto3.client("sqs")
    groups: dict[str, list[dict[str, Any]]] = {}
    with meter.measure():
        while got := sqs.receive_message(
            QueueUrl=world.queue_url, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"]
        ).get("Messages"):
            for m in got:
                record = {"body": m["Body"], "receiptHandle": m["ReceiptHandle"],
                          "messageId": m["MessageId"]}  # fmt: skip
                groups.setdefault(m["Attributes"]["MessageGroupId"], []).append(record)
                sqs.delete_message(QueueUrl=world.queue_url, ReceiptHandle=m["ReceiptHandle"])
    return groups


def _run_fifo(world: Any, meter: Any, usage: Any) -> None:
    """FanoutFunction as SQS drives it: groups concurrently, each group's messages one at a
    time; a message's successor starts when its invocation returns or releases it early."""
    queue = world.stack.adapters.fanout_queue
    released: dict[str, threading.Event] = {}
    real_release = getattr(queue, "release", None)  # absent before F35's lanes

    def release(handle: str) -> None:
        if real_release is not None:
            real_release(handle)
        released[handle].set()

    queue.release = release

    from opensock.wiring import build_app

    apps: list[Any] = []

    def run_group(records: list[dict[str, Any]]) -> list[threading.Thread]:
        # each group in its own container (App, post pool), as concurrent invocations are
        app = build_app(world.settings, world.stack.adapters)
        apps.append(app)
        threads = []
        for record in records:
            done = released[record["receiptHandle"]] = threading.Event()

            def invoke(record: dict[str, Any] = record, done: threading.Event = done) -> None:
                world.invoke("fanout", {"Records": [record]}, usage, app)
                done.set()

            threads.append(threading.Thread(target=invoke))
            threads[-1].start()
            done.wait()
        return threads

    from concurrent.futures import ThreadPoolExecutor

    while groups := _fifo_events(world, meter):
        with ThreadPoolExecutor(len(groups)) as pool:
            started = list(pool.map(run_group, groups.values()))
        for threads in started:
            for thread in threads:
                thread.join()
    for app in apps:  # the containers go away (their 250-thread pools would pile up)
        app.fanout.close()


def _last_posts(meter: Any, subscribers: int, slow_s: float) -> tuple[float, float, float, float]:
    """(the others' last post of message 1, of message 2, the slow one's post of message 1),
    ms from message 1's publish (the two messages are published one after the other), and how
    much later the slow one's lane-mates got message 2 than the other lanes' connections."""
    import json

    from bench import clients as c
    from bench import scale, seed
    from bench.world import World

    with World(meter, post_latency=POST_LATENCY_S, record_frames=False) as world:
        channel = "chat.slow"
        seed.subscribers(world, channel, subscribers, scale.FANOUT_GRANTS)
        seed.subscribers(world, "chat.warmup", 1, scale.FANOUT_GRANTS, prefix="W")
        c.server_publish(world, "chat.warmup")
        slow_id: str | None = None
        ended: dict[tuple[str, int], float] = {}
        real = world.gateway.post

        def post(connection_id: str, frame: Any) -> None:
            nonlocal slow_id
            if slow_s and slow_id is None:
                slow_id = connection_id  # the first recipient posted is the slow one
            if connection_id == slow_id:
                time.sleep(slow_s)
            real(connection_id, frame)
            ended[connection_id, json.loads(frame)["data"]["n"]] = time.perf_counter()

        world.gateway.post = post  # type: ignore[method-assign]
        with meter.measure() as usage:
            started = time.perf_counter()
            c.server_publish(world, channel, data={"n": 1})
            c.server_publish(world, channel, data={"n": 2})
            _run_fifo(world, meter, usage)

        def others_last(n: int) -> float:
            times = [t for (cid, m), t in ended.items() if m == n and cid not in (slow_id, "W")]
            return (max(times) - started) * 1000

        slow = ended.get((slow_id or "", 1), started)
        lanes = {r.connection_id: r.lane for r in world.stack.subscriptions.recipients(channel)}
        mates = {cid for cid, lane in lanes.items() if lane == lanes.get(slow_id or "")}

        def last(n: int, among: bool) -> float:
            times = [t for (cid, m), t in ended.items()
                     if m == n and cid != slow_id and (cid in mates) == among]  # fmt: skip
            return max(times)

        # the slow one's lane-mates against the other lanes, message 2, within this run
        held = (last(2, True) - last(2, False)) * 1000 if slow_id is not None else 0.0
        return others_last(1), others_last(2), (slow - started) * 1000, held


def slow_connection(
    meter: Any, subscribers: int = 1_000, slow_s: float = 2.0, runs: int = 5
) -> SlowRun:
    """`runs` pairs of runs without and with the slow connection (in alternating order); the
    delays are the median of each pair's difference (wall times on a shared machine drift by
    ± 100 ms between runs, less within a pair)."""
    pairs = []
    for n in range(runs):  # alternate which of a pair runs first (the first runs slower)
        if n % 2:
            slow = _last_posts(meter, subscribers, slow_s)
            pairs.append((_last_posts(meter, subscribers, 0.0), slow))
        else:
            pairs.append(
                (_last_posts(meter, subscribers, 0.0), _last_posts(meter, subscribers, slow_s))
            )
    middle = runs // 2
    by_delay = sorted(pairs, key=lambda p: p[1][0] - p[0][0])[middle]
    by_next = sorted(pairs, key=lambda p: p[1][1] - p[0][1])[middle]
    held = sorted(pair[1][3] for pair in pairs)[middle]
    return SlowRun(
        by_delay[1][0], by_delay[0][0], by_delay[1][2], by_next[1][1], by_next[0][1], held
    )


@dataclass
class Figures:
    post_ms: dict[str, float]
    cpu: HandlerCpu
    rows: list[Modelled]
    slow: SlowRun | None = None


def measure(meter: Any, sizes: tuple[int, ...] = (10_000, 100_000)) -> Figures:
    base = handler_cpu(meter)
    parse = query_page_cpu_ms() / ITEMS_PER_PAGE
    cpu = HandlerCpu(base.publish_ms_per_recipient + parse, base.lane_ms_per_recipient)
    posts = {kind: post_cpu_ms(kind) for kind in ("boto3", "lean")}
    rows = [model(n, kind, ms, cpu) for n in sizes for kind, ms in posts.items()]
    rows += [model(n, "lean, publish reads all", posts["lean"], cpu, planned=False) for n in sizes]
    return Figures(posts, cpu, rows, slow_connection(meter))


if __name__ == "__main__":
    from bench.meter import Meter

    figures = measure(Meter())
    print(figures.post_ms, figures.cpu, figures.slow)
    for row in figures.rows:
        print(row)
