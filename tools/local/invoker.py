"""Running handlers in-process as Lambda runs them.

Each function is imported once, under its own module name (`functions/<dir>/app.py` with the
template's code layers on `sys.path`): that module is the function's warm container. One
invocation at a time per function, in a worker thread, so the server's event loop never blocks.
A handler's exception becomes a Lambda-style error payload (`HandlerError`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.iam_calls import CURRENT_FUNCTION
from tools.local import runtime_warnings
from tools.local.naming import function_arn
from tools.local.runtime_warnings import HANDLER_THREAD_PREFIX
from tools.local.template import FunctionSpec, LocalTemplate

log = logging.getLogger("tools.local")
Handler = Callable[[Any, Any], Any]


class HandlerError(Exception):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("errorMessage"))
        self.payload = payload


@dataclass
class FakeLambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout: float
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)
    identity: Any = None
    client_context: Any = None

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[$LATEST]local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout - time.monotonic()) * 1000))


@dataclass
class Invocation:
    function: str
    event: Any
    started_at: float
    duration_ms: float | None = None
    """None while the handler is still running."""
    error: dict[str, Any] | None = None


def reset_container_caches(roots: Iterable[Path]) -> None:
    """Clear `lru_cache`s of already-imported handler/layer modules: a fresh set of containers."""
    prefixes = tuple(str(root) for root in roots)
    for module in list(sys.modules.values()):
        if str(getattr(module, "__file__", None) or "").startswith(prefixes):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


class Invoker:
    def __init__(self, template: LocalTemplate, max_workers: int = 64) -> None:
        self.template = template
        self.history: deque[Invocation] = deque(maxlen=1000)
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix=HANDLER_THREAD_PREFIX)
        self._handlers: dict[str, Handler] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._import_lock = threading.Lock()
        reset_container_caches(self.code_roots())
        runtime_warnings.install()

    def code_roots(self) -> set[Path]:
        roots = {p for spec in self.template.functions.values() for p in spec.layer_paths}
        return roots | {spec.code_dir for spec in self.template.functions.values()}

    async def invoke(self, function: str, event: Any) -> Any:
        """Run `function` on `event`; raises HandlerError if the handler raised."""
        spec = self.template.function(function)
        lock = self._locks.setdefault(function, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, self._call, spec, event)

    def _call(self, spec: FunctionSpec, event: Any) -> Any:
        record = Invocation(spec.logical_id, event, time.time())
        self.history.append(record)
        context = FakeLambdaContext(
            spec.logical_id,
            function_arn(self.template.resolver, spec.logical_id),
            spec.memory,
            spec.timeout,
        )
        token = CURRENT_FUNCTION.set(recorded_name(spec))  # IAM recording (tools/iam_calls.py)
        try:
            return self.load(spec)(event, context)
        except Exception as exc:
            record.error = _error_payload(exc, context.aws_request_id)
            log.exception("%s raised (Unhandled)", spec.logical_id)
            raise HandlerError(record.error) from exc
        finally:
            CURRENT_FUNCTION.reset(token)
            duration_ms = (time.monotonic() - context.started) * 1000
            record.duration_ms = duration_ms
            if duration_ms > spec.timeout * 1000:
                log.warning(
                    "%s ran %.0f ms, over its %ss Timeout",
                    spec.logical_id,
                    duration_ms,
                    spec.timeout,
                )

    def load(self, spec: FunctionSpec) -> Handler:
        with self._import_lock:
            if spec.logical_id not in self._handlers:
                self._handlers[spec.logical_id] = _import_handler(spec)
            return self._handlers[spec.logical_id]

    def warm(self) -> dict[str, str]:
        """Import every handler now; returns import errors by function (logged, not raised)."""
        errors = {}
        for spec in self.template.functions.values():
            try:
                self.load(spec)
            except Exception as exc:
                errors[spec.logical_id] = f"{type(exc).__name__}: {exc}"
                log.error("cannot import %s: %s", spec.logical_id, errors[spec.logical_id])
        return errors

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        runtime_warnings.uninstall()
        reset_container_caches(self.code_roots())


def recorded_name(spec: FunctionSpec) -> str | None:
    """`functions/<dir>` of this repository's functions (not of a test fixture's template)."""
    functions = Path(__file__).resolve().parents[2] / "functions"
    return spec.code_dir.name if spec.code_dir.parent == functions else None


def _import_handler(spec: FunctionSpec) -> Handler:
    for path in reversed(spec.layer_paths):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    module_path, _, attribute = spec.handler.rpartition(".")
    file = spec.code_dir.joinpath(*module_path.split(".")).with_suffix(".py")
    name = f"_opensock_local_{spec.logical_id}_{module_path.replace('.', '_')}"
    module_spec = importlib.util.spec_from_file_location(name, file)
    if module_spec is None or module_spec.loader is None or not file.is_file():
        raise ImportError(f"{spec.logical_id}: handler file {file} not found")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    handler: Handler = getattr(module, attribute)
    return handler


def _error_payload(exc: BaseException, request_id: str) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }
