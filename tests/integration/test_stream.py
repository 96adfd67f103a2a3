"""StreamFunction: TTL removals of storage entries become `hotsock.channelStorageUpdated`."""

from __future__ import annotations

import copy
from typing import Any

from functions.stream.app import lambda_handler
from tests.support.events import load_event
from tests.support.fakes import FakeLambdaContext, FakePublisher
from tests.support.stack import Stack


def run(stack: Stack, records: list[dict[str, Any]]) -> dict[str, int]:
    return lambda_handler({"Records": records}, FakeLambdaContext(), stack.app)  # type: ignore[no-any-return]


def ttl_record() -> dict[str, Any]:
    record: dict[str, Any] = load_event("stream")["Records"][0]
    record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return record


def test_ttl_removal_emits_the_expiry_event(stack: Stack, publisher: FakePublisher) -> None:
    # GIVEN a TTL removal of an entry written with emitPubSubEvent
    record = ttl_record()
    image = record["dynamodb"]["OldImage"]
    # WHEN
    result = run(stack, [record])
    # THEN
    assert result == {"expired": 1, "emitted": 1}
    (event,) = publisher.envelopes
    assert event["type"] == "hotsock.channelStorageUpdated"
    assert event["data"] == {
        "channel": "game.lobby",
        "key": "player.123",
        "data": None,
        "dataPrevious": {"name": "Ada", "ready": True},
        "expired": True,
        "expiresAt": "2026-01-05T12:00:00Z",  # the (past) expiry of that value (S §5.6)
        "meta": {"uid": "u-123", "umd": None},
    }
    assert image["expiresAt"] == {"N": "1767614400"}  # 2026-01-05T12:00:00Z
    assert event["metadata"]["trigger"] == "client.websocket"
    assert event["metadata"]["connectionId"] == "Xy3dQe1EoAMCKpQ="


def test_entries_written_without_emit_and_other_removals_are_silent(
    stack: Stack, publisher: FakePublisher
) -> None:
    quiet = ttl_record()
    quiet["dynamodb"]["OldImage"]["emit"] = {"BOOL": False}
    user_clear = copy.deepcopy(ttl_record())
    user_clear.pop("userIdentity")
    not_storage = ttl_record()
    not_storage["dynamodb"]["OldImage"]["sk"] = {"S": "sub#abc"}
    insert = ttl_record()
    insert["eventName"] = "INSERT"
    result = run(stack, [quiet, user_clear, not_storage, insert])
    assert result == {"expired": 1, "emitted": 0}
    assert publisher.envelopes == []
