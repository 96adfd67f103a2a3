"""The local stack: template -> moto resources -> handlers -> one aiohttp server on one port.

`LocalStack(options)` is started and stopped inside an event loop (`python -m tools.local`
does that in the foreground; `run_in_thread` does it on a background thread for tests).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from aiohttp import web

from tools.local import (
    chat_demo,
    inspect_api,
    local_api,
    resources,
    state_file,
    static_files,
    token_api,
)
from tools.local.aws import MotoWorld, process_environment
from tools.local.connections import ConnectionRegistry, Limits
from tools.local.environment import function_aliases, handler_environment
from tools.local.function_urls import FunctionUrls
from tools.local.gateway import WebSocketGateway
from tools.local.intrinsics import LocalWorld
from tools.local.invoker import Invoker
from tools.local.lambda_api import LambdaApi
from tools.local.management_api import ManagementApi
from tools.local.pubsub_recorder import PubSubRecorder
from tools.local.sources import start_sources
from tools.local.template import DEFAULT_TEMPLATE, load_local_template
from tools.local.tokens import mint_token
from tools.local.wiring import function_urls, websocket_api

log = logging.getLogger("tools.local")


@dataclass(frozen=True)
class StackOptions:
    port: int = 8787
    template: Path = DEFAULT_TEMPLATE
    idle_timeout: float = 600.0
    max_lifetime: float = 7200.0
    rate_seconds: float | None = None
    """Play every `rate()` schedule with this period instead (time-compressed tests)."""
    parameters: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=dict)
    """The developer's shell: overrides of settings such as `SIGNING_KEY_1_ENCODED`."""
    state_file: Path | None = None
    """Where the table's items and pending schedules are kept across restarts (None: nowhere)."""


class PortInUseError(Exception):
    def __init__(self, port: int, free: int) -> None:
        super().__init__(f"port {port} is already in use (port {free} is free)")
        self.port = port
        self.free = free


def bind(port: int) -> socket.socket:
    """Reserve 127.0.0.1:port (0 = a free one); listening starts only once the stack is ready."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(port, _free_port_after(port)) from exc
        raise
    return sock


def _free_port_after(port: int) -> int:
    """The first port after `port` that binds now (a suggestion; it may be gone later)."""
    for candidate in range(port + 1, min(port + 100, 65536)):
        try:
            bind(candidate).close()
        except OSError:
            continue
        return candidate
    return 0


class LocalStack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.ready = False
        self.ready_once = False
        self.environment: dict[str, str] = {}
        self.stage = "v1"
        self.port = options.port
        self._exit = ExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._warming: asyncio.Future[None] | None = None
        self.gateway: WebSocketGateway | None = None
        self.keeper: state_file.StateKeeper | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/{self.stage}"

    @property
    def publish_key(self) -> str:
        return self.environment.get("PUBLISH_API_KEYS", "").split(",")[0].strip()

    def mint_token(self, claims: Mapping[str, Any] | None = None, **options: Any) -> str:
        return mint_token(self.environment, claims, **options)

    async def start(self) -> None:
        sock = bind(self.options.port)  # first: a taken port fails at once
        self.port = sock.getsockname()[1]
        self._warming = asyncio.ensure_future(asyncio.to_thread(resources.warm_moto_imports))
        try:
            app = await self._build()
        except BaseException:
            sock.close()
            self._exit.close()
            raise
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=5.0
        )
        await self._runner.setup()
        restored = await self._restore_state()
        await web.SockSite(self._runner, sock).start()
        self._tasks = start_sources(
            self.template,
            self.invoker,
            self.moto,
            self.lambda_api.dispatch,
            self.options.rate_seconds,
        )
        if self.gateway is not None:
            for connection_id in restored:
                await self.gateway.disconnect_gone(connection_id, f"127.0.0.1:{self.port}")
        if self.keeper is not None:
            self.moto.add_listener(self.keeper.on_aws_call)
            self._tasks.append(asyncio.create_task(self._keep_state(self.keeper)))
        self.ready = self.ready_once = True

    async def _restore_state(self) -> list[str]:
        """The saved state, written into moto before anything is served (see state_file)."""
        path = self.options.state_file
        if path is None:
            return []
        self.keeper = state_file.StateKeeper(path, self.template)
        saved = await asyncio.to_thread(state_file.read, path)
        if saved is None:
            return []
        return await asyncio.to_thread(state_file.restore_or_set_aside, self.template, saved, path)

    async def _keep_state(self, keeper: state_file.StateKeeper) -> None:
        while True:
            await asyncio.sleep(state_file.SAVE_SECONDS)
            if keeper.dirty:
                await asyncio.to_thread(keeper.save)

    async def _build(self) -> web.Application:
        world = LocalWorld(port=self.port)
        template = load_local_template(self.options.template, world, self.options.parameters)
        api = websocket_api(template)
        self.stage = api.stage if api else "v1"
        environment = handler_environment(template, self.options.environ, self.stage)
        for name, values in environment.conflicts.items():
            log.warning("functions disagree on %s (%s); using the first", name, sorted(values))
        self.environment = environment.variables
        self._exit.enter_context(process_environment(self.environment))
        self.moto = MotoWorld(self.port)
        self.moto.start()
        self._exit.callback(self.moto.stop)
        await asyncio.to_thread(resources.create_all, template)
        self.template = template
        self.invoker = Invoker(template)
        self._exit.callback(self.invoker.close)
        self.recorder = await asyncio.to_thread(self._recorder)
        self.import_errors = await asyncio.to_thread(self.invoker.warm)
        return self._app(api)

    def _recorder(self) -> PubSubRecorder:
        region = self.template.world.region
        recorder = PubSubRecorder(
            *(boto3.client(s, region_name=region) for s in ("sqs", "sns", "events"))
        )
        if self.environment.get("PUBSUB_SNS_TOPIC_ARN"):
            recorder.watch_topic(self.environment["PUBSUB_SNS_TOPIC_ARN"])
        if self.environment.get("PUBSUB_EVENT_BUS_NAME"):
            recorder.watch_bus(self.environment["PUBSUB_EVENT_BUS_NAME"])
        return recorder

    def _app(self, api: Any) -> web.Application:
        limits = Limits(
            idle_seconds=self.options.idle_timeout, lifetime_seconds=self.options.max_lifetime
        )
        registry = ConnectionRegistry()
        self.lambda_api = LambdaApi(self.invoker, function_aliases(self.template))
        app = web.Application(client_max_size=8 * 1024 * 1024)
        self.gateway = None
        if api is not None:
            self.gateway = WebSocketGateway(
                api, self.invoker, registry, limits, self.template.world.api_id
            )
            app.router.add_get(f"/{api.stage}", self.gateway.handle)
            app.add_routes(ManagementApi(registry, limits).routes(api.stage))
        app.add_routes(self.lambda_api.routes())
        app.add_routes(local_api.routes(self))
        app.add_routes(token_api.routes(self))
        app.add_routes(inspect_api.routes(self))
        app.add_routes(chat_demo.routes(self))
        app.add_routes(static_files.routes())
        urls = FunctionUrls(function_urls(self.template), self.invoker, self.template.world.region)
        app.router.add_route("*", "/{tail:.*}", urls.handle)
        self.function_urls = urls
        return app

    async def stop(self) -> None:
        self.ready = False
        if self._warming is not None:
            await self._warming
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.gateway is not None:
            await self.gateway.close_all()
        if self._runner is not None:
            await self.lambda_api.drain()
            await self._runner.cleanup()
        if self.keeper is not None and self.ready_once:
            await asyncio.to_thread(self.keeper.save)
        await asyncio.to_thread(self._exit.close)
