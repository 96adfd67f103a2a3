"""The liveness cost model (bench/liveness.py): checks per beat and the per-beat price."""

from __future__ import annotations

from bench import liveness as lv
from bench.cost import Invocation, Usage


def figures(check_ms: float = 100.0) -> lv.Figures:
    def usage(wall_ms: float, sqs: int = 0, rru: float = 0.0) -> Usage:
        return Usage(invocations=[Invocation("liveness", 512, wall_ms)], sqs_units=sqs, rru=rru)

    return lv.Figures(
        check=usage(check_ms, sqs=30),
        keep_alive=usage(check_ms, sqs=30),
        sweep_idle=usage(5, rru=0.5),
        sweep=usage(1000, rru=6),
        get_cpu_ms=1.0,
        memory_mb=512,
    )


def test_one_check_per_deadline_whatever_the_beat_rate() -> None:
    assert lv.checks_per_beat(30, 60) == 0.5  # a check at +62 s finds two beats
    assert lv.checks_per_beat(55, 60) == 1.0
    assert lv.checks_per_beat(5, 10) == 0.5
    assert lv.checks_per_beat(600, 600) == 1.0


def test_enforced_beats_cost_api_gateway_plus_a_share_of_a_check() -> None:
    f = figures()
    assert lv.per_million_beats(f, 30, 60) < lv.per_million_beats(f, 55, 60)
    assert 1.0 < lv.per_million_beats(f, 55, 60) < 1.5


def test_sweep_month_grows_with_connections_from_a_small_idle_floor() -> None:
    f = figures()
    idle = lv.sweep_month(f, 0)
    assert 0 < idle < 5
    assert lv.sweep_month(f, 10_000) < lv.sweep_month(f, 100_000)
