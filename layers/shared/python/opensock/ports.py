"""Ports: every interface the use cases need from the outside world, as `typing.Protocol`s.

The use cases in `opensock.app` receive these in their constructors; `opensock.adapters`
implements them over AWS (DynamoDB, the API Gateway management API, SQS, SNS/EventBridge,
EventBridge Scheduler, Lambda, SSM) and `tests/support/fakes.py` in memory. Two ports the pure
domain itself needs stay beside their code: `UsedTokenRegistry` (domain/auth/tokens.py) and
`SubscriptionLookup` (domain/storage_access.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from opensock.domain.envelopes import PubSubEvent
from opensock.domain.fanout_jobs import FanoutBatch, FanoutJob
from opensock.domain.lanes import LaneState, Recipient
from opensock.domain.model import Connection, Subscription
from opensock.domain.pending_schedules import PendingSchedule
from opensock.domain.prefetch import ClientReads
from opensock.domain.presence import MemberChange, MemberState
from opensock.domain.reaction_rules import Reaction
from opensock.domain.storage_model import StorageEntry, WriteResult
from opensock.domain.stored_messages import StoredMessage
from opensock.domain.timers import Timer
from opensock.domain.user_metadata_plan import SubscriptionUpdate
from opensock.jsoncodec import JsonValue


# --- the outside world ------------------------------------------------------------------------
class ConnectionGateway(Protocol):
    """The API Gateway management API."""

    def post(self, connection_id: str, frame: JsonValue) -> None:
        """Send one JSON frame (or pre-encoded bytes); ConnectionGoneError when it is gone."""

    def close(self, connection_id: str) -> None:
        """Force-close a connection (no error if it is already gone)."""

    def is_connected(self, connection_id: str) -> bool:
        """`GET @connections/{id}`; False only on `GoneException`."""

    def last_active(self, connection_id: str) -> float | None:
        """`GET @connections/{id}`: its `lastActiveAt` (epoch seconds); None on `GoneException`."""


class EventPublisher(Protocol):
    """Pub/sub envelopes to SNS and/or EventBridge."""

    @property
    def enabled(self) -> bool: ...

    def emit(self, events: Sequence[PubSubEvent]) -> None: ...


class Scheduler(Protocol):
    """One-time EventBridge Scheduler schedules that invoke ScheduledFunction."""

    def schedule(self, at: datetime, timezone: str, payload: dict[str, Any]) -> str:
        """Create a schedule firing `payload` at `at`; returns its ARN."""

    def cancel_schedule(self, arn: str) -> bool:
        """Delete the schedule; False when it no longer exists (fired, or deleted)."""


class ScheduleIndex(Protocol):
    """Pending schedules recorded on their channel (schedule control)."""

    def put(self, pending: PendingSchedule) -> None: ...

    def pending(self, channel: str, now: float) -> list[PendingSchedule]:
        """The channel's schedules whose fire time is still ahead, in creation order."""

    def get(self, channel: str, schedule_id: str, now: float) -> PendingSchedule | None: ...

    def delete(self, channel: str, schedule_id: str) -> None: ...


class FanoutQueue(Protocol):
    """The FIFO queue that carries the lanes of large fan-outs to FanoutFunction."""

    def send(self, batches: Sequence[FanoutBatch]) -> None: ...

    def plan(self, job: FanoutJob) -> None:
        """Queue the whole fan-out of a large channel: FanoutFunction reads it and queues
        its lanes."""

    def release(self, receipt_handle: str) -> None:
        """Delete a received message now, so the next of its FIFO group may start."""

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        """Hand a received message back, to be received again in `seconds`."""


class LaneStates(Protocol):
    """The per-lane state of queued lanes: which connections fell out of a lane."""

    def get(self, channel: str, lane: int) -> LaneState:
        """Read strongly consistent (a divert written before a release is seen)."""

    def divert(self, channel: str, lane: int, connection_ids: Sequence[str], until: float) -> None:
        """Add them to `diverted`, busy until `until` (or `settle`)."""

    def settle(self, channel: str, lane: int, connection_ids: Sequence[str]) -> None:
        """Their in-flight posts have ended."""

    def forward(self, channel: str, lane: int, connection_ids: Sequence[str]) -> None:
        """One more copy of each is on its way to its own group (counted before it is sent)."""

    def finish(self, channel: str, lane: int, connection_id: str) -> None:
        """Its own group has finished one more copy (posted, failed or gone)."""

    def restore(self, channel: str, lane: int, forwarded: Mapping[str, int]) -> bool:
        """Take them out of `diverted` if each one's forwarded and finished copies are still
        both `forwarded[id]`; False (nothing changed) if any moved meanwhile."""


