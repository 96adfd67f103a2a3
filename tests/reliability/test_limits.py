"""Every size and count limit of PROTOCOL §19, enforced at the boundary with the spec's error.

Each limit is tested at its edge: the largest accepted value and the first refused one, over
every transport that takes it (WebSocket frame, Client HTTP API, server publish).
"""

from __future__ import annotations

from typing import Any

import pytest

from opensock.jsoncodec import size_bytes
from tests.reliability.drive import http, ws, ws_raw
from tests.reliability.kit import NOW, TokenKit, table_items
from tests.support.calls import subscribe
from tests.support.channels import open_connection
from tests.support.env import PUBLISH_API_KEY
from tests.support.events import ws_event
from tests.support.stack import Stack

CID = "Lim1ConnAA="
GRANTS = {
    "*": {
        "subscribe": True,
        "messages": {"*": {"publish": True}},
        "storage": {"*": {"set": True, "get": True}},
    }
}


@pytest.fixture
def member(rel_stack: Stack) -> Any:
    return open_connection(rel_stack, CID, GRANTS, uid="lim")


def data_of(nbytes: int) -> str:
    """A JSON string whose compact encoding is exactly `nbytes` bytes."""
    value = "x" * (nbytes - 2)
    assert size_bytes(value) == nbytes
    return value


def publish_http(stack: Stack, body: dict[str, Any]) -> tuple[int, Any]:
    status, reply, _ = http(
        stack,
        "/publish",
        body,
        authorization=f"Bearer {PUBLISH_API_KEY}",
        function="functions.publish.app",
    )
    return status, reply


def code(frame: Any) -> str | None:
    return None if frame is None else str(frame["error"]["code"])


# --- channel names: 1-256 code points, no * # , or whitespace ------------------------------
CHANNELS_OK = ["c" * 256, "é" * 256, "a.b-c_d:e/f", "presence." + "p" * 247]
CHANNELS_BAD = ["", "c" * 257, "a*b", "a#b", "a,b", "a b", "a\tb", "a\nb", "a\u2028b"]


@pytest.mark.parametrize("channel", CHANNELS_OK, ids=lambda c: f"{len(c)}:{c[:6]}")
def test_channel_names_at_the_limit_are_accepted(
    rel_stack: Stack, member: Any, channel: str
) -> None:
    body = {"event": "hotsock.subscribe", "channel": channel}
    assert ws(rel_stack, "subscribe", body, cid=CID)[1] is None
    assert ws(rel_stack, "default", {"event": "e", "channel": channel}, cid=CID)[1] is None


@pytest.mark.parametrize("channel", CHANNELS_BAD, ids=repr)
def test_channel_names_past_the_limit_are_refused_everywhere(
    rel_stack: Stack, member: Any, channel: str
) -> None:
    subscribe_frame = {"event": "hotsock.subscribe", "channel": channel}
    assert code(ws(rel_stack, "subscribe", subscribe_frame, cid=CID)[1]) == (
        "SUBSCRIBE_PERMISSION_DENIED"  # §9.3: subscribe failures hotsock-js understands
    )
    publish = {"event": "e", "channel": channel}
    assert code(ws(rel_stack, "default", publish, cid=CID)[1]) == "INVALID_CHANNEL_NAME"
    storage = {"event": "hotsock.channelStorageSet", "channel": channel, "key": "k", "data": 1}
    assert code(ws(rel_stack, "channel_storage_set", storage, cid=CID)[1]) == (
        "INVALID_CHANNEL_NAME"
    )
    status, reply = publish_http(rel_stack, publish)
    assert (status, reply["error"]["code"]) == (400, "INVALID_CHANNEL_NAME")
    assert [i for i in table_items(rel_stack) if i["sk"] != "conn"] == []


# --- event names: 1-128, no *, not starting with # or hotsock. -----------------------------
@pytest.mark.parametrize("event", ["e" * 128, "a#b", "é" * 128, "a.b:c"])
def test_event_names_at_the_limit_are_accepted(rel_stack: Stack, member: Any, event: str) -> None:
    subscribe(member, "c", rel_stack)
    assert ws(rel_stack, "default", {"event": event, "channel": "c"}, cid=CID)[1] is None
    assert publish_http(rel_stack, {"event": event, "channel": "c"})[0] == 202


