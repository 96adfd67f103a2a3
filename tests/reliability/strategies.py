"""Hypothesis strategies for hostile input: frames, bodies, raw text and token parts.

Strings mix ordinary text with the values that break parsers: lone surrogates (JSON allows
`"\\ud800"`), NUL, separators, reserved prefixes, patterns, over-limit lengths, `at()`
expressions at the edges of the calendar and time zones that are directories.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

INTERESTING = (
    "",
    " ",
    "\t",
    "\x00",
    "\u2028",
    "\ud800",
    "\udfff",
    "\ud83d\ude00",
    "é",
    "room",
    "presence.lobby",
    "presence.",
    "chat",
    "hotsock.",
    "hotsock.subscribe",
    "hotsock.ping",
    "hotsock.pong",
    "hotsock.heartbeat",
    "hotsock.channelStorageSet",
    "hotsock.nope",
    "#",
    "#x",
    "*",
    "a*",
    "a,b",
    "#regex:(",
    "../..",
    "k",
    "a" * 128,
    "a" * 129,
    "a" * 256,
    "a" * 257,
    "at(2030-01-01T00:00:00)",
    "at(2026-01-05T10:30:00)",
    "at(0001-01-01T00:00:00)",
    "at(9999-12-31T23:59:59)",
    "at(2030-02-30T00:00:00)",
    "at(2030-01-01T00:00:00Z)",
    "rate(1 minute)",
    "UTC",
    "Asia/Tokyo",
    "America/New_York",
    "America",
    "Etc",
    "/etc/passwd",
    "null",
)

surrogates = st.characters(categories=["Cs"])
evil_text = st.one_of(
    st.sampled_from(INTERESTING),
    st.text(alphabet=st.one_of(st.characters(), surrogates), max_size=12),
)
scalars = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 1, 1.5, -0.0, 1e308, 3155695201, 2**53, 10**40]),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    evil_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(evil_text, inner, max_size=4),
    ),
    max_leaves=5,
)


def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes any other JSON scalar (wrong types)."""
    return st.one_of(good, good, scalars)


_text_field = field(evil_text)
FRAME_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "channel": field(st.sampled_from(["room", "presence.lobby", "other", "r"]) | evil_text),
    "data": st.one_of(json_values, st.fixed_dictionaries({}, optional={"token": _text_field})),
    "key": _text_field,
    "keys": field(st.lists(evil_text, max_size=4)),
    "after": _text_field,
    "token": _text_field,
    "store": field(st.sampled_from([-1, 0, 1, 60, 3155695200, 3155695201, -2, 1.5])),
    "scheduleExpression": _text_field,
    "scheduleExpressionTimezone": _text_field,
    "eagerIdGeneration": field(st.booleans()),
    "emitPubSubEvent": field(st.booleans()),
    "deduplicationId": _text_field,
}


def frames(events: st.SearchStrategy[Any], *names: str) -> st.SearchStrategy[Any]:
    """A frame object with any subset of the route's fields (all known fields when none are
    named), or any JSON value instead."""
    fields = {name: FRAME_FIELDS[name] for name in names} if names else FRAME_FIELDS
    obj = st.fixed_dictionaries({}, optional={"event": events, **fields})
    return st.one_of(obj, obj, obj, json_values)


def events_for(*names: str) -> st.SearchStrategy[Any]:
    return field(st.sampled_from(names) | evil_text)


def _mutate(text: str, cuts: list[tuple[int, str]]) -> str:
    for position, insert in cuts:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + 1 :]
    return text


raw_bodies = st.one_of(
    st.builds(json.dumps, frames(events_for("chat", "hotsock.ping"))),
    st.builds(
        _mutate,
        st.builds(json.dumps, frames(events_for("chat"))),
        st.lists(st.tuples(st.integers(0, 400), st.sampled_from(list('{}[]",:\\ u0'))), max_size=3),
    ),
    st.builds(lambda n, c: c * n, st.integers(1, 200_000), st.sampled_from(["[", "{", '{"a":'])),
    st.builds(
        lambda n: '{"event":"chat","channel":"room","data":"' + "x" * n + '"}',
        st.sampled_from([32 * 1024 - 40, 32 * 1024, 200 * 1024]),
    ),
    st.sampled_from(['"\\ud800"', '{"event":"\\udfff"}', "NaN", "1e999", "-0", "[]", "null", ""]),
    st.text(max_size=64),
)

token_headers = st.fixed_dictionaries(
    {},
    optional={
        "alg": field(st.sampled_from(["HS256", "RS256", "none", "ES256", "HS512"])),
        "typ": field(st.sampled_from(["JWT", "jwt"])),
        "kid": field(st.sampled_from(["rsa-1", ""])),
        "crit": json_values,
    },
)
claim_payloads = st.fixed_dictionaries(
    {},
    optional={
        "exp": field(st.sampled_from([1_767_607_800, 1_767_607_200, 10**40, 1.5])),
        "nbf": field(st.sampled_from([0, 1_867_607_200])),
        "iat": json_values,
        "scope": field(st.sampled_from(["connect", "subscribe", "umd", "connect subscribe"])),
        "aud": field(st.sampled_from(["opensock-reliability", ["opensock-reliability"]])),
        "iss": field(st.just("acme-app")),
        "uid": field(st.sampled_from(["u-rel", "x" * 129])),
        "umd": json_values,
        "connectionId": field(st.just("Rel1ConnAAAA=")),
        "channels": field(
            st.dictionaries(
                evil_text,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "subscribe": field(st.booleans()),
                        "alias": _text_field,
                        "autoSubscribe": field(st.booleans()),
                        "messages": field(st.dictionaries(evil_text, json_values, max_size=2)),
                        "storage": field(st.dictionaries(evil_text, json_values, max_size=2)),
                    },
                ),
                max_size=3,
            )
        ),
        "heartbeatTimeout": json_values,
        "keepAlive": json_values,
        "singleUse": field(st.booleans()),
        "jti": _text_field,
        "umdUpdate": json_values,
        "umdPropagate": json_values,
    },
)
