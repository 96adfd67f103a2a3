"""Use-case calls in the order the tests read best: the connection first, the stack last."""

from __future__ import annotations

from typing import Any

from opensock.domain.frames import Frame
from opensock.domain.model import Connection, Origin, Subscription
from tests.support.stack import Stack


def subscribe(
    connection: Connection, channel: str, stack: Stack, **options: Any
) -> Subscription | None:
    return stack.app.subscriptions.subscribe(connection, channel, **options)


def unsubscribe(connection_id: str, channel: str, stack: Stack) -> Frame:
    return stack.app.subscriptions.unsubscribe(connection_id, channel)


def client_publish(
    connection: Connection, body: Any, origin: Origin, stack: Stack, *, http: bool = False
) -> Any:
    if http:
        return stack.app.publishing.publish(connection, body, origin)
    return stack.app.publishing.publish_from_socket(connection.connection_id, body, origin)
