"""Presence member items (`member#{uid}`) and their atomic writes with the subscription.

A join or leave is one TransactWriteItems: (joins) the connection still live, recording the
channel in its `channels` set, the subscription put/delete, the member item (conditional on
the version read), and the channel meta (`presenceBytes`, with the capacity condition
`presenceBytes <= :limit - :delta` on joins that grow the list, plus the count).
"""

from __future__ import annotations

from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item, to_value
from opensock.adapters.dynamodb.subscription_table import (
    CONDITION_FAILED,
    connection_claim,
    put_condition,
    subscription_item,
)
from opensock.domain.model import Subscription
from opensock.domain.presence import MemberChange, MemberState
from opensock.errors import (
    AlreadySubscribedError,
    ConflictError,
    ConnectionGoneError,
    PresenceCapacityReachedError,
)
from opensock.jsoncodec import dumps, loads


def _member_item(channel: str, state: MemberState) -> dict[str, Any]:
    conns = {cid: [dumps(umd), at] for cid, (umd, at) in state.conns.items()}
    return to_item(
        {
            "pk": keys.channel_pk(channel),
            "sk": keys.member_sk(state.uid),
            "uid": state.uid,
            "umd": dumps(state.umd),
            "bytes": state.bytes,
            "refs": len(state.conns),
            "joinedAt": state.joined_at,
            "version": state.version,
            "conns": dumps(conns),
            # A lingering member (leave grace): the umd it still shows, and when it left.
            "held": dumps([dumps(state.held[0]), state.held[1]]) if state.held else None,
            "leftAt": state.left_at,
        }
    )


def _member_state(values: dict[str, Any]) -> MemberState:
    conns = {cid: (loads(umd), float(at)) for cid, (umd, at) in loads(values["conns"]).items()}
    held = loads(values["held"]) if values.get("held") else None
    left_at = values.get("leftAt")
    return MemberState(
        uid=values["uid"],
        joined_at=float(values["joinedAt"]),
        version=int(values["version"]),
        conns=conns,
        held=(loads(held[0]), float(held[1])) if held else None,
        left_at=float(left_at) if left_at is not None else None,
    )


class MemberTable(TableAdapter):
    def __init__(self, table_name: str, client: Any = None, limit: int = 102_400) -> None:
        super().__init__(table_name, client)
        self.limit = limit

    def members(self, channel: str) -> list[MemberState]:
        """Every member item of the channel, read strongly consistent."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)",
            "ExpressionAttributeValues": {
                ":pk": to_value(keys.channel_pk(channel)),
                ":m": to_value(keys.MEMBER_PREFIX),
            },
            "ConsistentRead": True,
        }
        states: list[MemberState] = []
        while True:
            page = self.client.query(**request)
            states.extend(_member_state(from_item(item)) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return states
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def member_write(self, channel: str, change: MemberChange) -> dict[str, Any] | None:
        before, after = change.before, change.after
        if before is after:
            return None
        if before is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": to_value(before.version)},
            }
        if after is None:
            assert before is not None
            key = to_item({"pk": keys.channel_pk(channel), "sk": keys.member_sk(before.uid)})
            return {"Delete": {"TableName": self._table, "Key": key, **condition}}
        item = _member_item(channel, after)
        return {"Put": {"TableName": self._table, "Item": item, **condition}}

    def meta_write(self, channel: str, change: MemberChange, count: int) -> dict[str, Any]:
        delta = change.bytes_delta
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_item({"pk": keys.channel_pk(channel), "sk": keys.CHANNEL_META_SK}),
            "UpdateExpression": "ADD presenceBytes :d, subscriptionsCount :c",
            "ExpressionAttributeValues": {":d": to_value(delta), ":c": to_value(count)},
        }
        if delta > 0:
            update["ConditionExpression"] = (
                "attribute_not_exists(presenceBytes) OR presenceBytes <= :max"
            )
            update["ExpressionAttributeValues"][":max"] = to_value(self.limit - delta)
        return {"Update": update}

    def join(
        self, sub: Subscription, change: MemberChange, now: float, *, record: bool = True
    ) -> None:
        """Write subscription + member + meta atomically.

        The transaction also checks the connection record is still live and, with `record`,
        adds the channel to its `channels` set (`connection_claim`). Raises
        ConnectionGoneError (nothing written), AlreadySubscribedError,
        PresenceCapacityReachedError, or ConflictError when the member item changed since it
        was read (the caller re-reads and retries).
        """
        if change.bytes_delta > self.limit:
            raise PresenceCapacityReachedError(channel=sub.channel)
        put = {"TableName": self._table, "Item": subscription_item(sub), **put_condition(now)}
        member = self.member_write(sub.channel, change)
        channel = sub.channel if record else None
        items = [
            connection_claim(self._table, sub.connection_id, now, channel),
            {"Put": put},
            *([member] if member is not None else []),
            self.meta_write(sub.channel, change, 0 if sub.omit_from_count else 1),
        ]
        reasons = self._transact(items)
        if reasons is None:
            return
        if reasons[0] == CONDITION_FAILED:
            raise ConnectionGoneError(sub.connection_id)
        if reasons[1] == CONDITION_FAILED:
            raise AlreadySubscribedError(channel=sub.channel)
        member_failed = member is not None and reasons[2] == CONDITION_FAILED
        if reasons[-1] == CONDITION_FAILED and not member_failed:
            raise PresenceCapacityReachedError(channel=sub.channel)
        raise ConflictError("presence member changed")

    def leave(self, sub: Subscription, change: MemberChange) -> bool:
        """Delete subscription + update member + meta; False if the subscription was gone."""
        key = to_item(
            {"pk": keys.channel_pk(sub.channel), "sk": keys.subscription_sk(sub.connection_id)}
        )
        delete = {
            "TableName": self._table,
            "Key": key,
            "ConditionExpression": "attribute_exists(pk)",
        }
        items = [
            {"Delete": delete},
            self.member_write(sub.channel, change),
            self.meta_write(sub.channel, change, 0 if sub.omit_from_count else -1),
        ]
        reasons = self._transact([item for item in items if item is not None])
        if reasons is None:
            return True
        if reasons[0] == "ConditionalCheckFailed":
            return False
        raise ConflictError("presence member changed")

    def expire(self, channel: str, change: MemberChange) -> bool:
        """Remove a lingering member once its leave grace is over (member + meta, one
        transaction conditional on the version read); False if it changed meanwhile."""
        member = self.member_write(channel, change)
        if member is None:
            return False
        return self._transact([member, self.meta_write(channel, change, 0)]) is None

    def _transact(self, items: list[dict[str, Any]]) -> list[str] | None:
        """Run the transaction; None on success, else the cancellation reason codes."""
        from botocore.exceptions import ClientError

        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons", [])
            return [str(reason.get("Code", "None")) for reason in reasons]
        return None
