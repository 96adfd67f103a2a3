"""`python -m bench` (`make bench`): measure every operation, write docs/performance.md.

python -m bench            # everything (~10 min on 2 cores)
python -m bench --quick    # a fast subset (fan-out to 1,000, small matrices, no sam build)
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import coldstart, history, liveness, local_rtt, operations, poster, report, scale
from bench.meter import Meter
from bench.world import ROOT  # sets sys.path and the environment first

OUT = ROOT / "docs" / "performance.md"
FINDINGS = Path(__file__).with_name("findings.md")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "cpu model")):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import moto

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "?",
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "moto": moto.__version__,
        "os": platform.platform(),
    }


def run(args: argparse.Namespace) -> report.Results:
    started = time.perf_counter()
    meter = Meter()
    results = report.Results(machine(), "quick" if args.quick else "full")
    repeat = 2 if args.quick else 5

    log("operations (moto, instant management API)")
    results.operations = operations.run_all(meter, repeat)
    log("operations with SNS pub/sub enabled")
    results.operations_sns = operations.run_all(meter, 1, sns_pubsub=True)
    log("liveness: heartbeat checks, keep-alive frames, the ghost sweep")
    results.liveness = liveness.measure(meter)

    sizes = (1, 100, 1000) if args.quick else (1, 100, 1000, 10_000)
    for n in sizes:
        log(f"fan-out to {n:,} subscribers (25 ms per post)")
        results.fanout.append(scale.fanout(meter, n))

    log("lean poster vs boto3; fan-out 10,000 and 100,000 modelled; one slow connection")
    results.poster = poster.measure(meter)

    for n in (1, 100):
        log(f"stored fan-out to {n} (store: 86400, 25 ms per post)")
        results.stored_fanout.append(history.stored_fanout(meter, n))
    log("history: listMessages, reactions, resume")
    results.history = history.rows(meter)

    key_counts = (1, 100) if args.quick else (1, 100, 1000)
    observer_counts = (1,) if args.quick else (1, 1000)
    for keys in key_counts:
        for observers in observer_counts:
            log(f"storage: {keys} keys, {observers} observers")
            results.storage += scale.storage_matrix(meter, keys, observers)

    for k in (1, 10) if args.quick else (1, 10, 50):
        log(f"umdUpdate propagated to {k}")
        results.umd.append(scale.umd_propagation(meter, k))

    log("cold start: handler imports in fresh processes")
    results.imports = coldstart.import_times(1 if args.quick else coldstart.RUNS)
    slowest = sorted(results.imports, key=lambda t: -t.median_ms)[:2]
    for fn in {t.function for t in slowest} | {"default", "publish"}:
        results.heavy_imports[fn] = coldstart.heaviest_imports(fn)
    built = False
    if args.quick or args.no_build:
        results.build_note = (
            "sam build skipped (--quick/--no-build); sizes of the existing build or sources"
        )
        built = (ROOT / ".aws-sam" / "build" / "DepsLayer").exists()
    else:
        log("sam build (arm64, --cached)")
        built, results.build_note = coldstart.sam_build()
    results.sizes = coldstart.package_sizes(built)

    if args.no_local:
        results.local_note = "skipped (--no-local)"
    else:
        log("local stack round trip")
        counts, publishes = ((1, 10), 10) if args.quick else ((1, 10, 50), 30)
        try:
            results.local = local_rtt.measure(counts, publishes)
        except Exception as exc:  # the local stack is another feature's; report, don't fail
            results.local_note = f"local stack not usable: {type(exc).__name__}: {exc}"
    results.findings = FINDINGS.read_text() if FINDINGS.exists() else ""
    results.seconds = time.perf_counter() - started
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a fast subset")
    parser.add_argument("--no-build", action="store_true", help="do not run sam build")
    parser.add_argument("--no-local", action="store_true", help="skip the local stack round trip")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the report")
    parser.add_argument(
        "--only-history", action="store_true", help="print only the issue #14 rows (no report)"
    )
    args = parser.parse_args(argv)
    from bench.document import render

    if args.only_history:
        meter = Meter()
        results = report.Results(machine(), "history only")
        for n in (1, 100):
            results.fanout.append(scale.fanout(meter, n))
            results.stored_fanout.append(history.stored_fanout(meter, n))
        results.history = history.rows(meter)
        print(report.targets(results)[0] + "\n\n" + report.history_section(results))
        return
    results = run(args)
    text = render(results)
    args.out.write_text(text)
    print(text)
    log(f"wrote {args.out} in {results.seconds:.0f} s")


if __name__ == "__main__":
    main()
