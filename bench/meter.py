"""Counting every AWS request the code makes, with DynamoDB units computed from item sizes.

`Meter.install()` registers botocore handlers on boto3's default session (so every client
created afterwards carries them): `before-parameter-build` asks DynamoDB for
`ReturnConsumedCapacity=TOTAL` and notes the items a write will touch, `after-call` counts the
request and its billable units into the current `Usage`. moto's ConsumedCapacity is a constant
per request, so units are computed from the items read and written (see `bench/sizes.py`);
moto's figure is kept in `moto_reported_units` only to show the difference. Query and Scan
sizes come from a wrapper around moto's `Table.query`/`Table.scan` that sees every item the
request evaluated, before the filter and the projection (DynamoDB bills those too).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.cost import Usage, units_of
from bench.sizes import item_size, read_units, write_units

SQS_UNIT = 64 * 1024
SNS_UNIT = 64 * 1024
EVENTS_UNIT = 64 * 1024
APIGW_UNIT = 32 * 1024
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
CAPACITY_OPS = WRITES | {
    "GetItem",
    "BatchGetItem",
    "TransactGetItems",
    "Query",
    "Scan",
}

_scanned = threading.local()


def _moto_table(name: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    for region in ("us-east-1",):
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
        if name in backend.tables:
            return backend.tables[name]
    raise KeyError(name)


def peek(table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """The stored item (typed) for a key, read from moto's backend without a request."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = _moto_table(table_name)
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    found = table.get_item(hash_key, range_key)
    return None if found is None else dict(found.to_json()["Attributes"])


def _index_keys(table_name: str) -> list[tuple[tuple[str, ...], tuple[str, ...] | None]]:
    """(key attribute names, projected attribute names or None for ALL) of each GSI."""
    table = _moto_table(table_name)
    indexes = []
    for index in table.global_indexes or []:
        names = tuple(part["AttributeName"] for part in index.schema)
        projection = index.projection or {}
        kind = projection.get("ProjectionType", "ALL")
        projected = None
        if kind != "ALL":
            keys = (table.hash_key_attr, table.range_key_attr, *names)
            extra = projection.get("NonKeyAttributes", []) if kind == "INCLUDE" else []
            projected = tuple(name for name in (*keys, *extra) if name)
        indexes.append((names, projected))
    return indexes


def _projected(item: dict[str, Any] | None, projected: tuple[str, ...] | None) -> Any:
    """What an index holds of the item (all of it for an ALL projection)."""
    if item is None or projected is None:
        return item
    return {name: item[name] for name in projected if name in item}


def _key_of(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    table = _moto_table(table_name)
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: item[name] for name in names}


