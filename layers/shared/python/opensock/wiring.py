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

if TYPE_CHECKING:
    from opensock.adapters.apigw import ConnectionGateway
    from opensock.adapters.dynamodb.channel_meta_table import ChannelMetaTable
    from opensock.adapters.dynamodb.client_reads import ClientReader
    from opensock.adapters.dynamodb.connection_table import ConnectionTable, UsedTokenTable
    from opensock.adapters.dynamodb.dedup_table import DedupTable
    from opensock.adapters.dynamodb.member_table import PresenceTable
    from opensock.adapters.dynamodb.storage_table import StorageTable
    from opensock.adapters.dynamodb.subscription_table import SubscriptionTable
    from opensock.adapters.dynamodb.user_metadata_table import UmdTable
    from opensock.adapters.lambda_invoke import FunctionInvoker
    from opensock.adapters.pubsub import EventPublisher
    from opensock.adapters.sqs import SqsFanoutQueue
    from opensock.app.fanout import Fanout
    from opensock.app.storage_writes import StorageWriter
    from opensock.config import Settings
    from opensock.domain.auth.tokens import TokenVerifier
    from opensock.domain.schedule import Scheduler
    from opensock.edge.http import ApiKeys


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
        from opensock.adapters.dynamodb.connection_table import ConnectionTable

        return ConnectionTable(self.settings.table_name, clock=self.clock)

    @cached_property
    def used_tokens(self) -> UsedTokenTable:
        from opensock.adapters.dynamodb.connection_table import UsedTokenTable

        return UsedTokenTable(self.settings.table_name)

    @cached_property
    def verifier(self) -> TokenVerifier:
        from opensock.domain.auth.tokens import TokenVerifier

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
        from opensock.adapters.apigw import ApiGatewayConnections

        return ApiGatewayConnections(self.settings.websocket_callback_url)

    @cached_property
    def pubsub(self) -> EventPublisher:
        from opensock.adapters.pubsub import AwsEventPublisher

        return AwsEventPublisher(
            self.settings.pubsub_sns_topic_arn, self.settings.pubsub_event_bus_name
        )

    @cached_property
    def storage_entries(self) -> StorageTable:
        from opensock.adapters.dynamodb.storage_table import StorageTable

        return StorageTable(self.settings.table_name)

    @cached_property
    def storage(self) -> StorageWriter:
        from opensock.app.storage_observers import FanoutObservers
        from opensock.app.storage_writes import StorageWriter

        observers = FanoutObservers(self.fanout)
        return StorageWriter(self.storage_entries, observers, self.pubsub, self.clock)

    @cached_property
    def invoker(self) -> FunctionInvoker:
        from opensock.adapters.lambda_invoke import LambdaInvoker

        return LambdaInvoker()

    # --- channels (issue #4) ----------------------------------------------------------------
    @cached_property
    def subscriptions(self) -> SubscriptionTable:
        from opensock.adapters.dynamodb.subscription_table import SubscriptionTable

        return SubscriptionTable(self.settings.table_name, clock=self.clock)

    @cached_property
    def client_reader(self) -> ClientReader:
        from opensock.adapters.dynamodb.client_reads import ClientReader

        return ClientReader(self.settings.table_name, clock=self.clock)

    @cached_property
    def channel_meta(self) -> ChannelMetaTable:
        from opensock.adapters.dynamodb.channel_meta_table import ChannelMetaTable

        return ChannelMetaTable(self.settings.table_name)

    @cached_property
    def presence(self) -> PresenceTable:
        from opensock.adapters.dynamodb.member_table import PresenceTable

        return PresenceTable(self.settings.table_name)

    @cached_property
    def dedup(self) -> DedupTable:
        from opensock.adapters.dynamodb.dedup_table import DedupTable

        return DedupTable(self.settings.table_name, clock=self.clock)

    @cached_property
    def fanout_queue(self) -> SqsFanoutQueue | None:
        from opensock.adapters.sqs import SqsFanoutQueue

        url = self.settings.fanout_queue_url
        return SqsFanoutQueue(url) if url else None

    @cached_property
    def fanout(self) -> Fanout:
        from opensock.app.cleanup import prune_gone
        from opensock.app.fanout import Fanout

        return Fanout(
            self.gateway,
            self.subscriptions,
            self.fanout_queue,
            batch_size=self.settings.fanout_batch_size,
            on_gone=lambda ids: prune_gone(ids, self),
        )

    @cached_property
    def scheduler(self) -> Scheduler:
        from opensock.domain.schedule import EventBridgeScheduler

        return EventBridgeScheduler(
            self.settings.schedule_group_name,
            self.settings.scheduler_role_arn,
            self.settings.scheduled_function_arn,
        )

    @cached_property
    def api_keys(self) -> ApiKeys:
        from opensock.edge.http import ApiKeys

        return ApiKeys(self.settings.publish_api_keys, self.settings.api_keys_parameter_path)

    # --- umd updates (issue #6) -------------------------------------------------------------
    @cached_property
    def umd_table(self) -> UmdTable:
        from opensock.adapters.dynamodb.user_metadata_table import UmdTable

        return UmdTable(self.settings.table_name, self.presence)


@lru_cache(maxsize=1)
def get_services() -> Services:
    """The default Services of this container (settings from the environment)."""
    from opensock.config import get_settings  # builds the pydantic model: first request only

    return Services(get_settings())
