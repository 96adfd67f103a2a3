"""Writing umd updates: every affected subscription (and member, and meta) in one transaction.

Each subscription is rewritten with `SET umd`, conditional on it still existing and being live
(an update never creates records). On a presence channel the member item is written
conditional on the version read, and the meta's `presenceBytes` with the capacity condition
(the channels repository builds both). Up to 100 items go in one TransactWriteItems, so a
propagated update is all-or-nothing; a lone standard subscription is one UpdateItem. Larger
updates are split into transactions of whole channels, after the capacity pre-check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import to_item, to_value
from opensock.adapters.dynamodb.member_table import MemberTable
from opensock.domain.user_metadata_plan import SubscriptionGoneError, SubscriptionUpdate
from opensock.errors import ConflictError, PresenceCapacityReachedError
from opensock.jsoncodec import dumps

MAX_TRANSACTION_ITEMS = 100
FAILED = "ConditionalCheckFailed"


@dataclass(frozen=True)
class Write:
    channel: str
    kind: str
    """`subscription`, `member` or `meta`: which condition a cancellation reason belongs to."""
    request: dict[str, Any]


class UserMetadataTable(TableAdapter):
    def __init__(self, table_name: str, members: MemberTable, client: Any = None) -> None:
        super().__init__(table_name, client)
        self._members = members

    def apply(self, updates: Sequence[SubscriptionUpdate], now: float) -> None:
        """Write the updates; SubscriptionGoneError / ConflictError (re-read and retry) or
        PresenceCapacityReachedError when a condition fails; nothing of a failed batch is kept.
        """
        for batch in _batches([self._writes(update, now) for update in updates]):
            self._run(batch)

    def _writes(self, update: SubscriptionUpdate, now: float) -> list[Write]:
        writes = [Write(update.channel, "subscription", self._subscription_write(update, now))]
        change = update.member
        if change is not None:
            member = self._members.member_write(update.channel, change)
            if member is not None:
                writes.append(Write(update.channel, "member", member))
            if change.bytes_delta:
                meta = self._members.meta_write(update.channel, change, 0)
                writes.append(Write(update.channel, "meta", meta))
        return writes

    def _subscription_write(self, update: SubscriptionUpdate, now: float) -> dict[str, Any]:
        sub = update.sub
        key = {"pk": keys.channel_pk(sub.channel), "sk": keys.subscription_sk(sub.connection_id)}
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_item(key),
                "UpdateExpression": "SET umd = :umd",
                "ConditionExpression": "attribute_exists(pk) AND #ttl > :now",
                "ExpressionAttributeNames": {"#ttl": keys.TTL_ATTRIBUTE},
                "ExpressionAttributeValues": {
                    ":umd": to_value(dumps(sub.umd)),
                    ":now": to_value(int(now)),
                },
            }
        }

    def _run(self, batch: list[Write]) -> None:
        from botocore.exceptions import ClientError

        try:
            if len(batch) == 1 and "Update" in batch[0].request:
                self.client.update_item(**batch[0].request["Update"])
            else:
                self.client.transact_write_items(TransactItems=[w.request for w in batch])
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "ConditionalCheckFailedException":
                raise SubscriptionGoneError(batch[0].channel) from exc
            if code != "TransactionCanceledException":
                raise
            reasons = [
                str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons", [])
            ]
            raise _cancellation(batch, reasons) from exc


def _cancellation(
    batch: list[Write], reasons: list[str]
) -> ConflictError | PresenceCapacityReachedError:
    failed = [write for write, reason in zip(batch, reasons, strict=False) if reason == FAILED]
    for write in failed:
        if write.kind == "subscription":
            return SubscriptionGoneError(write.channel)
    for write in failed:
        if write.kind == "meta" and not any(
            w.channel == write.channel for w in failed if w is not write
        ):
            return PresenceCapacityReachedError(channel=write.channel)
    return ConflictError("presence member changed")


def _batches(groups: list[list[Write]]) -> list[list[Write]]:
    """Whole channels per transaction, at most 100 items each."""
    batches: list[list[Write]] = [[]]
    for group in groups:
        if len(batches[-1]) + len(group) > MAX_TRANSACTION_ITEMS:
            batches.append([])
        batches[-1].extend(group)
    return [batch for batch in batches if batch]