@pytest.mark.parametrize("event", ["e" * 129, "a*b", "#a", "hotsock.custom"])
def test_event_names_past_the_limit_are_refused(rel_stack: Stack, member: Any, event: str) -> None:
    frame = ws(rel_stack, "default", {"event": event, "channel": "c"}, cid=CID)[1]
    # a reserved `hotsock.` name on the WebSocket is an unknown protocol event (§7.11)
    expected = "UNKNOWN_EVENT" if event.startswith("hotsock.") else "INVALID_EVENT_NAME"
    assert code(frame) == expected
    status, reply = publish_http(rel_stack, {"event": event, "channel": "c"})
    assert (status, reply["error"]["code"]) == (400, "INVALID_EVENT_NAME")


def test_an_empty_event_is_an_invalid_message(rel_stack: Stack, member: Any) -> None:
    assert code(ws(rel_stack, "default", {"event": "", "channel": "c"}, cid=CID)[1]) == (
        "INVALID_MESSAGE"
    )


# --- storage keys: 1-128, no space * # , ---------------------------------------------------
@pytest.mark.parametrize("key", ["k" * 128, "é" * 128, "a.b-c"])
def test_storage_keys_at_the_limit_are_accepted(rel_stack: Stack, member: Any, key: str) -> None:
    body = {"event": "hotsock.channelStorageSet", "channel": "c", "key": key, "data": 1}
    assert ws(rel_stack, "channel_storage_set", body, cid=CID)[1] is None


@pytest.mark.parametrize("key", ["", " ", "k" * 129, "a b", "a*b", "a#b", "a,b", "a\tb"], ids=repr)
def test_storage_keys_past_the_limit_are_refused(rel_stack: Stack, member: Any, key: str) -> None:
    body = {"event": "hotsock.channelStorageSet", "channel": "c", "key": key, "data": 1}
    assert code(ws(rel_stack, "channel_storage_set", body, cid=CID)[1]) == "INVALID_STORAGE_KEY"
    get = {"event": "hotsock.channelStorageGet", "channel": "c", "key": key}
    assert code(ws(rel_stack, "channel_storage_get", get, cid=CID)[1]) == "INVALID_STORAGE_KEY"
    server = {"event": "hotsock.channelStorageSet", "channel": "c", "key": key, "data": 1}
    assert publish_http(rel_stack, server)[1]["error"]["code"] == "INVALID_STORAGE_KEY"


# --- data: 32 KiB of compact UTF-8 JSON ----------------------------------------------------
@pytest.mark.parametrize("nbytes", [32 * 1024, 32 * 1024 + 1])
def test_message_and_storage_data_limit(rel_stack: Stack, member: Any, nbytes: int) -> None:
    subscribe(member, "c", rel_stack)
    data = data_of(nbytes)
    expected = None if nbytes <= 32 * 1024 else "DATA_TOO_LARGE"
    frames = [
        ws(rel_stack, "default", {"event": "e", "channel": "c", "data": data}, cid=CID)[1],
        ws(
            rel_stack,
            "channel_storage_set",
            {"event": "hotsock.channelStorageSet", "channel": "c", "key": "k", "data": data},
            cid=CID,
        )[1],
    ]
    assert [code(f) for f in frames] == [expected, expected]
    status, reply = publish_http(rel_stack, {"event": "e", "channel": "c", "data": data})
    assert status == (202 if expected is None else 400)
    if expected:
        assert reply["error"]["code"] == expected


def test_multibyte_data_is_measured_in_bytes(rel_stack: Stack, member: Any) -> None:
    subscribe(member, "c", rel_stack)
    data = "é" * 16_383  # 32 766 bytes + 2 quotes = 32 768: at the limit
    assert size_bytes(data) == 32 * 1024
    assert (
        ws(rel_stack, "default", {"event": "e", "channel": "c", "data": data}, cid=CID)[1] is None
    )
    frame = ws(rel_stack, "default", {"event": "e", "channel": "c", "data": data + "é"}, cid=CID)[1]
    assert code(frame) == "DATA_TOO_LARGE"


# --- store ranges ----------------------------------------------------------------------------
# Whether an accepted message is stored shows through `connection/listMessages`.


