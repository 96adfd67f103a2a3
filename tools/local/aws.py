"""AWS state for the local stack: moto in-process, with every call made atomic by one lock.

moto is not thread-safe, and handlers run concurrently in worker threads, so moto's request
dispatch (its botocore `before-send` stubber) runs under a single global lock. Requests to the
local server itself (management API, Lambda Invoke API) pass through moto to the real socket.
Listeners hear about each AWS call (outside the lock), which is how the SQS poller wakes up.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from moto import mock_aws
from moto.core.models import botocore_stubber

Listener = Callable[[str], None]
AWS_LOCK = threading.RLock()
_SCRUBBED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def _target(request: Any) -> str:
    """`AmazonSQS.SendMessage`-style operation name of a botocore request (best effort)."""
    headers = request.headers
    target = headers.get("X-Amz-Target") or headers.get("x-amz-target") or b""
    if isinstance(target, bytes):
        target = target.decode()
    return str(target) or str(request.url)


class MotoWorld:
    """Starts moto with passthrough to `http://127.0.0.1:<port>` and the global lock."""

    def __init__(self, port: int) -> None:
        self._mock = mock_aws(
            config={"core": {"passthrough": {"urls": [rf"https?://127\.0\.0\.1:{port}/.*"]}}}
        )
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        self._mock.start()
        original = type(botocore_stubber).process_request.__get__(botocore_stubber)

        def locked(request: Any) -> Any:
            with AWS_LOCK:
                response = original(request)
            if response is not None:
                target = _target(request)
                for listener in list(self._listeners):
                    listener(target)
            return response

        botocore_stubber.process_request = locked  # type: ignore[method-assign]

    def stop(self) -> None:
        self._listeners.clear()
        if "process_request" in vars(botocore_stubber):
            del botocore_stubber.process_request
        self._mock.stop()


@contextmanager
def process_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set the handlers' environment for the process; restore the previous one afterwards.

    Endpoint overrides and profiles from the developer's shell are removed: every AWS call must
    reach moto (only Lambda is redirected, to the local Invoke API).
    """
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in _SCRUBBED:
            del os.environ[name]
    os.environ.update(variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
