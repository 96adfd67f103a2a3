"""The local stack on a background thread (for tests and tools that share the process).

    with running_in_thread(StackOptions(port=0)) as stack:
        ...  # stack.ws_url, stack.http_url, stack.mint_token(...)

The stack's event loop lives on its own thread; `call(coroutine)` runs a coroutine there.
Sharing the process means sharing moto and `os.environ` (restored when the stack stops).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from tools.local.server import LocalStack, StackOptions

T = TypeVar("T")
START_TIMEOUT_SECONDS = 60.0


class StackThread:
    def __init__(self, options: StackOptions) -> None:
        self.stack = LocalStack(options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="local-stack", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = START_TIMEOUT_SECONDS) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def start(self) -> LocalStack:
        self._thread.start()
        try:
            self.call(self.stack.start())
        except BaseException:
            self._halt()
            raise
        return self.stack

    def stop(self) -> None:
        try:
            self.call(self.stack.stop())
        finally:
            self._halt()

    def _halt(self) -> None:
        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._loop.shutdown_asyncgens()
            await self._loop.shutdown_default_executor()

        asyncio.run_coroutine_threadsafe(drain(), self._loop).result(START_TIMEOUT_SECONDS)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT_SECONDS)
        self._loop.close()


@contextmanager
def running_in_thread(options: StackOptions) -> Iterator[LocalStack]:
    runner = StackThread(options)
    stack = runner.start()
    try:
        yield stack
    finally:
        runner.stop()
