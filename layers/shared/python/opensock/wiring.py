"""The composition root: `build_app(settings)` assembles every use case from its adapters.

The only module that imports `opensock.adapters`. A handler's decorator calls `get_app()` on
its first invocation (one `App` per container, nothing built at import time); tests build an
`App` over moto with `build_app(settings, adapters=build_adapters(settings, gateway=fake, …))`.
`Adapters` is the set of concrete adapters `build_app` wires, kept so tests and the local
stack can inspect the table through the same objects; no use case ever receives it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from opensock.adapters.apigw import ApiGatewayConnections
from opensock.adapters.dynamodb.channel_meta_table import ChannelMetaTable
from opensock.adapters.dynamodb.client_reads import ClientReader
from opensock.adapters.dynamodb.connection_table import ConnectionTable, UsedTokenTable
from opensock.adapters.dynamodb.dedup_table import DedupTable
from opensock.adapters.dynamodb.member_table import PresenceTable
from opensock.adapters.dynamodb.storage_table import StorageTable
from opensock.adapters.dynamodb.stream_records import TtlStreamDecoder
from opensock.adapters.dynamodb.subscription_table import SubscriptionTable
from opensock.adapters.dynamodb.user_metadata_table import UmdTable
from opensock.adapters.lambda_invoke import LambdaInvoker
from opensock.adapters.pubsub import AwsEventPublisher
from opensock.adapters.scheduler import EventBridgeScheduler
from opensock.adapters.sqs import SqsFanoutQueue
from opensock.adapters.ssm_api_keys import ApiKeys
from opensock.app.channels import Channels
from opensock.app.cleanup import ConnectionCleanup
from opensock.app.client_frames import ClientFrames
from opensock.app.connections import Connections
from opensock.app.fanout import Fanout
from opensock.app.membership import Membership
from opensock.app.publishing import Publishing
from opensock.app.scheduled import ScheduledJobs
from opensock.app.storage import ChannelStorage
from opensock.app.storage_writes import StorageWriter
from opensock.app.subscriptions import Subscriptions
from opensock.app.user_metadata import UserMetadata
from opensock.clock import Clock, system_clock
from opensock.config import Settings, get_settings
from opensock.domain.auth.tokens import TokenVerifier
from opensock.ports import ApiKeys as ApiKeysPort
from opensock.ports import (
    ChannelMetaRepository,
    ConnectionGateway,
    ConnectionRepository,
    DedupRepository,
    EventPublisher,
    FanoutQueue,
    Invoker,
    MemberRepository,
    Scheduler,
    StorageRepository,
    StreamDecoder,
    SubscriptionRepository,
    UserMetadataRepository,
)
from opensock.ports import ClientReader as ClientReaderPort


@dataclass(frozen=True)
class Adapters:
    """Every adapter an `App` is built from (each replaceable by a fake in tests)."""

    settings: Settings
    clock: Clock
    connections: ConnectionRepository
    used_tokens: Any
    subscriptions: SubscriptionRepository
    presence: MemberRepository
    channel_meta: ChannelMetaRepository
    dedup: DedupRepository
    storage_entries: StorageRepository
    umd_table: UserMetadataRepository
    client_reader: ClientReaderPort
    gateway: ConnectionGateway
    pubsub: EventPublisher
    scheduler: Scheduler
    invoker: Invoker
    api_keys: ApiKeysPort
    fanout_queue: FanoutQueue | None
    stream: StreamDecoder
    sleep: Callable[[float], None] = field(default=time.sleep)


def build_adapters(settings: Settings, clock: Clock = system_clock, **overrides: Any) -> Adapters:
    """The AWS adapters for `settings`; `overrides` replaces any of them by name."""
    table = settings.table_name
    presence = PresenceTable(table)
    adapters = Adapters(
        settings=settings,
        clock=clock,
        connections=ConnectionTable(table, clock=clock),
        used_tokens=UsedTokenTable(table),
        subscriptions=SubscriptionTable(table, clock=clock),
        presence=presence,
        channel_meta=ChannelMetaTable(table),
        dedup=DedupTable(table, clock=clock),
        storage_entries=StorageTable(table),
        umd_table=UmdTable(table, presence),
        client_reader=ClientReader(table, clock=clock),
        gateway=ApiGatewayConnections(settings.websocket_callback_url),
        pubsub=AwsEventPublisher(settings.pubsub_sns_topic_arn, settings.pubsub_event_bus_name),
        scheduler=EventBridgeScheduler(
            settings.schedule_group_name,
            settings.scheduler_role_arn,
            settings.scheduled_function_arn,
        ),
        invoker=LambdaInvoker(),
        api_keys=ApiKeys(settings.publish_api_keys, settings.api_keys_parameter_path),
        fanout_queue=SqsFanoutQueue(settings.fanout_queue_url)
        if settings.fanout_queue_url
        else None,
        stream=TtlStreamDecoder(),
    )
    return replace(adapters, **overrides)


@dataclass(frozen=True)
class App:
    """The use cases, each holding only the ports it needs."""

    settings: Settings
    connections: Connections
    subscriptions: Subscriptions
    publishing: Publishing
    storage: ChannelStorage
    user_metadata: UserMetadata
    channels: Channels
    client_frames: ClientFrames
    fanout: Fanout
    scheduled: ScheduledJobs
    api_keys: ApiKeysPort


def build_verifier(adapters: Adapters) -> TokenVerifier:
    return TokenVerifier.from_settings(
        adapters.settings, clock=adapters.clock, used_tokens=adapters.used_tokens
    )


def build_app(settings: Settings, adapters: Adapters | None = None) -> App:
    a = adapters or build_adapters(settings)
    verifier = build_verifier(a)
    fanout = Fanout(
        a.gateway, a.subscriptions, a.fanout_queue, batch_size=settings.fanout_batch_size
    )
    membership = Membership(
        a.subscriptions, a.presence, a.channel_meta, fanout, a.pubsub, a.clock, sleep=a.sleep
    )
    cleanup = ConnectionCleanup(a.connections, a.subscriptions, a.gateway, membership, a.clock)
    fanout.prune_with(cleanup.prune_gone)
    writer = StorageWriter(a.storage_entries, fanout, a.pubsub, a.clock)
    storage = ChannelStorage(
        a.storage_entries,
        writer,
        a.dedup,
        a.subscriptions,
        a.client_reader,
        a.scheduler,
        a.gateway,
        a.pubsub,
        a.stream,
        a.clock,
    )
    subscriptions = Subscriptions(
        a.connections,
        a.subscriptions,
        verifier,
        a.gateway,
        membership,
        a.clock,
        after_subscribe=[storage.post_snapshot],
    )
    publishing = Publishing(
        a.connections,
        a.subscriptions,
        a.client_reader,
        fanout,
        a.dedup,
        a.scheduler,
        a.pubsub,
        storage,
        a.clock,
    )
    connections = Connections(
        a.connections,
        verifier,
        a.gateway,
        a.invoker,
        a.pubsub,
        subscriptions,
        cleanup,
        a.clock,
        lifetime_seconds=settings.connection_lifetime_seconds,
        connected_function_name=settings.connected_function_name,
        connected_post_timeout_seconds=settings.connected_post_timeout_seconds,
        sleep=a.sleep,
    )
    return App(
        settings=settings,
        connections=connections,
        subscriptions=subscriptions,
        publishing=publishing,
        storage=storage,
        user_metadata=UserMetadata(
            a.connections,
            a.subscriptions,
            a.presence,
            a.umd_table,
            verifier,
            membership,
            a.clock,
            sleep=a.sleep,
        ),
        channels=Channels(a.channel_meta, a.presence),
        client_frames=ClientFrames(publishing),
        fanout=fanout,
        scheduled=ScheduledJobs(
            {"publish": publishing.run_scheduled, "storageSet": storage.run_scheduled}
        ),
        api_keys=a.api_keys,
    )


@lru_cache(maxsize=1)
def get_app() -> App:
    """The default App of this container (settings from the environment), built once."""
    return build_app(get_settings())
