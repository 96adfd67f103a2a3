"""Delivery lanes: the choice at subscribe, and its balance as a channel grows, churns, shrinks."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from opensock.domain.lanes import (
    FLOOR,
    LANE_SIZE,
    Recipient,
    by_lane,
    choose_lane,
    lane_draw,
)


@pytest.mark.parametrize("count", [0, 1, 100, LANE_SIZE - 1])
@pytest.mark.parametrize("draw", [0.0, 0.5, 0.999999])
def test_a_small_channel_subscribes_into_the_inline_lane(count: int, draw: float) -> None:
    assert choose_lane(count, draw) == 0


@pytest.mark.parametrize("count", [LANE_SIZE, 1_000, 10_000, 123_457])
def test_a_larger_channel_draws_a_lane_in_the_window(count: int) -> None:
    span = count / (LANE_SIZE * (1 - FLOOR))
    lowest, highest = choose_lane(count, 0.0), choose_lane(count, 1 - 1e-12)
    assert (lowest, highest) == (math.floor(FLOOR * span), math.ceil(span) - 1)
    assert all(lowest <= choose_lane(count, n / 997) <= highest for n in range(997))


def test_the_draw_is_fixed_by_the_subscription_and_in_range() -> None:
    draws = [lane_draw("room", f"Conn{n}=") for n in range(2_000)]
    assert draws[7] == lane_draw("room", "Conn7=") != lane_draw("other", "Conn7=")
    assert all(0 <= d < 1 for d in draws) and 0.45 < sum(draws) / len(draws) < 0.55


class Channel:
    """A channel's subscriptions by lane, joined with `choose_lane`, left uniformly at random."""

    def __init__(self, seed: int = 3) -> None:
        self.random = random.Random(seed)
        self.lanes: list[int] = []

    def join(self, count: int = 1) -> None:
        for _ in range(count):
            self.lanes.append(choose_lane(len(self.lanes), self.random.random()))

    def leave(self, count: int = 1) -> None:
        for _ in range(count):
            at = self.random.randrange(len(self.lanes))
            self.lanes[at] = self.lanes[-1]
            self.lanes.pop()

    def churn(self, rounds: int) -> None:
        for _ in range(rounds):
            self.leave()
            self.join()

    @property
    def sizes(self) -> Counter[int]:
        return Counter(self.lanes)


def test_a_growing_channel_fills_lanes_to_about_the_lane_size() -> None:
    # GIVEN an empty channel WHEN 5,000 subscribe one after another
    channel = Channel()
    channel.join(5_000)
    # THEN no lane holds much more than 250, and the inline lane ≈ its first 250
    sizes = channel.sizes
    assert max(sizes.values()) <= 1.25 * LANE_SIZE
    assert LANE_SIZE <= sizes[0] <= 1.25 * LANE_SIZE


def test_churn_at_a_steady_size_keeps_lanes_near_the_lane_size() -> None:
    # GIVEN 2,000 subscriptions WHEN each is replaced three times (connections last ≤ 2 h)
    channel = Channel()
    channel.join(2_000)
    channel.churn(6_000)
    # THEN the lanes in use hold ≈ 250 each, and the low lanes below the window drain
    sizes = channel.sizes
    full = [size for size in sizes.values() if size >= LANE_SIZE / 4]
    assert max(sizes.values()) <= 1.25 * LANE_SIZE
    assert len(full) <= math.ceil(2_000 / LANE_SIZE) + 2
    assert sizes[0] < LANE_SIZE / 10


def test_a_shrinking_channel_refills_its_remaining_lanes() -> None:
    # GIVEN 3,000 subscriptions of which 2,400 leave
    channel = Channel()
    channel.join(3_000)
    channel.leave(2_400)
    # WHEN the remaining 600 churn three times over
    channel.churn(1_800)
    # THEN the newcomers filled a few low lanes instead of spreading over the old ones
    sizes = channel.sizes
    busy = [lane for lane, size in sizes.items() if size >= LANE_SIZE / 4]
    assert max(busy) <= math.ceil(600 / (LANE_SIZE * (1 - FLOOR)))
    assert max(sizes.values()) <= 1.25 * LANE_SIZE


def test_by_lane_keeps_stored_lanes_and_places_older_items_by_the_former_rule() -> None:
    recipients = [Recipient("A", 0), Recipient("B", 7), Recipient("C", 7), Recipient("D")]
    lanes = by_lane(recipients, size=2)
    assert lanes[7] == ["B", "C"] and "A" in lanes[0]
    # D had no stored lane: crc32("D") % ceil(4 / 2) == 0
    assert lanes[0] == ["A", "D"]
    assert sorted(cid for ids in lanes.values() for cid in ids) == ["A", "B", "C", "D"]
