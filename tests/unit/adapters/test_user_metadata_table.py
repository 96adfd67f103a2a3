"""umd writes: transaction batching and how cancellation reasons become errors."""

from __future__ import annotations

import pytest

from opensock.adapters.dynamodb.user_metadata_table import Write, _batches, _cancellation
from opensock.domain.user_metadata_plan import SubscriptionGoneError
from opensock.errors import ConflictError, PresenceCapacityReachedError


def group(channel: str, *kinds: str) -> list[Write]:
    return [Write(channel, kind, {}) for kind in kinds]


def test_batches_keep_channels_whole_within_100_items() -> None:
    groups = [group(f"presence.{i}", "subscription", "member", "meta") for i in range(40)]
    batches = _batches(groups)
    assert [len(batch) for batch in batches] == [99, 21]
    assert batches[0][-1].channel == "presence.32" and batches[1][0].channel == "presence.33"
    assert _batches([]) == []


@pytest.mark.parametrize(
    ("reasons", "error", "channel"),
    [
        (["None", "None", "None", "ConditionalCheckFailed"], PresenceCapacityReachedError, "b"),
        (["ConditionalCheckFailed", "None", "None", "None"], SubscriptionGoneError, "a"),
        (["None", "None", "ConditionalCheckFailed", "ConditionalCheckFailed"], ConflictError, None),
        (["None", "None", "ConditionalCheckFailed", "None"], ConflictError, None),
        (["None", "None", "TransactionConflict", "None"], ConflictError, None),
    ],
)
def test_cancellation_reasons(
    reasons: list[str], error: type[Exception], channel: str | None
) -> None:
    batch = group("a", "subscription") + group("b", "subscription", "member", "meta")
    found = _cancellation(batch, reasons)
    assert type(found) is error
    assert found.channel == channel