class Timers(Protocol):
    """Delayed messages that come back to LivenessFunction when due (an SQS delay queue)."""

    def start(self, timers: Sequence[Timer], now: float) -> None: ...


class Invoker(Protocol):
    """Asynchronous Lambda invocations."""

    def invoke_async(self, function_name: str, payload: dict[str, Any]) -> None: ...


class ApiKeys(Protocol):
    """The Bearer keys accepted by the publish URL and the admin API."""

    def check(self, authorization: str | None) -> None:
        """UnauthorizedError unless the header carries a known key."""


class ApiKeyStore(Protocol):
    """Where the installation's generated API keys are kept (Parameter Store)."""

    def create(self, name: str, value: str) -> bool:
        """Store a new secret `name`; False (and nothing changed) when it already exists."""

    def delete(self, names: Sequence[str]) -> None:
        """Remove these secrets; a missing one is not an error."""


# --- the table ----------------------------------------------------------------------------------
class ConnectionRepository(Protocol):
    def put(self, connection: Connection) -> None: ...

    def get(self, connection_id: str) -> Connection | None: ...

    def delete(self, connection_id: str) -> Connection | None:
        """Remove the record; returns it as it was (None when absent or expired)."""

    def set_umd(self, connection_id: str, umd: JsonValue) -> Connection | None:
        """Replace the default umd; returns the record as it was before."""

    def in_sweep_slot(self, slot: int) -> list[tuple[str, int]]:
        """(connection id, expiresAt) of every record in a sweep slot, expired ones included."""


class SubscriptionRepository(Protocol):
    def join(
        self,
        sub: Subscription,
        *,
        record: bool = True,
        lane_for: Callable[[int], int] | None = None,
    ) -> int | None:
        """The subscription is new (else AlreadySubscribedError), the count goes up, the
        connection is still live (else ConnectionGoneError, nothing left written); with
        `record` its channel is added to the connection's `channels` set; with `lane_for`
        (counted subscriptions) it is stored with the lane `lane_for(count before it)`.
        Returns the channel's new count (None when not counted)."""

    def get(self, channel: str, connection_id: str) -> Subscription | None: ...

    def delete(self, channel: str, connection_id: str) -> Subscription | None: ...

    def find_by_alias(self, connection_id: str, alias: str) -> Subscription | None: ...

    def current_for_connection(
        self, connection_id: str, recorded: Iterable[str], *, include_expired: bool = False
    ) -> list[Subscription]: ...

    def list_subscribers(self, channel: str) -> Iterator[Subscription]: ...

    def recipients(
        self, channel: str, stored_id: str | None = None, *, from_lane: int | None = None
    ) -> list[Recipient]:
        """Connection ids and lanes of the live subscriptions (with `from_lane`, of lanes from
        it on). With `stored_id` (a stored message), those still resuming up to that id or later
        are left out: their resume delivers it."""

    def direct_recipients(
        self, channel: str, below_lane: int, stored_id: str | None = None
    ) -> tuple[list[Recipient], bool]:
        """`recipients` of lanes below `below_lane` (and of none), and whether any of a higher
        lane was skipped."""

    def move_to_lane(self, channel: str, connection_id: str, lane: int) -> None:
        """Change a live subscription's lane (nothing if it is gone)."""


class MemberRepository(Protocol):
    """Presence members, written atomically with the subscription and the channel meta."""

    limit: int
    """The member list's byte budget (100 KB)."""

    def members(self, channel: str) -> list[MemberState]: ...

    def join(
        self, sub: Subscription, change: MemberChange, now: float, *, record: bool = True
    ) -> None: ...

    def leave(self, sub: Subscription, change: MemberChange) -> bool: ...

    def expire(self, channel: str, change: MemberChange) -> bool:
        """Remove a lingering member (leave grace over); False if it changed meanwhile."""


