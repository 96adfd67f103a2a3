"""`make dev`'s state across restarts: the table's items and the pending schedules, in one file.

The file (`tmp/local-state.json` by default; `tmp/` is git-ignored) is written when something
changed, at most every `SAVE_SECONDS`, and when the stack stops; it is read at start, before
anything is served. A file that is not JSON, not ours, or of another format version is
reported and moved aside (`<name>.corrupt-<time>`), and the stack starts empty: a bad file
never stops a start. Sockets do not survive a restart, so the connections found in the file
are disconnected once the stack is up, through `$disconnect`, as API Gateway would.

    {"format": "opensock-local-state", "version": 1, "savedAt": "...",
     "tables": {"<logical id>": [<items, DynamoDB JSON>]}, "schedules": [<get_schedule>]}
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from tools.local.naming import TABLE_TYPES, physical_name
from tools.local.schedules import schedule_details, schedule_summaries
from tools.local.template import REPO_ROOT, LocalTemplate

log = logging.getLogger("tools.local")
DEFAULT_STATE_FILE = REPO_ROOT / "tmp" / "local-state.json"
FORMAT = "opensock-local-state"
VERSION = 1
SAVE_SECONDS = 2.0
_SCHEDULE_FIELDS = (
    "Name",
    "GroupName",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "Description",
    "State",
    "FlexibleTimeWindow",
    "Target",
    "ActionAfterCompletion",
)
_WRITES = (".PutItem", ".UpdateItem", ".DeleteItem", ".BatchWriteItem", ".TransactWriteItems")


class StateFileError(Exception):
    """The file cannot be used: the reason, for the report."""


@dataclass
class SavedState:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    schedules: list[dict[str, Any]] = field(default_factory=list)


def parse(text: str) -> SavedState:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise StateFileError(f"not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateFileError("not an opensock local state file")
    if document.get("version") != VERSION:
        raise StateFileError(f"format version {document.get('version')!r}, expected {VERSION}")
    tables, schedules = document.get("tables"), document.get("schedules")
    if not isinstance(tables, dict) or not isinstance(schedules, list):
        raise StateFileError("tables must be an object and schedules a list")
    for name, items in tables.items():
        if not isinstance(items, list) or not all(_is_item(item) for item in items):
            raise StateFileError(f"table {name}: items must be DynamoDB JSON objects")
    if not all(isinstance(s, dict) and isinstance(s.get("Name"), str) for s in schedules):
        raise StateFileError("every schedule must be an object with a Name")
    return SavedState(tables, schedules)


def _is_item(item: Any) -> bool:
    return isinstance(item, dict) and all(
        isinstance(value, dict) and len(value) == 1 for value in item.values()
    )


def read(path: Path) -> SavedState | None:
    """The saved state, or None (no file, or a bad one: reported and moved aside)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return _set_aside(path, f"unreadable ({exc})")
    try:
        return parse(text)
    except StateFileError as exc:
        return _set_aside(path, str(exc))


def _set_aside(path: Path, reason: str) -> None:
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        path.replace(aside)
    except OSError as exc:
        log.warning("state file %s is unusable (%s) and could not be moved: %s", path, reason, exc)
        return None
    log.warning("state file %s is unusable (%s): moved to %s; starting empty", path, reason, aside)
    return None


def _tables(template: LocalTemplate) -> dict[str, str]:
    resolver = template.resolver
    return {
        logical_id: physical_name(resolver, logical_id, resource)
        for logical_id, resource in template.of_type(*TABLE_TYPES).items()
    }


def snapshot(template: LocalTemplate) -> dict[str, Any]:
    region = template.world.region
    dynamodb = boto3.client("dynamodb", region_name=region)
    tables = {}
    for logical_id, name in _tables(template).items():
        pages = dynamodb.get_paginator("scan").paginate(TableName=name)
        tables[logical_id] = [item for page in pages for item in page.get("Items") or []]
    scheduler = boto3.client("scheduler", region_name=region)
    schedules = []
    for summary in schedule_summaries(scheduler):
        details = schedule_details(scheduler, summary)
        schedules.append({k: details[k] for k in _SCHEDULE_FIELDS if k in details})
    return {
        "format": FORMAT,
        "version": VERSION,
        "savedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tables": tables,
        "schedules": schedules,
    }


def write(path: Path, document: dict[str, Any]) -> None:
    """Atomically: a reader (or a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(document, default=str), encoding="utf-8")
    os.replace(partial, path)


def restore(template: LocalTemplate, state: SavedState) -> list[str]:
    """Write the saved items and schedules into moto; returns the saved connections' ids."""
    region = template.world.region
    dynamodb = boto3.client("dynamodb", region_name=region)
    names = _tables(template)
    connections = []
    for logical_id, items in state.tables.items():
        if logical_id not in names:
            log.warning("state file: table %s is no longer in the template; skipped", logical_id)
            continue
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            dynamodb.batch_write_item(RequestItems={names[logical_id]: batch})
        connections += [_connection_id(item) for item in items if _connection_id(item)]
    scheduler = boto3.client("scheduler", region_name=region)
    for schedule in state.schedules:
        scheduler.create_schedule(**schedule)
    log.info(
        "state restored: %d items, %d schedules",
        sum(len(items) for items in state.tables.values()),
        len(state.schedules),
    )
    return connections


def restore_or_set_aside(template: LocalTemplate, state: SavedState, path: Path) -> list[str]:
    """`restore`, but a file moto refuses (say, items of an older key schema) is reported and
    moved aside; what was written before the refusal stays."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return restore(template, state)
    except (BotoCoreError, ClientError, KeyError, TypeError, ValueError) as exc:
        _set_aside(path, f"refused while restoring: {exc}")
        return []


def _connection_id(item: dict[str, Any]) -> str:
    """The id of a connection item (`pk` `conn#<id>`, `sk` `conn`), else ""."""
    pk, sk = item.get("pk", {}).get("S", ""), item.get("sk", {}).get("S", "")
    return pk.removeprefix("conn#") if pk.startswith("conn#") and sk == "conn" else ""


class StateKeeper:
    """Saves when moto saw a write since the last save (a moto listener marks it)."""

    def __init__(self, path: Path, template: LocalTemplate) -> None:
        self.path = path
        self.template = template
        self.dirty = False

    def on_aws_call(self, target: str) -> None:
        if target.endswith(_WRITES) or "/schedules/" in target:
            self.dirty = True

    def save(self) -> None:
        self.dirty = False
        write(self.path, snapshot(self.template))