def _write_targets(operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """(table, key, requested item, transactional, condition-only) per item a write touches."""
    targets: list[dict[str, Any]] = []

    def add(table: str, key: dict[str, Any], item: Any = None, **flags: bool) -> None:
        targets.append({"table": table, "key": key, "item": item, **flags})

    if operation == "PutItem":
        add(params["TableName"], _key_of(params["TableName"], params["Item"]), params["Item"])
    elif operation in ("UpdateItem", "DeleteItem"):
        add(params["TableName"], params["Key"])
    elif operation == "TransactWriteItems":
        targets += _transaction_targets(params)
    elif operation == "BatchWriteItem":
        targets += _batch_targets(params)
    return targets


def _transaction_targets(params: dict[str, Any]) -> list[dict[str, Any]]:
    targets = []
    for entry in params["TransactItems"]:
        ((kind, body),) = entry.items()
        table = body["TableName"]
        if kind == "Put":
            key, item = _key_of(table, body["Item"]), body["Item"]
        else:
            key, item = body["Key"], None
        targets.append(
            {"table": table, "key": key, "item": item, "transactional": True,
             "check": kind == "ConditionCheck"}
        )  # fmt: skip
    return targets


def _batch_targets(params: dict[str, Any]) -> list[dict[str, Any]]:
    targets = []
    for table, requests in params["RequestItems"].items():
        for request in requests:
            if "PutRequest" in request:
                item = request["PutRequest"]["Item"]
                targets.append({"table": table, "key": _key_of(table, item), "item": item})
            else:
                targets.append({"table": table, "key": request["DeleteRequest"]["Key"]})
    return targets


def _index_tuple(item: dict[str, Any] | None, names: tuple[str, ...]) -> Any:
    if item is None or not all(name in item for name in names):
        return None
    return tuple(str(item[name]) for name in names)


def write_cost(target: dict[str, Any], old: Any, new: Any, ok: bool) -> tuple[float, float]:
    """(WRU including index writes, of which index) of one item of a write request."""
    transactional = bool(target.get("transactional"))
    requested = item_size(target.get("item"))
    old_size, new_size = item_size(old), item_size(new) if ok else 0
    units = write_units(max(old_size, new_size, requested), transactional=transactional)
    if target.get("check") or not ok:
        return units, 0.0
    index_units = 0.0
    for names, projected in _index_keys(target["table"]):
        before, after = _index_tuple(old, names), _index_tuple(new, names)
        old_entry, new_entry = _projected(old, projected), _projected(new, projected)
        old_units, new_units = item_size(old_entry), item_size(new_entry)
        if after is not None and after != before:
            index_units += write_units(new_units)
        if before is not None and after != before:
            index_units += write_units(old_units)
        # an update the index does not hold (a KEYS_ONLY index, attributes not projected)
        # writes nothing to it
        if before is not None and before == after and old_entry != new_entry:
            index_units += write_units(max(old_units, new_units))
    return units + index_units, index_units


class Meter:
    def __init__(self) -> None:
        self._current = Usage()
        self._lock = threading.Lock()
        self.moto_reported_units = 0.0

    @property
    def usage(self) -> Usage:
        return self._current

    @contextmanager
    def measure(self) -> Iterator[Usage]:
        """Everything counted inside the block goes to the yielded Usage."""
        previous, self._current = self._current, Usage()
        try:
            yield self._current
        finally:
            self._current = previous

    # --- installation ---------------------------------------------------------------------
    def install(self) -> None:
        """Register on boto3's default session (moto's `mock_aws` swaps it: call after start)."""
        import boto3

        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        session = boto3.DEFAULT_SESSION
        if getattr(session, "bench_meter", None) is self:
            return
        events = session.events  # type: ignore[union-attr]
        events.register("before-parameter-build", self._before)
        events.register("before-call", self._start)
        events.register("after-call", self._after)
        session.bench_meter = self  # type: ignore[union-attr]
        _wrap_moto_reads()

    # --- counting from fakes ----------------------------------------------------------------
    def count_log(self, written: int) -> None:
        with self._lock:
            self._current.log_bytes += written

    def count_post(self, payload_bytes: int) -> None:
        with self._lock:
            self._current.posts += 1
            self._current.messages_out += units_of(payload_bytes, APIGW_UNIT)

    # --- botocore handlers ------------------------------------------------------------------
    def _before(self, params: dict[str, Any], model: Any, context: Any, **_: Any) -> None:
        context["bench_params"] = params
        if model.service_model.service_name != "dynamodb" or model.name not in CAPACITY_OPS:
            return
        params.setdefault("ReturnConsumedCapacity", "TOTAL")
        if model.name in WRITES:
            targets = _write_targets(model.name, params)
            for target in targets:
                target["old"] = peek(target["table"], target["key"])
            context["bench_writes"] = targets

    def _start(self, context: Any, **_: Any) -> None:
        context["bench_started"] = time.perf_counter()
        context["bench_cpu"] = time.thread_time()

    def _after(self, parsed: dict[str, Any], model: Any, context: Any, **_: Any) -> None:
        service, operation = model.service_model.service_name, model.name
        elapsed = time.perf_counter() - context.get("bench_started", time.perf_counter())
        cpu = time.thread_time() - context.get("bench_cpu", time.thread_time())
        params = context.get("bench_params", {})
        ok = "Error" not in parsed
        rru = wru = gsi = 0.0
        sqs = sns = events = 0
        if service == "dynamodb":
            rru, wru, gsi = self._dynamodb_units(operation, params, context, ok)
            reported = parsed.get("ConsumedCapacity")
            if isinstance(reported, dict):
                self.moto_reported_units += float(reported.get("CapacityUnits", 0))
        elif service == "sqs":
            sqs = _sqs_units(operation, params)
        elif service == "sns":
            sns = _sns_units(operation, params)
        elif service == "events" and operation == "PutEvents":
            events = sum(units_of(len(str(e).encode()), EVENTS_UNIT) for e in params["Entries"])
        with self._lock:
            usage = self._current
            usage.requests[f"{service}.{operation}"] += 1
            usage.trace.append(f"{operation} {describe(params)}".rstrip())
            usage.rru += rru
            usage.wru += wru
            usage.gsi_wru += gsi
            usage.sqs_units += sqs
            usage.sns_units += sns
            usage.eventbridge_units += events
            usage.aws_seconds += elapsed
            usage.aws_cpu_seconds += cpu

    def _dynamodb_units(
        self, operation: str, params: dict[str, Any], context: Any, ok: bool
    ) -> tuple[float, float, float]:
        if operation in WRITES:
            wru = gsi = 0.0
            for target in context.get("bench_writes", []):
                new = peek(target["table"], target["key"])
                units, index = write_cost(target, target["old"], new, ok)
                wru, gsi = wru + units, gsi + index
            return 0.0, wru, gsi
        if operation == "GetItem":
            size = item_size(peek(params["TableName"], params["Key"]))
            return read_units(size, consistent=bool(params.get("ConsistentRead"))), 0.0, 0.0
        if operation == "BatchGetItem":
            rru = 0.0
            for table, request in params["RequestItems"].items():
                consistent = bool(request.get("ConsistentRead"))
                for key in request["Keys"]:
                    rru += read_units(item_size(peek(table, key)), consistent=consistent)
            return rru, 0.0, 0.0
        if operation == "TransactGetItems":
            rru = 0.0
            for entry in params["TransactItems"]:
                body = entry["Get"]
                size = item_size(peek(body["TableName"], body["Key"]))
                rru += read_units(size, consistent=True, transactional=True)
            return rru, 0.0, 0.0
        scanned = getattr(_scanned, "sizes", [])
        _scanned.sizes = []
        consistent = bool(params.get("ConsistentRead"))
        return read_units(sum(scanned), consistent=consistent), 0.0, 0.0


def _kind(key: dict[str, Any]) -> str:
    parts = [str(next(iter(value.values()))) for value in key.values()]
    return "/".join(part.split("#")[0] + ("#" if "#" in part else "") for part in parts)


def describe(params: dict[str, Any]) -> str:
    """What a DynamoDB request touched, by key prefix (`conn#/conn`, `chan#/sub#`)."""
    if "Key" in params:
        return _kind(params["Key"])
    if "Item" in params:
        return _kind({k: params["Item"][k] for k in ("pk", "sk") if k in params["Item"]})
    if "TransactItems" in params:
        kinds = []
        for entry in params["TransactItems"]:
            ((kind, body),) = entry.items()
            key = body.get("Key") or {k: body["Item"][k] for k in ("pk", "sk")}
            kinds.append(f"{kind} {_kind(key)}")
        return "[" + ", ".join(kinds) + "]"
    if "KeyConditionExpression" in params:
        prefixes = [
            str(next(iter(v.values())))
            for v in params.get("ExpressionAttributeValues", {}).values()
            if str(next(iter(v.values()))).endswith("#")
        ]
        where = params.get("IndexName", "table")
        return f"{where} {' '.join(prefixes)}".strip()
    return ""


def _sqs_units(operation: str, params: dict[str, Any]) -> int:
    if operation == "SendMessageBatch":
        total = sum(len(entry["MessageBody"].encode()) for entry in params.get("Entries", []))
        return units_of(total, SQS_UNIT)
    if operation == "SendMessage":
        return units_of(len(params.get("MessageBody", "").encode()), SQS_UNIT)
    return 1


def _sns_units(operation: str, params: dict[str, Any]) -> int:
    if operation == "PublishBatch":
        entries = params.get("PublishBatchRequestEntries", [])
        return units_of(sum(len(e["Message"].encode()) for e in entries), SNS_UNIT)
    if operation == "Publish":
        return units_of(len(params.get("Message", "").encode()), SNS_UNIT)
    return 0


def _wrap_moto_reads() -> None:
    """Record the size of every item a moto Query/Scan evaluates (before filter/projection)."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "bench_wrapped", False):
        return
    original = Table.query
    signature = inspect.signature(original)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        projection = bound.arguments.get("projection_expressions")
        condition = bound.arguments.get("filter_expression")
        bound.arguments["projection_expressions"] = None
        bound.arguments["filter_expression"] = None
        results, scanned_count, last_key = original(*bound.args, **bound.kwargs)
        sizes = getattr(_scanned, "sizes", [])
        sizes.append(sum(item_size(dict(item.to_json()["Attributes"])) for item in results))
        _scanned.sizes = sizes
        if condition is not None:
            results = [item for item in results if condition.expr(item)]
        if projection:
            results = [item.project(projection) for item in results]
        return results, scanned_count, last_key

    query.bench_wrapped = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
