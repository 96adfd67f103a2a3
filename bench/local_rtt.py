"""Round trip on the real local stack (`python -m tools.local`): HTTP publish → N WebSockets.

Starts the stack as a subprocess on a free port, opens N WebSocket clients (`websockets`)
with a connect token, subscribes each to one channel, then times each `POST /publish` from
the request until the last client has the message (p50/p95 over the publishes).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from bench.template import ROOT

SECRET = "opensock-bench-local-secret-0123456789abcdef"
API_KEY = "bench-api-key-0123456789abcdef0123456789"


@dataclass
class RoundTrip:
    clients: int
    samples_ms: list[float]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env() -> dict[str, str]:
    from bench.world import ORIGINAL_ENV

    keep = {k: v for k, v in ORIGINAL_ENV.items() if not k.startswith(("AWS_", "SIGNING_"))}
    keep.update(
        SIGNING_KEY_1_METHOD="HS256",
        SIGNING_KEY_1_ENCODED=base64.b64encode(SECRET.encode()).decode(),
        PUBLISH_API_KEYS=API_KEY,
        POWERTOOLS_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    for name in ("TOKEN_AUDIENCE", "TOKEN_ISSUER", "PUBLISH_API_KEYS_FILE"):
        keep.pop(name, None)
    return keep


def _start(port: int, timeout: float = 90.0) -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.local", "serve", "--port", str(port)],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + timeout
    ws_url = publish_url = ""
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        if match := re.search(r"WebSocket API\s+(\S+)\?token", line):
            ws_url = match.group(1)
        if match := re.search(r"Function URL\s+(\S+)\s+->\s+PublishFunction", line):
            publish_url = match.group(1)
        if "Try: wscat" in line:
            break
    if not ws_url or not publish_url:
        process.kill()
        raise RuntimeError("local stack did not start (no WebSocket or publish URL in banner)")
    # keep reading the stack's output, or it blocks once the pipe buffer is full
    threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
    publish_url = publish_url.rstrip("/")
    if not publish_url.endswith("/publish"):
        publish_url += "/publish"
    return process, ws_url, publish_url


def _drain(stream: Any) -> None:
    for _ in stream:
        pass


def _token() -> str:
    import jwt

    claims = {"scope": "connect", "exp": int(time.time()) + 3600, "uid": "bench"}
    claims["channels"] = {"bench.*": {"subscribe": True}}
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def _wait_for(ws: Any, event: str) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if frame.get("event") == event:
            return dict(frame)


async def _round_trips(ws_url: str, publish_url: str, clients: int, publishes: int) -> RoundTrip:
    import aiohttp
    import websockets

    channel = f"bench.rtt{clients}"
    sockets = []
    for _ in range(clients):
        ws = await websockets.connect(f"{ws_url}?token={_token()}", max_queue=None)
        await _wait_for(ws, "hotsock.connected")
        await ws.send(json.dumps({"event": "hotsock.subscribe", "channel": channel}))
        await _wait_for(ws, "hotsock.subscribed")
        sockets.append(ws)
    samples = []
    headers = {"authorization": f"Bearer {API_KEY}", "content-type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for n in range(publishes + 2):
            body = {"channel": channel, "event": "tick", "data": n}
            started = time.perf_counter()
            async with http.post(publish_url, json=body, headers=headers) as response:
                if response.status >= 300:
                    raise RuntimeError(f"publish answered {response.status}")
            await asyncio.gather(*(_wait_for(ws, "tick") for ws in sockets))
            if n >= 2:  # the first two warm the functions
                samples.append((time.perf_counter() - started) * 1000)
    for ws in sockets:
        await ws.close()
    return RoundTrip(clients, samples)


def measure(client_counts: tuple[int, ...] = (1, 10, 50), publishes: int = 30) -> list[RoundTrip]:
    port = _free_port()
    process, ws_url, publish_url = _start(port)
    try:
        return [asyncio.run(_round_trips(ws_url, publish_url, n, publishes)) for n in client_counts]
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def summary(trip: RoundTrip) -> tuple[float, float, float]:
    return trip.percentile(0.5), trip.percentile(0.95), statistics.mean(trip.samples_ms)
