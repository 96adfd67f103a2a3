"""Flaky tests: run pytest N times, then name each test that failed in any run (`make flake`).

    python -m tools.flake --runs 5 [-- PYTEST ARGS...]

Each run writes a JUnit XML report into a fresh directory (kept, with each run's output, and
printed at the end). A test counts as failed in a run when its report has a `<failure>` or an
`<error>` (a broken fixture); a run that leaves no report, or whose exit code the report does not
explain (pytest could not start, collected nothing, or was interrupted), counts as a broken
run. Exits 1 if anything failed in any run, 0 otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Run:
    number: int
    exit_code: int
    tests: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    reported: bool = True

    @property
    def broken(self) -> bool:
        """pytest did not run the tests, or failed in a way the report does not name."""
        if not self.reported or self.exit_code not in (0, 1):
            return True
        return self.exit_code == 1 and not self.failed


def node_id(case: ET.Element) -> str:
    """pytest's node id from a JUnit `<testcase>` (xunit1: it carries `file`)."""
    classname, name = case.get("classname", ""), case.get("name", "")
    path = case.get("file", "")
    module = path.removesuffix(".py").replace("/", ".")
    if path and (classname == module or classname.startswith(module + ".")):
        return "::".join([path, *filter(None, classname[len(module) + 1 :].split(".")), name])
    return f"{classname}::{name}"


def read_report(report: Path) -> tuple[set[str], set[str]]:
    """(every test, the failed ones) in one JUnit XML report."""
    tests: set[str] = set()
    failed: set[str] = set()
    for case in ET.parse(report).getroot().iter("testcase"):
        test = node_id(case)
        tests.add(test)
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(test)
    return tests, failed


def run_once(number: int, pytest_args: list[str], directory: Path) -> Run:
    report = directory / f"run-{number}.xml"
    command = [
        *(sys.executable, "-m", "pytest", f"--junitxml={report}"),
        *("-o", "junit_family=xunit1", *pytest_args),
    ]
    with (directory / f"run-{number}.log").open("w") as log:
        exit_code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode
    if not report.exists():
        return Run(number, exit_code, reported=False)
    tests, failed = read_report(report)
    return Run(number, exit_code, tests, failed)


def summary(runs: list[Run]) -> tuple[list[str], bool]:
    """The closing lines, and whether anything failed."""
    failures = Counter(test for run in runs for test in run.failed)
    broken = [run for run in runs if run.broken]
    tests = set().union(*(run.tests for run in runs))
    lines = [f"flake: {len(tests)} tests, {len(runs)} runs"]
    lines += [f"flake: run {r.number}: pytest exited {r.exit_code}, see its log" for r in broken]
    if failures:
        lines.append(f"flake: {len(failures)} tests failed in at least one run:")
        for test, count in sorted(failures.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {test}  failed in {count} of {len(runs)} runs")
    else:
        lines.append("flake: no test failed")
    return lines, bool(failures or broken)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.flake", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="how many times (default 5)")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed on to pytest")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    directory = Path(tempfile.mkdtemp(prefix="opensock-flake-"))
    runs = []
    for number in range(1, args.runs + 1):
        run = run_once(number, args.pytest_args, directory)
        counts = f"{len(run.tests)} tests, {len(run.failed)} failed, pytest exit {run.exit_code}"
        print(f"flake: run {number}/{args.runs}: {counts}", flush=True)
        runs.append(run)
    lines, failed = summary(runs)
    print("\n".join([*lines, f"flake: reports and output in {directory}"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
