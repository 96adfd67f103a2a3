"""Subscription items: `chan#{channel}` / `sub#{cid}`, found by connection through `gsi1`.

Reads every feature may use: `list_subscribers` (one paginated, eventually consistent query of
live items), `get` (consistent), `list_for_connection` (GSI, eventually consistent) and
`current_for_connection` (consistent: the connection item's `channels` set plus the GSI).
`recipient_ids` is the fan-out read: the same query projected to the sort key only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item, to_value
from opensock.adapters.dynamodb.subscription_join import OrderedJoin
from opensock.clock import Clock, system_clock
from opensock.domain.model import Subscription
from opensock.errors import AlreadySubscribedError
from opensock.jsoncodec import dumps, loads

LIVE_FILTER = "#ttl > :now"
RESUME_ATTRIBUTE = "resumeUntil"
"""Only on a subscription made with `resumeAfter` (docs/extensions.md): the id up to which its
resume, not the live fan-out, delivers stored messages."""


def subscription_item(sub: Subscription) -> dict[str, Any]:
    return to_item(
        {
            "pk": keys.channel_pk(sub.channel),
            "sk": keys.subscription_sk(sub.connection_id),
            "gsi1pk": keys.connection_pk(sub.connection_id),
            "gsi1sk": keys.subscription_gsi1sk(sub.channel),
            "uid": sub.uid,
            "umd": dumps(sub.umd),
            "alias": sub.alias,
            "implicit": sub.implicit,
            "connectGrants": dumps(sub.connect_grants),
            "tokenGrants": dumps(sub.token_grants),
            "omitFromCount": sub.omit_from_count,
            "createdAt": sub.created_at,
            keys.TTL_ATTRIBUTE: sub.expires_at,
            RESUME_ATTRIBUTE: sub.resume_until,
        }
    )


def subscription_from(values: dict[str, Any]) -> Subscription:
    return Subscription(
        channel=values["pk"].removeprefix("chan#"),
        connection_id=values["sk"].removeprefix(keys.SUBSCRIPTION_PREFIX),
        uid=values.get("uid"),
        umd=loads(values.get("umd", "null")),
        created_at=float(values.get("createdAt", 0)),
        expires_at=int(values[keys.TTL_ATTRIBUTE]),
        alias=values.get("alias"),
        implicit=bool(values.get("implicit", True)),
        connect_grants=loads(values.get("connectGrants", "{}")),
        token_grants=loads(values.get("tokenGrants", "{}")),
        omit_from_count=bool(values.get("omitFromCount", False)),
        resume_until=values.get(RESUME_ATTRIBUTE),
    )


def put_condition(now: float) -> dict[str, Any]:
    """Create only if absent (or left over, expired, from an earlier use of the same id)."""
    return {
        "ConditionExpression": "attribute_not_exists(pk) OR #ttl <= :now",
        "ExpressionAttributeNames": {"#ttl": keys.TTL_ATTRIBUTE},
        "ExpressionAttributeValues": {":now": to_value(int(now))},
    }


def connection_claim(
    table_name: str, connection_id: str, now: float, record: str | None
) -> dict[str, Any]:
    """Transaction item: the connection record exists and has not expired (no `$disconnect`).

    With `record`, an Update that also adds the channel to the record's `channels` set, so the
    `DeleteItem` of `$disconnect` returns every committed subscription's channel (gsi1 lags);
    without, a ConditionCheck. Same write units: a ConditionCheck bills a write of the item.
    """
    key = to_item({"pk": keys.connection_pk(connection_id), "sk": keys.CONNECTION_SK})
    body: dict[str, Any] = {
        "TableName": table_name,
        "Key": key,
        "ConditionExpression": "attribute_exists(pk) AND #ttl > :now",
        "ExpressionAttributeNames": {"#ttl": keys.TTL_ATTRIBUTE},
        "ExpressionAttributeValues": {":now": to_value(int(now))},
    }
    if record is None:
        return {"ConditionCheck": body}
    body["UpdateExpression"] = "ADD #channels :channel"
    body["ExpressionAttributeNames"]["#channels"] = keys.CHANNELS_ATTRIBUTE
    body["ExpressionAttributeValues"][":channel"] = to_value({record})
    return {"Update": body}


CONDITION_FAILED = "ConditionalCheckFailed"


class SubscriptionTable(TableAdapter):
    def __init__(self, table_name: str, client: Any = None, clock: Clock = system_clock) -> None:
        super().__init__(table_name, client)
        self._clock = clock

    def _key(self, channel: str, connection_id: str) -> dict[str, Any]:
        return to_item({"pk": keys.channel_pk(channel), "sk": keys.subscription_sk(connection_id)})

    def put(self, sub: Subscription) -> None:
        """Persist a subscription item alone (not counted, connection not checked); for a
        client subscribing use `join`. AlreadySubscribedError if a live one exists."""
        from botocore.exceptions import ClientError

        try:
            self.client.put_item(
                TableName=self._table, Item=subscription_item(sub), **put_condition(self._clock())
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise AlreadySubscribedError(channel=sub.channel) from exc
            raise

    def join(self, sub: Subscription, *, record: bool = True) -> int | None:
        """Persist a new subscription, count it, and claim its connection, in that order
        (`subscription_join`: no transaction, and a racing `$disconnect` leaves no orphan).
        With `record`, the claim adds the channel to the connection's `channels` set;
        without, it is a consistent read of the connection.

        Returns the channel's new count (None when not counted). Raises ConnectionGoneError
        (the subscription is removed again) or AlreadySubscribedError if a live one exists.
        """
        self.put(sub)
        return OrderedJoin(self._table, self.client).after_put(sub, self._clock(), record=record)

    def get(self, channel: str, connection_id: str) -> Subscription | None:
        response = self.client.get_item(
            TableName=self._table, Key=self._key(channel, connection_id), ConsistentRead=True
        )
        values = from_item(response["Item"]) if "Item" in response else None
        if values is None or not keys.is_live(values.get(keys.TTL_ATTRIBUTE), self._clock()):
            return None
        return subscription_from(values)

    def get_many(
        self, connection_id: str, channels: Iterable[str], *, include_expired: bool = False
    ) -> list[Subscription]:
        """The connection's live subscriptions to these channels, read strongly consistent
        (one BatchGetItem per 100 keys), in the order given; missing ones are left out.
        `include_expired` keeps those past `expiresAt` that TTL has not deleted yet."""
        wanted = list(dict.fromkeys(channels))
        pending = [self._key(channel, connection_id) for channel in wanted]
        found: dict[str, Subscription] = {}
        now = self._clock()
        while pending:
            response = self.client.batch_get_item(
                RequestItems={self._table: {"Keys": pending[:100], "ConsistentRead": True}}
            )
            for item in response["Responses"].get(self._table, []):
                values = from_item(item)
                if include_expired or keys.is_live(values.get(keys.TTL_ATTRIBUTE), now):
                    sub = subscription_from(values)
                    found[sub.channel] = sub
            unprocessed = response.get("UnprocessedKeys", {}).get(self._table, {})
            pending = unprocessed.get("Keys", []) + pending[100:]
        return [found[channel] for channel in wanted if channel in found]

    def delete(self, channel: str, connection_id: str) -> Subscription | None:
        """Remove the subscription; returns what it held (None if there was none)."""
        response = self.client.delete_item(
            TableName=self._table, Key=self._key(channel, connection_id), ReturnValues="ALL_OLD"
        )
        if "Attributes" not in response:
            return None
        return subscription_from(from_item(response["Attributes"]))

    def _query(self, *, include_expired: bool = False, **kwargs: Any) -> Iterator[dict[str, Any]]:
        names = {"#ttl": keys.TTL_ATTRIBUTE, **kwargs.pop("names", {})}
        values = {":now": to_value(int(self._clock())), **kwargs.pop("values")}
        request = {
            "TableName": self._table,
            "FilterExpression": LIVE_FILTER,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            **kwargs,
        }
        if include_expired:
            for name in ("FilterExpression", "ExpressionAttributeNames"):
                del request[name]
            del values[":now"]
        while True:
            page = self.client.query(**request)
            for item in page.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _channel_query(self, channel: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sub)",
            values={
                ":pk": to_value(keys.channel_pk(channel)),
                ":sub": to_value(keys.SUBSCRIPTION_PREFIX),
            },
            **kwargs,
        )

    def list_subscribers(self, channel: str) -> Iterator[Subscription]:
        """Every live subscription of the channel (eventually consistent, paginated)."""
        return (subscription_from(values) for values in self._channel_query(channel))

    def recipient_ids(self, channel: str, stored_id: str | None = None) -> list[str]:
        """Connection ids of the live subscriptions, projected to the sort key (and the resume
        bound: same read units, billed on whole items). With `stored_id`, subscriptions still
        resuming up to that id are left out: their resume delivers the message."""
        items = self._channel_query(
            channel, ProjectionExpression="sk, #resume", names={"#resume": RESUME_ATTRIBUTE}
        )
        return _recipients(items, stored_id)

    def first_recipients(
        self, channel: str, limit: int, stored_id: str | None = None
    ) -> tuple[list[str], bool]:
        """The fan-out's first read: one Query evaluating at most `limit` subscriptions, and
        whether more follow (then the channel is large and FanoutFunction reads it whole)."""
        page = self.client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sub)",
            FilterExpression=LIVE_FILTER,
            ProjectionExpression="sk, #resume",
            ExpressionAttributeNames={"#ttl": keys.TTL_ATTRIBUTE, "#resume": RESUME_ATTRIBUTE},
            ExpressionAttributeValues={
                ":pk": to_value(keys.channel_pk(channel)),
                ":sub": to_value(keys.SUBSCRIPTION_PREFIX),
                ":now": to_value(int(self._clock())),
            },
            Limit=limit,
        )
        items = (from_item(item) for item in page.get("Items", []))
        return _recipients(items, stored_id), "LastEvaluatedKey" in page

    def list_for_connection(
        self, connection_id: str, *, include_expired: bool = False
    ) -> list[Subscription]:
        items = self._query(
            include_expired=include_expired,
            IndexName=keys.GSI1,
            KeyConditionExpression="gsi1pk = :pk AND begins_with(gsi1sk, :sub)",
            values={
                ":pk": to_value(keys.connection_pk(connection_id)),
                ":sub": to_value(keys.SUBSCRIPTION_PREFIX),
            },
        )
        return [subscription_from(values) for values in items]

    def current_for_connection(
        self, connection_id: str, recorded: Iterable[str], *, include_expired: bool = False
    ) -> list[Subscription]:
        """Every live subscription of the connection, read strongly consistent.

        The channels are the union of `recorded` (the connection item's `channels` set, which
        no index lag can hide) and what gsi1 lists (subscriptions the set does not hold: written
        before it existed, or past its size budget); each is then read from the base table.
        """
        indexed = self.list_for_connection(connection_id, include_expired=include_expired)
        channels = [*(sub.channel for sub in indexed), *sorted(recorded)]
        return self.get_many(connection_id, channels, include_expired=include_expired)

    def find_by_alias(self, connection_id: str, alias: str) -> Subscription | None:
        """The connection's subscription carrying this alias (subscribe-token aliases)."""
        return next(
            (sub for sub in self.list_for_connection(connection_id) if sub.alias == alias), None
        )


def _recipients(items: Iterable[dict[str, Any]], stored_id: str | None) -> list[str]:
    return [
        values["sk"].removeprefix(keys.SUBSCRIPTION_PREFIX)
        for values in items
        if stored_id is None or not stored_id <= str(values.get(RESUME_ATTRIBUTE, ""))
    ]
