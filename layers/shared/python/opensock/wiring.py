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
from opensock.adapters.call_spans import instrument_aws_calls
from opensock.adapters.dynamodb.channel_meta_table import ChannelMetaTable
from opensock.adapters.dynamodb.client_reads import ClientReader
from opensock.adapters.dynamodb.connection_table import ConnectionTable, UsedTokenTable
from opensock.adapters.dynamodb.dedup_table import DedupTable
from opensock.adapters.dynamodb.lane_table import LaneTable
from opensock.adapters.dynamodb.member_table import MemberTable
from opensock.adapters.dynamodb.message_table import MessageTable
from opensock.adapters.dynamodb.schedule_table import ScheduleTable
from opensock.adapters.dynamodb.storage_table import StorageTable
from opensock.adapters.dynamodb.stream_records import TtlStreamDecoder
from opensock.adapters.dynamodb.subscription_table import SubscriptionTable
from opensock.adapters.dynamodb.user_metadata_table import UserMetadataTable
from opensock.adapters.lambda_invoke import LambdaInvoker
from opensock.adapters.pubsub import AwsEventPublisher
from opensock.adapters.scheduler import EventBridgeScheduler
from opensock.adapters.sqs import SqsFanoutQueue
from opensock.adapters.sqs_timers import SqsTimers
from opensock.adapters.ssm_api_keys import ApiKeys, SsmApiKeyStore
from opensock.app.channels import Channels
from opensock.app.cleanup import ConnectionCleanup
from opensock.app.client_frames import ClientFrames
from opensock.app.connections import Connections
from opensock.app.fanout import Fanout
from opensock.app.history import History
from opensock.app.installation import Installation
from opensock.app.lane_delivery import LaneDelivery
from opensock.app.liveness import Liveness, LivenessSettings
from opensock.app.membership import Membership
from opensock.app.publishing import Publishing
from opensock.app.reactions import Reactions
from opensock.app.scheduled import ScheduledJobs
from opensock.app.schedules import Schedules
from opensock.app.storage import ChannelStorage
from opensock.app.storage_expiry import StorageExpiry
from opensock.app.storage_writes import EXPIRE_KIND, StorageWriter
from opensock.app.subscriptions import Subscriptions
from opensock.app.user_metadata import UserMetadata
from opensock.clock import Clock, system_clock
from opensock.config import Settings, get_settings
from opensock.domain.auth.tokens import TokenVerifier, UsedTokenRegistry
from opensock.ports import ApiKeys as ApiKeysPort
from opensock.ports import (
    ApiKeyStore,
    ChannelMetaRepository,
    ConnectionGateway,
    ConnectionRepository,
    DedupRepository,
    EventPublisher,
    FanoutQueue,
    Invoker,
    LaneStates,
    MemberRepository,
    MessageRepository,
    ScheduleIndex,
    Scheduler,
    StorageRepository,
    StreamDecoder,
    SubscriptionRepository,
    Timers,
    UserMetadataRepository,
)
from opensock.ports import ClientReader as ClientReaderPort


@dataclass(frozen=True)
class Adapters:
    """Every adapter an `App` is built from (each replaceable by a fake in tests)."""

    settings: Settings
    clock: Clock
    connections: ConnectionRepository
    used_tokens: UsedTokenRegistry
    subscriptions: SubscriptionRepository
    members: MemberRepository
    channel_meta: ChannelMetaRepository
    lane_states: LaneStates
    dedup: DedupRepository
    storage_entries: StorageRepository
    messages: MessageRepository
    user_metadata_table: UserMetadataRepository
    client_reader: ClientReaderPort
    gateway: ConnectionGateway
    pubsub: EventPublisher
    scheduler: Scheduler
    invoker: Invoker
    api_keys: ApiKeysPort
    api_key_store: ApiKeyStore
    fanout_queue: FanoutQueue | None
    stream: StreamDecoder
    schedule_index: ScheduleIndex
    timers: Timers | None = None
    sleep: Callable[[float], None] = field(default=time.sleep)


