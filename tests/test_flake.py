"""`make flake` (tools/flake.py): JUnit reports of several runs -> the tests that ever failed."""

from __future__ import annotations

from pathlib import Path

from tools.flake import Run, read_report, summary

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="5">
  <testcase classname="tests.local.test_gateway" name="test_ok" file="tests/local/test_gateway.py"/>
  <testcase classname="tests.local.test_gateway" name="test_bad" file="tests/local/test_gateway.py">
    <failure message="assert 1 == 2">...</failure></testcase>
  <testcase classname="tests.test_x.TestGroup" name="test_p[2]" file="tests/test_x.py">
    <error message="fixture failed">...</error></testcase>
  <testcase classname="tests.test_x" name="test_skipped" file="tests/test_x.py">
    <skipped message="later"/></testcase>
  <testcase classname="tests.test_y" name="test_no_file"><failure/></testcase>
</testsuite></testsuites>
"""


def test_a_report_gives_node_ids_and_counts_failures_and_errors(tmp_path: Path) -> None:
    report = tmp_path / "run-1.xml"
    report.write_text(REPORT)
    tests, failed = read_report(report)
    assert len(tests) == 5
    assert failed == {
        "tests/local/test_gateway.py::test_bad",
        "tests/test_x.py::TestGroup::test_p[2]",
        "tests.test_y::test_no_file",
    }


def test_the_summary_counts_runs_per_failed_test_and_flags_broken_runs() -> None:
    runs = [
        Run(1, 1, {"a", "b", "c"}, {"a", "b"}),
        Run(2, 1, {"a", "b", "c"}, {"a"}),
        Run(3, 0, {"a", "b", "c"}),
    ]
    lines, failed = summary(runs)
    assert failed
    assert lines[1:] == [
        "flake: 2 tests failed in at least one run:",
        "  a  failed in 2 of 3 runs",
        "  b  failed in 1 of 3 runs",
    ]
    assert summary([Run(1, 0, {"a"}), Run(2, 0, {"a"})]) == (
        ["flake: 1 tests, 2 runs", "flake: no test failed"],
        False,
    )
    # a run that could not collect (exit 4), or failed without naming a test, is broken
    for broken in (Run(1, 4, reported=False), Run(1, 4), Run(1, 1, {"a"})):
        lines, failed = summary([broken])
        assert failed
        assert f"pytest exited {broken.exit_code}" in lines[1]
