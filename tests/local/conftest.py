"""Fixtures that start the real local stack (tools/local) on a free port, in this process.

`local_stack` (module scope) runs the stack from the repository's `template.yaml` with the real
handlers; `fixture_stack` runs it from `tests/local/fixtures/template.yaml` (mini handlers that
test the emulator itself). Both yield a `StackHandle` (tests/local/harness.py):

- `.ws_url` (`ws://127.0.0.1:PORT/v1`), `.http_url`, `.publish_key`, `.environment` (the
  handlers' environment);
- `.mint_token(scope="connect", ttl=3600, **claims)`: a JWT signed with the local key 1;
- `.connect(token, headers=None, **query)`: `await` it, or `async with` it, for a `WsClient`
  with `send(obj)`, `recv(timeout)`, `recv_event(event_name, timeout)` (buffers other frames)
  and `close()`;
- `.events(type=None)` / `.wait_event(type, predicate, timeout)`: recorded pub/sub envelopes;
- `.invocations(function=None)`: handler invocations (event, timing, error payload);
- `.lambda_client()` / `.management_client()`: boto3 clients pointed at the stack;
- `.http(method, path, body=None, headers=None) -> (status, headers, body)`.

Tests are synchronous; run WebSocket scenarios with `asyncio.run(...)`. The stack shares this
process's moto and `os.environ` while it runs (both are restored afterwards).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local.harness import StackHandle
from tools.local.server import StackOptions
from tools.local.template import DEFAULT_TEMPLATE
from tools.local.threaded import running_in_thread

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"


def start(template: Path, **options: float) -> Iterator[StackHandle]:
    with running_in_thread(StackOptions(port=0, template=template, **options)) as stack:  # type: ignore[arg-type]
        handle = StackHandle(stack)
        yield handle
        handle.close()


@pytest.fixture(scope="module")
def local_stack() -> Iterator[StackHandle]:
    yield from start(DEFAULT_TEMPLATE)


@pytest.fixture(scope="module")
def fixture_stack() -> Iterator[StackHandle]:
    yield from start(FIXTURE_TEMPLATE)