def build_adapters(settings: Settings, clock: Clock = system_clock, **overrides: Any) -> Adapters:
    """The AWS adapters for `settings`; `overrides` replaces any of them by name."""
    instrument_aws_calls()
    table = settings.table_name
    members = MemberTable(table)
    adapters = Adapters(
        settings=settings,
        clock=clock,
        connections=ConnectionTable(table, clock=clock, sweep_slots=settings.sweep_slots),
        used_tokens=UsedTokenTable(table),
        subscriptions=SubscriptionTable(table, clock=clock),
        members=members,
        channel_meta=ChannelMetaTable(table),
        lane_states=LaneTable(table, clock=clock),
        dedup=DedupTable(table, clock=clock),
        storage_entries=StorageTable(table),
        messages=MessageTable(table, channel_event_index=settings.message_channel_event_index),
        user_metadata_table=UserMetadataTable(table, members),
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
        api_key_store=SsmApiKeyStore(),
        fanout_queue=SqsFanoutQueue(settings.fanout_queue_url)
        if settings.fanout_queue_url
        else None,
        stream=TtlStreamDecoder(),
        schedule_index=ScheduleTable(table),
        timers=SqsTimers(settings.liveness_queue_url) if settings.liveness_queue_url else None,
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
    storage_expiry: StorageExpiry
    schedules: Schedules
    user_metadata: UserMetadata
    channels: Channels
    client_frames: ClientFrames
    fanout: Fanout
    lanes: LaneDelivery
    liveness: Liveness
    scheduled: ScheduledJobs
    history: History
    reactions: Reactions
    api_keys: ApiKeysPort
    installation: Installation


def build_verifier(adapters: Adapters) -> TokenVerifier:
    return TokenVerifier.from_settings(
        adapters.settings, clock=adapters.clock, used_tokens=adapters.used_tokens
    )


def build_app(settings: Settings, adapters: Adapters | None = None) -> App:
    a = adapters or build_adapters(settings)
    verifier = build_verifier(a)
    fanout = Fanout(
        a.gateway,
        a.subscriptions,
        a.fanout_queue,
        batch_size=settings.fanout_batch_size,
        slow_grace=settings.fanout_slow_grace_seconds,
    )
    membership = Membership(
        a.subscriptions,
        a.members,
        a.channel_meta,
        fanout,
        a.pubsub,
        a.clock,
        a.timers,
        leave_grace_seconds=settings.presence_leave_grace_seconds,
        sleep=a.sleep,
    )
    cleanup = ConnectionCleanup(a.connections, a.subscriptions, a.gateway, membership, a.clock)
    liveness = Liveness(
        a.connections,
        a.gateway,
        a.timers,
        cleanup,
        membership,
        a.clock,
        LivenessSettings(
            keep_alive_interval=settings.keep_alive_interval_seconds,
            heartbeat_grace=settings.heartbeat_grace_seconds,
            sweep_interval=settings.sweep_interval_seconds,
            sweep_slots=settings.sweep_slots,
            connection_lifetime=settings.connection_lifetime_seconds,
        ),
    )
    fanout.prune_with(cleanup.prune_gone)
    exact = settings.storage_exact_expiry
    expiries = a.scheduler if exact else None
    writer = StorageWriter(a.storage_entries, fanout, a.pubsub, a.clock, expiries=expiries)
    expiry = (
        StorageExpiry(a.stream, a.pubsub, a.storage_entries, fanout, a.clock)
        if exact
        else StorageExpiry(a.stream, a.pubsub)
    )
    schedules = Schedules(a.scheduler, a.schedule_index, a.subscriptions, a.clock)
    storage = ChannelStorage(
        a.storage_entries,
        writer,
        a.dedup,
        a.subscriptions,
        a.client_reader,
        schedules,
        a.gateway,
        a.clock,
    )
    history = History(
        a.subscriptions,
        a.messages,
        a.gateway,
        a.clock,
        sleep=a.sleep,
        settle_seconds=settings.resume_settle_seconds,
    )
    subscriptions = Subscriptions(
        a.connections,
        a.subscriptions,
        verifier,
        a.gateway,
        membership,
        a.clock,
        after_subscribe=[storage.post_snapshot],
        resume=history.resume,
        resume_handoff_seconds=settings.resume_handoff_seconds,
        reads=a.client_reader,
        channel_meta=a.channel_meta,
        lane_size=settings.fanout_batch_size,
    )
    reactions = Reactions(
        a.client_reader,
        a.subscriptions,
        a.messages,
        fanout,
        a.dedup,
        a.pubsub,
        a.clock,
        sleep=a.sleep,
    )
    publishing = Publishing(
        a.connections,
        a.subscriptions,
        a.client_reader,
        fanout,
        a.dedup,
        schedules,
        a.pubsub,
        storage,
        a.clock,
        messages=a.messages,
        reactions=reactions,
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
        after_announce=[liveness.arm],
    )
    return App(
        settings=settings,
        connections=connections,
        subscriptions=subscriptions,
        publishing=publishing,
        storage=storage,
        storage_expiry=expiry,
        schedules=schedules,
        user_metadata=UserMetadata(
            a.connections,
            a.subscriptions,
            a.members,
            a.user_metadata_table,
            verifier,
            membership,
            a.clock,
            sleep=a.sleep,
        ),
        channels=Channels(a.channel_meta, a.members, a.subscriptions),
        client_frames=ClientFrames(publishing),
        fanout=fanout,
        lanes=LaneDelivery(fanout, a.lane_states, a.fanout_queue, a.clock),
        liveness=liveness,
        scheduled=ScheduledJobs(
            {
                "publish": publishing.run_scheduled,
                "storageSet": storage.run_scheduled,
                EXPIRE_KIND: expiry.run_scheduled,
            }
        ),
        api_keys=a.api_keys,
        history=history,
        reactions=reactions,
        installation=Installation(a.api_key_store),
    )


@lru_cache(maxsize=1)
def get_app() -> App:
    """The default App of this container (settings from the environment), built once."""
    return build_app(get_settings())
