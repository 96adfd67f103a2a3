"""`python -m tools.local`: run the local stack (`make dev`), mint a token, or invoke a handler.

    python -m tools.local [serve] [--port 8787] [--idle-timeout S] [--max-lifetime S]
                          [--fresh] [--state-file tmp/local-state.json]
    python -m tools.local token --uid Jim --umd '{"name": "Jim"}' --claims '{"channels": {...}}'
    python -m tools.local invoke connect events/connect.json

`PORT`, `LOCAL_IDLE_TIMEOUT`, `LOCAL_MAX_LIFETIME` and `LOCAL_RATE_SECONDS` set the defaults
of the serve flags. The table's items and pending schedules are kept across restarts in the
state file; `--fresh` starts empty (the old file is kept as `<file>.previous`).
Settings such as `SIGNING_KEY_1_ENCODED` or `PUBLISH_API_KEYS` in the shell override the local
defaults under their deployed names.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from tools.local.environment import SIGNING_DEFAULTS, handler_environment
from tools.local.intrinsics import LocalWorld
from tools.local.local_api import banner
from tools.local.server import LocalStack, PortInUseError, StackOptions
from tools.local.state_file import DEFAULT_STATE_FILE
from tools.local.template import DEFAULT_TEMPLATE, load_local_template
from tools.local.tokens import mint_token


def _parameters(pairs: list[str]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in pairs)


def _state_file(args: argparse.Namespace) -> Path:
    path: Path = args.state_file
    if args.fresh and path.exists():
        path.replace(path.with_name(path.name + ".previous"))
        print(f"opensock: starting empty; the previous state is in {path.name}.previous")
    return path


def _options(args: argparse.Namespace) -> StackOptions:
    return StackOptions(
        port=args.port,
        template=args.template,
        idle_timeout=args.idle_timeout,
        max_lifetime=args.max_lifetime,
        rate_seconds=args.rate_seconds or None,
        parameters=_parameters(args.param),
        environ=dict(os.environ),
        state_file=_state_file(args),
    )


async def serve(options: StackOptions) -> None:
    stack = LocalStack(options)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()

    def request_stop() -> None:
        if stopping.is_set():
            os._exit(130)  # second Ctrl-C: give up on a clean stop
        print("\nstopping...", file=sys.stderr, flush=True)
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, request_stop)
    await stack.start()
    print(banner(stack), flush=True)
    try:
        await stopping.wait()
    finally:
        await stack.stop()
    print("stopped", file=sys.stderr, flush=True)


def token(args: argparse.Namespace) -> None:
    try:
        template = load_local_template(args.template, LocalWorld(port=0))
        environ = handler_environment(template, os.environ).variables
    except FileNotFoundError:
        environ = {**SIGNING_DEFAULTS, **os.environ}
    claims: dict[str, Any] = json.loads(args.claims) if args.claims else {}
    if args.uid is not None:
        claims["uid"] = args.uid
    if args.umd is not None:
        claims["umd"] = json.loads(args.umd)
    private_key = Path(args.private_key).read_text() if args.private_key else None
    print(mint_token(environ, claims, scope=args.scope, ttl=args.ttl, private_key=private_key))


async def invoke(args: argparse.Namespace) -> None:
    stack = LocalStack(StackOptions(port=0, template=args.template, environ=dict(os.environ)))
    await stack.start()
    try:
        by_dir = {spec.code_dir.name: name for name, spec in stack.template.functions.items()}
        function = by_dir.get(args.function, args.function)
        event = json.loads(Path(args.event).read_text())
        result = await stack.invoker.invoke(function, event)
        print(json.dumps(result, indent=2, default=str))
    finally:
        await stack.stop()


def _serve_flags(run: argparse.ArgumentParser) -> None:
    flags: list[tuple[str, type, str, str, str]] = [
        ("--port", int, "PORT", "8787", "port on 127.0.0.1"),
        ("--idle-timeout", float, "LOCAL_IDLE_TIMEOUT", "600", "seconds without data frames"),
        ("--max-lifetime", float, "LOCAL_MAX_LIFETIME", "7200", "maximum connection seconds"),
        (
            "--rate-seconds",
            float,
            "LOCAL_RATE_SECONDS",
            "0",
            "period of rate() schedules (0: theirs)",
        ),
    ]
    for flag, kind, env, default, text in flags:
        run.add_argument(
            flag,
            type=kind,
            default=kind(os.environ.get(env, default)),
            help=f"{text} (env {env}, default {default})",
        )
    run.add_argument("--param", action="append", default=[], help="template parameter Name=Value")
    run.add_argument("--fresh", action="store_true", help="start empty, not from the state file")
    run.add_argument(
        "--state-file",
        type=Path,
        default=DEFAULT_STATE_FILE,
        help="where table items and schedules are kept across restarts (default %(default)s)",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m tools.local", description=__doc__.split("\n")[0])
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the whole service on 127.0.0.1 (default)")
    _serve_flags(run)
    mint = commands.add_parser("token", help="print a JWT signed with the local signing key 1")
    mint.add_argument("--uid")
    mint.add_argument("--umd", help="JSON")
    mint.add_argument("--claims", help="JSON object of further claims")
    mint.add_argument("--scope", default="connect")
    mint.add_argument("--ttl", type=int, default=3600)
    mint.add_argument("--private-key", help="PEM file, for RS/PS/ES/EdDSA signing keys")
    call = commands.add_parser("invoke", help="run one handler once on an event file")
    call.add_argument("function", help="function dir (connect) or logical id (ConnectFunction)")
    call.add_argument("event", help="path to a JSON event")
    for command in (run, mint, call):
        command.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    return root


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["serve", *argv]
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    if args.command == "serve":
        try:
            asyncio.run(serve(_options(args)))
        except PortInUseError as exc:
            pick = f"run make dev PORT={exc.free}" if exc.free else "pick another with PORT=..."
            print(f"opensock: port {exc.port} is already in use; {pick}", file=sys.stderr)
            sys.exit(1)
    elif args.command == "token":
        token(args)
    else:
        asyncio.run(invoke(args))


if __name__ == "__main__":
    main()
