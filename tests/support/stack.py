"""A test stack: an `App` over moto together with the adapters it was built from.

Tests drive the use cases through `stack.app` (or pass it to a handler as `app=stack.app`) and
read the table through the same adapters (`stack.connections`, `stack.subscriptions`, …).
Assigning an adapter (`stack.pubsub = FakePublisher(enabled=False)`) or the clock rebuilds the
adapters and the App on it, as `wiring.build_app` would at a cold start.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from opensock.clock import Clock, system_clock
from opensock.config import Settings
from opensock.domain.auth.tokens import TokenVerifier
from opensock.wiring import Adapters, App, build_adapters, build_app, build_verifier

_ADAPTERS = {field.name for field in dataclasses.fields(Adapters)} - {"settings"}


class Stack:
    adapters: Adapters
    app: App

    def __init__(self, settings: Settings, clock: Clock = system_clock, **overrides: Any) -> None:
        object.__setattr__(self, "_settings", settings)
        object.__setattr__(self, "_overrides", {"clock": clock, **overrides})
        self._build()

    def _build(self) -> None:
        overrides = dict(self._overrides)
        adapters = build_adapters(self._settings, overrides.pop("clock"), **overrides)
        object.__setattr__(self, "adapters", adapters)
        object.__setattr__(self, "app", build_app(self._settings, adapters))

    def __getattr__(self, name: str) -> Any:
        if name in _ADAPTERS or name == "settings":
            return getattr(self.adapters, name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _ADAPTERS:
            raise AttributeError(f"{name} is not an adapter")
        self._overrides[name] = value
        self._build()

    def with_settings(self, **update: Any) -> Stack:
        """Another stack on the same adapters' overrides, with these settings changed
        (`fanout_batch_size=5`: lanes of 5, chosen at subscribe as in a deployment)."""
        return Stack(self._settings.model_copy(update=update), **self._overrides)

    @property
    def fanout(self) -> Any:
        return self.app.fanout

    @property
    def verifier(self) -> TokenVerifier:
        """A verifier like the App's (same keys, clock and used-token table)."""
        return build_verifier(self.adapters)
