"""The large fan-out model of bench/poster.py (issue #17): pure arithmetic, no measurement."""

from __future__ import annotations

from bench.poster import HandlerCpu, model

CPU = HandlerCpu(publish_ms_per_recipient=0.01, lane_ms_per_recipient=0.06)
"""About what `handler_cpu` measures with the lanes run one after another (bench/findings.md)."""


def test_lanes_of_250_run_in_parallel_after_the_publish() -> None:
    row = model(10_000, "lean", 0.4, CPU)
    assert row.lanes == 40
    # one vCPU at 1,769 MB: the lane state read (F35), the posts' CPU, one post's latency
    assert row.lane_s == 250 * (0.4 + 0.06) / 1000 + 0.025 + 0.010
    assert row.last_post_s == row.publish_s + row.lane_s


def test_cheaper_posts_cost_less_and_arrive_sooner() -> None:
    boto3, lean = model(10_000, "boto3", 2.0, CPU), model(10_000, "lean", 0.4, CPU)
    assert lean.per_million_delivered < boto3.per_million_delivered
    assert lean.last_post_s < boto3.last_post_s
    assert 1.0 < lean.per_million_delivered < 1.03


def test_a_bigger_publish_function_shortens_its_cpu_bound_part() -> None:
    small = model(100_000, "lean", 0.4, CPU, planned=False)
    big = model(100_000, "lean", 0.4, CPU, 1769, planned=False)
    assert big.publish_s < small.publish_s


def test_above_the_plan_size_fanout_function_reads_the_channel_at_one_vcpu() -> None:
    planned = model(100_000, "lean", 0.4, CPU)
    read_by_publish = model(100_000, "lean", 0.4, CPU, planned=False)
    assert planned.last_post_s < 3.0 < read_by_publish.last_post_s
    assert abs(planned.per_million_delivered - read_by_publish.per_million_delivered) < 0.01
