"""pytest plugin behind `make iam-record` (see tools/iam_calls.py); inert without
`OPENSOCK_IAM_RECORD` (the directory each xdist worker writes its recording to)."""

from __future__ import annotations

import functools
import importlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tools.iam_calls import CURRENT_FUNCTION, actions

ROOT = Path(__file__).resolve().parents[2]
RECORDED: dict[str, set[str]] = {}


def _record_calls() -> None:
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        function = CURRENT_FUNCTION.get()
        if function is not None:
            service = self.meta.service_model.service_name
            RECORDED[function].update(actions(service, operation_name, api_params))
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
    _record_lean_posts()


def _record_lean_posts() -> None:
    """The lean poster signs its own requests (no botocore client): record its posts too."""
    from opensock.adapters.apigw import LeanPoster

    original = LeanPoster.post

    def post(self: Any, connection_id: str, data: bytes) -> None:
        function = CURRENT_FUNCTION.get()
        if function is not None:
            calls = actions("apigatewaymanagementapi", "PostToConnection", {})
            RECORDED[function].update(calls)
        original(self, connection_id, data)

    LeanPoster.post = post  # type: ignore[method-assign]


def _attribute_handlers() -> None:
    """Wrap every `functions/<dir>/app.py` handler before the tests import it."""
    for app in sorted(ROOT.glob("functions/*/app.py")):
        folder = app.parent.name
        RECORDED.setdefault(folder, set())
        module = importlib.import_module(f"functions.{folder}.app")
        handler = module.lambda_handler

        @functools.wraps(handler)
        def attributed(
            *args: Any, _handler: Any = handler, _folder: str = folder, **kw: Any
        ) -> Any:
            token = CURRENT_FUNCTION.set(_folder)
            try:
                return _handler(*args, **kw)
            finally:
                CURRENT_FUNCTION.reset(token)

        module.lambda_handler = attributed


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("OPENSOCK_IAM_RECORD"):
        _record_calls()
        _attribute_handlers()


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("OPENSOCK_IAM_RECORD")
    if not target:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    Path(target).mkdir(parents=True, exist_ok=True)
    recorded = {function: sorted(calls) for function, calls in RECORDED.items()}
    (Path(target) / f"{worker}.json").write_text(json.dumps(recorded, indent=2), encoding="utf-8")
