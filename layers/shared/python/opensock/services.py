"""The composition root: every adapter a handler may need, built lazily once per container.

Handlers receive a `Services`; tests build one with fakes or moto-backed adapters and pass it
in (or assign an attribute to replace one component). Nothing is created at import time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from opensock.clock import Clock, system_clock
from opensock.settings import Settings, get_settings

if TYPE_CHECKING:
    from opensock.auth.tokens import TokenVerifier
    from opensock.gateway.connections import ConnectionGateway
    from opensock.invoker import FunctionInvoker
    from opensock.pubsub.publisher import EventPublisher
    from opensock.store.connections import ConnectionTable, UsedTokenTable


class Services:
    def __init__(
        self,
        settings: Settings,
        clock: Clock = system_clock,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.sleep = sleep

    @cached_property
    def connections(self) -> ConnectionTable:
        from opensock.store.connections import ConnectionTable

        return ConnectionTable(self.settings.table_name, clock=self.clock)

    @cached_property
    def used_tokens(self) -> UsedTokenTable:
        from opensock.store.connections import UsedTokenTable

        return UsedTokenTable(self.settings.table_name)

    @cached_property
    def verifier(self) -> TokenVerifier:
        from opensock.auth.tokens import TokenVerifier

        return TokenVerifier(
            self.settings.signing_keys,
            audience=self.settings.token_audience,
            issuer=self.settings.token_issuer,
            clock=self.clock,
            leeway=self.settings.token_leeway_seconds,
            used_tokens=self.used_tokens,
        )

    @cached_property
    def gateway(self) -> ConnectionGateway:
        from opensock.gateway.connections import ApiGatewayConnections

        return ApiGatewayConnections(self.settings.websocket_callback_url)

    @cached_property
    def pubsub(self) -> EventPublisher:
        from opensock.pubsub.publisher import AwsEventPublisher

        return AwsEventPublisher(
            self.settings.pubsub_sns_topic_arn, self.settings.pubsub_event_bus_name
        )

    @cached_property
    def invoker(self) -> FunctionInvoker:
        from opensock.invoker import LambdaInvoker

        return LambdaInvoker()


@lru_cache(maxsize=1)
def get_services() -> Services:
    """The default Services of this container (settings from the environment)."""
    return Services(get_settings())