@pytest.mark.parametrize(
    ("store", "status"),
    [
        (0, 202),
        (-1, 202),
        (1, 202),
        (3_155_695_200, 202),
        (3_155_695_201, 400),
        (-2, 400),
        (1.5, 400),
    ],
)
def test_message_store_range(rel_stack: Stack, member: Any, store: Any, status: int) -> None:
    # GIVEN a subscriber of the channel
    subscribe(member, "c", rel_stack)
    # WHEN the server publishes with this `store`
    body = {"event": "e", "channel": "c", "store": store, "eagerIdGeneration": True}
    got, reply = publish_http(rel_stack, body)
    # THEN a value out of range is refused; an accepted one is kept (listed) unless it is 0
    assert got == status
    if status == 400:
        assert reply["error"]["code"] in {"INVALID_STORE", "INVALID_MESSAGE"}
        return
    creds = {"connectionId": CID, "connectionSecret": member.secret}
    listed, page, _ = http(rel_stack, "/connection/listMessages", {"channel": "c"}, query=creds)
    assert listed == 200, page
    assert (reply["id"] in [m["id"] for m in page["messages"]]) == (store != 0)


@pytest.mark.parametrize(
    ("store", "status"), [(-1, 202), (1, 202), (3_155_695_200, 202), (0, 400), (3_155_695_201, 400)]
)
def test_storage_store_range(rel_stack: Stack, store: int, status: int) -> None:
    body = {
        "event": "hotsock.channelStorageSet",
        "channel": "c",
        "key": "k",
        "data": 1,
        "store": store,
    }
    got, reply = publish_http(rel_stack, body)
    assert got == status
    if status == 400:
        assert reply["error"]["code"] == "INVALID_STORE"


# --- token claims: uid 128, umd 1 KiB, heartbeatTimeout 5-600 ------------------------------
@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"uid": "u" * 128}, 200),
        ({"uid": "u" * 129}, 401),
        ({"umd": data_of(1024)}, 200),
        ({"umd": data_of(1025)}, 401),
        ({"heartbeatTimeout": 5}, 200),
        ({"heartbeatTimeout": 600}, 200),
        ({"heartbeatTimeout": 4}, 401),
        ({"heartbeatTimeout": 601}, 401),
    ],
    ids=["uid 128", "uid 129", "umd 1024", "umd 1025", "hb 5", "hb 600", "hb 4", "hb 601"],
)
def test_token_claim_limits(
    rel_stack: Stack, kit: TokenKit, claims: dict[str, Any], status: int
) -> None:
    token = kit.rs256(kit.good("connect", **claims))
    event = ws_event("connect", connection_id=CID, query={"token": token})
    assert ws_raw(rel_stack, "connect", event)["statusCode"] == status


def test_connection_lifetime_is_two_hours(rel_stack: Stack, kit: TokenKit) -> None:
    event = ws_event("connect", connection_id=CID, query={"token": kit.rs256(kit.good("connect"))})
    ws_raw(rel_stack, "connect", event)
    item = next(i for i in table_items(rel_stack) if i["sk"] == "conn")
    assert int(item["expiresAt"]) - int(item["connectedAt"]) == 7200


# --- counts --------------------------------------------------------------------------------
@pytest.mark.parametrize(("count", "status"), [(100, 200), (101, 400)])
def test_channel_storage_list_takes_at_most_100_keys(
    rel_stack: Stack, member: Any, count: int, status: int
) -> None:
    creds = {"connectionId": CID, "connectionSecret": member.secret}
    body = {"channel": "c", "keys": [f"k{i}" for i in range(count)]}
    got, reply, _ = http(rel_stack, "/connection/channelStorageList", body, query=creds)
    assert got == status
    if status == 400:
        assert reply["error"]["code"] == "INVALID_MESSAGE"


def test_deduplication_window_is_five_minutes(rel_stack: Stack, member: Any, clock: Any) -> None:
    subscribe(member, "c", rel_stack)
    body = {"event": "e", "channel": "c", "deduplicationId": "d-1"}
    for _ in range(2):
        assert publish_http(rel_stack, body)[0] == 202  # duplicates are still acknowledged
    assert rel_stack.gateway.events(CID).count("e") == 1  # type: ignore[attr-defined]
    clock.advance(299)
    publish_http(rel_stack, body)
    assert rel_stack.gateway.events(CID).count("e") == 1  # type: ignore[attr-defined]
    clock.advance(2)
    publish_http(rel_stack, body)
    assert rel_stack.gateway.events(CID).count("e") == 2  # type: ignore[attr-defined]


def test_schedule_before_now_is_refused(rel_stack: Stack, member: Any) -> None:
    at = "at(2026-01-05T09:59:59)"  # one second before the frozen clock
    assert NOW == 1_767_607_200
    status, reply = publish_http(
        rel_stack, {"event": "e", "channel": "c", "scheduleExpression": at}
    )
    assert (status, reply["error"]["code"]) == (400, "INVALID_SCHEDULE_EXPRESSION")
