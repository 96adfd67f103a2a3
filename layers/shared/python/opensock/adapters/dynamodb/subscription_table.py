"""Subscription items: `chan#{channel}` / `sub#{cid}`, found by connection through `gsi1`.

Reads every feature may use: `list_subscribers` (one paginated, eventually consistent query of
live items), `get` (consistent), `list_for_connection` (GSI, eventually consistent) and
`current_for_connection` (consistent: the connection item's `channels` set plus the GSI).
`recipients` is the fan-out read: the same query projected to the sort key and lane.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from opensock.adapters.dynamodb import keys
from opensock.adapters.dynamodb.client import TableAdapter
from opensock.adapters.dynamodb.codec import from_item, to_item, to_value
from opensock.adapters.dynamodb.subscription_join import OrderedJoin
from opensock.clock import Clock, system_clock
from opensock.domain.lanes import Recipient
from opensock.domain.model import Subscription
from opensock.errors import AlreadySubscribedError
from opensock.jsoncodec import dumps, loads

LIVE_FILTER = "#ttl > :now"
RESUME_ATTRIBUTE = "resumeUntil"
"""Only on a subscription made with `resumeAfter` (docs/extensions.md): the id up to which its
resume, not the live fan-out, delivers stored messages."""
LANE_ATTRIBUTE = "lane"
"""The delivery lane chosen at subscribe (`domain/lanes.py`); absent on older items."""
RECIPIENT_PROJECTION = "sk, #resume, #lane"
RECIPIENT_NAMES = {"#resume": RESUME_ATTRIBUTE, "#lane": LANE_ATTRIBUTE}


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
            LANE_ATTRIBUTE: sub.lane,
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
        lane=_lane(values),
    )


def _lane(values: dict[str, Any]) -> int | None:
    lane = values.get(LANE_ATTRIBUTE)
    return None if lane is None else int(lane)


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

    def join(
        self,
        sub: Subscription,
        *,
        record: bool = True,
        lane_for: Callable[[int], int] | None = None,
    ) -> int | None:
        """Persist a new subscription, count it, and claim its connection, in that order
        (`subscription_join`: no transaction, and a racing `$disconnect` leaves no orphan).
        With `record`, the claim adds the channel to the connection's `channels` set;
        without, it is a consistent read of the connection.

        With `lane_for` (a counted subscription), the count comes first and the subscription
        is stored with the lane `lane_for(count before it)`.

        Returns the channel's new count (None when not counted). Raises ConnectionGoneError
        (the subscription is removed again) or AlreadySubscribedError if a live one exists.
        """
        joining = OrderedJoin(self._table, self.client)
        if lane_for is not None and not sub.omit_from_count:
            return joining.count_first(sub, self._clock(), self.put, lane_for, record=record)
        self.put(sub)
        return joining.after_put(sub, self._clock(), record=record)

    def move_to_lane(self, channel: str, connection_id: str, lane: int) -> None:
        """Change the stored lane of a live subscription; nothing if it is gone (no upsert)."""
        from botocore.exceptions import ClientError

        try:
            self.client.update_item(
                TableName=self._table,
                Key=self._key(channel, connection_id),
                UpdateExpression="SET #lane = :lane",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#lane": LANE_ATTRIBUTE},
                ExpressionAttributeValues={":lane": to_value(lane)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

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

    def _channel_query(
        self, channel: str, values: dict[str, Any] | None = None, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        return self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sub)",
            values={
                ":pk": to_value(keys.channel_pk(channel)),
                ":sub": to_value(keys.SUBSCRIPTION_PREFIX),
                **(values or {}),
            },
            **kwargs,
        )

    def list_subscribers(self, channel: str) -> Iterator[Subscription]:
        """Every live subscription of the channel (eventually consistent, paginated)."""
        return (subscription_from(values) for values in self._channel_query(channel))

    def recipients(
        self, channel: str, stored_id: str | None = None, *, from_lane: int | None = None
    ) -> list[Recipient]:
        """The live subscriptions' connection ids and lanes, projected (and the resume bound:
        same read units, billed on whole items); with `from_lane`, only lanes from it on
        (filtered by DynamoDB: the others are read, billed, but neither sent nor parsed). With
        `stored_id`, subscriptions still resuming up to that id are left out: their resume
        delivers the message."""
        kwargs: dict[str, Any] = {}
        names = dict(RECIPIENT_NAMES)
        if from_lane is not None:
            kwargs["FilterExpression"] = f"{LIVE_FILTER} AND #lane >= :from"
            kwargs["values"] = {":from": to_value(from_lane)}
        items = self._channel_query(
            channel, ProjectionExpression=RECIPIENT_PROJECTION, names=names, **kwargs
        )
        return _recipients(items, stored_id)

    def direct_recipients(
        self, channel: str, below_lane: int, stored_id: str | None = None
    ) -> tuple[list[Recipient], bool]:
        """The publish's read: the live subscriptions of lanes below `below_lane` (and those
        without a lane), every page, and whether the read skipped any of a higher lane (then
        FanoutFunction reads those: a plan). DynamoDB filters on the lane; the expiry is checked
        here, so an expired item of a higher lane still counts as skipped (until TTL deletes it)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sub)",
            "FilterExpression": "attribute_not_exists(#lane) OR #lane < :below",
            "ProjectionExpression": f"{RECIPIENT_PROJECTION}, #ttl",
            "ExpressionAttributeNames": {"#ttl": keys.TTL_ATTRIBUTE, **RECIPIENT_NAMES},
            "ExpressionAttributeValues": {
                ":pk": to_value(keys.channel_pk(channel)),
                ":sub": to_value(keys.SUBSCRIPTION_PREFIX),
                ":below": to_value(below_lane),
            },
        }
        now, found, skipped = self._clock(), [], False
        while True:
            page = self.client.query(**request)
            skipped = skipped or page.get("ScannedCount", 0) > page.get("Count", 0)
            for item in page.get("Items", []):
                values = from_item(item)
                if keys.is_live(values.get(keys.TTL_ATTRIBUTE), now):
                    found.append(values)
            if "LastEvaluatedKey" not in page:
                return _recipients(found, stored_id), skipped
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

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


def _recipients(items: Iterable[dict[str, Any]], stored_id: str | None) -> list[Recipient]:
    return [
        Recipient(values["sk"].removeprefix(keys.SUBSCRIPTION_PREFIX), _lane(values))
        for values in items
        if stored_id is None or not stored_id <= str(values.get(RESUME_ATTRIBUTE, ""))
    ]
