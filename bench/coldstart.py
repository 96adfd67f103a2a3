"""Cold start: each handler module's import time in a fresh interpreter, and package sizes.

Import time is measured in a new `python` process per run (3 runs, median) with the shared
layer on `sys.path` and the test environment set, the way Lambda's init phase imports the
handler; `-X importtime` of the slowest function names the heaviest modules. Sizes are those
of `sam build` output (`.aws-sam/build`) when it can run, else of the sources.
"""

from __future__ import annotations

import io
import os
import re
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.template import ROOT, function_dirs

RUNS = 3
PROBE = (
    "import sys, time, importlib; sys.path[:0] = [{root!r}, {layer!r}]; "
    "t = time.perf_counter(); importlib.import_module('functions.{fn}.app'); "
    "print((time.perf_counter() - t) * 1000)"
)


@dataclass
class ImportTime:
    function: str
    runs_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs_ms)


def _env() -> dict[str, str]:
    from tests.support.env import TEST_ENV

    return {**os.environ, **TEST_ENV, "PYTHONDONTWRITEBYTECODE": "0"}


def import_times(runs: int = RUNS) -> list[ImportTime]:
    layer = str(ROOT / "layers" / "shared" / "python")
    results = []
    for fn in function_dirs():
        code = PROBE.format(root=str(ROOT), layer=layer, fn=fn)
        samples = []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True
            )
            samples.append(float(out.stdout.strip().splitlines()[-1]))
        results.append(ImportTime(fn, samples))
    return results


def heaviest_imports(function: str, top: int = 8) -> list[tuple[str, float]]:
    """Import time (ms, `-X importtime` self times) summed by top-level package, largest first."""
    layer = str(ROOT / "layers" / "shared" / "python")
    code = f"import sys; sys.path[:0] = [{str(ROOT)!r}, {layer!r}]; import functions.{function}.app"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    by_package: dict[str, float] = {}
    seen_handler = False
    for line in out.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \| *(\S+)", line)
        if not match:
            continue
        package = match.group(2).split(".")[0]
        seen_handler = seen_handler or match.group(2).startswith("functions")
        by_package[package] = by_package.get(package, 0.0) + int(match.group(1)) / 1000
    for startup in ("site", "encodings", "_frozen_importlib_external", "zipimport", "io"):
        by_package.pop(startup, None)
    return sorted(by_package.items(), key=lambda row: -row[1])[:top]


@dataclass
class PackageSize:
    name: str
    files: int
    unzipped: int
    zipped: int


def _size(path: Path, name: str) -> PackageSize:
    buffer = io.BytesIO()
    files = unzipped = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            if "__pycache__" in file.parts:
                continue
            files += 1
            unzipped += file.stat().st_size
            archive.write(file, file.relative_to(path))
    return PackageSize(name, files, unzipped, len(buffer.getvalue()))


def sam_build(timeout: int = 420) -> tuple[bool, str]:
    """Run `make build` (sam build --parallel --cached) if the SAM venv exists."""
    sam = ROOT / ".venv-sam" / "bin" / "sam"
    if not sam.exists():
        return False, "no .venv-sam (run `make build` once to install SAM)"
    env = {**os.environ, "PYENV_VERSION": "3.11.7:3.12.1:3.13.0"}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [str(sam), "build", "--parallel", "--cached"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False, f"sam build timed out after {timeout} s"
    took = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return False, "sam build failed: " + " / ".join(tail)
    return True, f"sam build --parallel --cached took {took:.0f} s"


def package_sizes(built: bool) -> list[PackageSize]:
    build = ROOT / ".aws-sam" / "build"
    sizes = []
    for fn in function_dirs():
        folder = next(
            (
                p
                for p in build.glob("*Function")
                if built and (p / "app.py").exists() and _same(p, fn)
            ),
            ROOT / "functions" / fn,
        )
        sizes.append(_size(folder, f"function {fn}"))
    sizes.append(_size(ROOT / "layers" / "shared", "layer shared (source, no build step)"))
    deps = build / "DepsLayer"
    if built and deps.exists():
        sizes.append(_size(deps, "layer deps (sam build, arm64)"))
    return sizes


def _same(built: Path, fn: str) -> bool:
    source = ROOT / "functions" / fn / "app.py"
    return (built / "app.py").read_bytes() == source.read_bytes()
