"""Warnings inside handlers behave as in the Lambda runtime: logged, never raised.

The local stack shares its process with whatever started it. Under pytest's
`filterwarnings = error`, a library warning inside a handler (Powertools' "No application
metrics to publish", say) would become an exception and change what the handler does, which a
deployed function never sees. While a stack runs, `warnings.warn` called from a handler thread
is logged instead; every other thread keeps the process's own warning filters.
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

HANDLER_THREAD_PREFIX = "lambda"
log = logging.getLogger("tools.local")
_original_warn = warnings.warn
_installed = 0
_lock = threading.Lock()


def _warn(
    message: Any, category: Any = None, stacklevel: int = 1, *args: Any, **kwargs: Any
) -> None:
    if threading.current_thread().name.startswith(HANDLER_THREAD_PREFIX):
        kind = category or (type(message) if isinstance(message, Warning) else UserWarning)
        log.warning("handler warning %s: %s", kind.__name__, message)
        return
    _original_warn(message, category, stacklevel + 1, *args, **kwargs)


def install() -> None:
    global _installed
    with _lock:
        _installed += 1
        warnings.warn = _warn


def uninstall() -> None:
    global _installed
    with _lock:
        _installed = max(0, _installed - 1)
        if _installed == 0:
            warnings.warn = _original_warn