class ChannelMetaRepository(Protocol):
    def add_subscriptions(self, channel: str, delta: int) -> int: ...

    def subscriptions_count(self, channel: str, *, consistent: bool = False) -> int: ...


class DedupRepository(Protocol):
    def claim(self, deduplication_id: str, window_seconds: int) -> bool:
        """True the first time within the window; False for a repeat."""

    def release(self, deduplication_id: str) -> None: ...


class StorageRepository(Protocol):
    """Storage entries of the one table."""

    def put(self, entry: StorageEntry, now: float, expected: int | None = None) -> WriteResult:
        """Install `entry` unless the live value is already equal (condition on the value) or,
        with `expected`, the live version differs (0 = absent); a failed condition returns the
        item as found in `previous`."""

    def delete(
        self, channel: str, key: str, now: float, expected: int | None = None
    ) -> WriteResult:
        """Remove a live entry (of version `expected`); unchanged when it is absent or expired."""

    def delete_expired(self, channel: str, key: str, revision: str, now: float) -> WriteResult:
        """Remove the entry written as `revision` once it has expired; unchanged otherwise."""

    def add(self, entry: StorageEntry, by: int, bound: int | None, now: float) -> WriteResult:
        """Step a live counter by `by` if its count is within `bound`; `current` = the result."""

    def get(self, channel: str, key: str, now: float) -> StorageEntry | None:
        """The live entry (strongly consistent read), None when absent or expired."""

    def entries(self, channel: str, now: float, after: str | None = None) -> Iterator[StorageEntry]:
        """Live entries in ascending key order, lazily, one Query page per MB."""

    def get_many(self, channel: str, keys: Sequence[str], now: float) -> list[StorageEntry]:
        """The live entries among `keys` (≤ 100), in ascending key order."""


class ObserverDelivery(Protocol):
    """Sends one frame to every subscriber of the channel that may `observe` the key."""

    def deliver_to_observers(self, channel: str, key: str, frame: dict[str, Any]) -> int:
        """Deliver synchronously; returns how many subscriptions were addressed."""


class UserMetadataRepository(Protocol):
    def apply(self, updates: Sequence[SubscriptionUpdate], now: float) -> None:
        """Every subscription (member, meta) of the update in one transaction."""


class StreamDecoder(Protocol):
    """The table's stream, read for storage entries that DynamoDB's TTL sweeper removed."""

    def expired_entries(self, records: Iterable[Mapping[str, Any]]) -> list[StorageEntry]: ...


class ClientReader(Protocol):
    """What a client request reads first (connection, subscription, entry), in one request."""

    def read(
        self,
        connection_id: str,
        channel: str,
        storage_key: str | None = None,
        message_id: str | None = None,
        *,
        consistent: bool = True,
    ) -> ClientReads:
        """Strongly consistent; with `consistent=False`, eventually consistent, and what
        comes back missing is read again strongly consistent (never refuses a new item)."""

    def connection_and_count(
        self, connection_id: str, channel: str
    ) -> tuple[Connection | None, int]:
        """A subscribe's first read: the live connection and the channel's subscriptionsCount
        (for its lane, `domain/lanes.py`), in one request."""


class MessageRepository(Protocol):
    """Stored messages and their reactions (PROTOCOL §15, §16). Reads leave out what has
    expired, whatever DynamoDB's TTL lag."""

    def put(self, message: StoredMessage) -> None:
        """One unconditional write (no read before it)."""

    def get(self, channel: str, message_id: str, now: float) -> StoredMessage | None:
        """The live message (strongly consistent)."""

    def page(
        self,
        channel: str,
        lowest: str,
        highest: str,
        *,
        now: float,
        limit: int,
        reverse: bool = False,
        consistent: bool = False,
    ) -> list[StoredMessage]:
        """Up to `limit` live messages with `lowest <= id <= highest`, oldest first (newest
        first with `reverse`)."""

    def reactions(self, channel: str, first_id: str, last_id: str, now: float) -> list[Reaction]:
        """The live reactions of the messages `first_id..last_id` (inclusive)."""

    def add_reaction(self, reaction: Reaction, now: float) -> bool:
        """Store it unless that uid already has that value on that message; False if so."""

    def remove_reaction(
        self, channel: str, message_id: str, reaction: str, uid: str, now: float
    ) -> Reaction | None:
        """Delete it; the reaction as it was, None when there was none."""
