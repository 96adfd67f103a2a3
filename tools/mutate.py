"""`make mutate`: mutation testing (mutmut) of the token and permission rules and of the
storage write path, against the unit tests that exercise them (docs/reliability.md).

mutmut names a mutant after the module path it sees from the file path, while the tests
import the layer as `opensock` (pytest's `pythonpath`). So the run happens in a scratch copy,
`.mutate/`, where `opensock/` sits at the top: the same code, tests and pytest settings, with
`pythonpath = ["."]`. The run is bounded (`MUTATE_TIMEOUT`, 570 s by default) and ends with a
summary and every surviving mutant's diff in `.mutate/survivors.txt`. Not part of `make test`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutate"
LAYER = ROOT / "layers" / "shared" / "python" / "opensock"
MUTATED = [
    "opensock/domain/auth/*",
    "opensock/app/storage_writes.py",
    "opensock/domain/storage_values.py",
    "opensock/domain/storage_model.py",
]
TESTS = [
    "tests/unit/domain/auth",
    "tests/unit/app/test_storage_writes.py",
    "tests/unit/domain/test_storage_values.py",
]
COPIED = ["tests", "functions", "events", "template.yaml"]
SHOW = """import sys
from mutmut.__main__ import show
for name in sys.argv[1:]:
    show.callback(name)
"""


def _pyproject() -> str:
    """The project's pytest settings with the layer at the top, plus mutmut's settings."""
    text = (ROOT / "pyproject.toml").read_text()
    start = text.index("[tool.pytest.ini_options]")
    end = text.index("\n[", start + 1)
    pytest_section = re.sub(r"pythonpath = \[[^\]]*\]", 'pythonpath = ["."]', text[start:end])
    only = ", ".join(json.dumps(path) for path in MUTATED)
    tests = ", ".join(json.dumps(path) for path in TESTS)
    return (
        f'{pytest_section}\n\n[tool.mutmut]\nsource_paths = ["opensock/"]\n'
        f"only_mutate = [{only}]\n"
        f"pytest_add_cli_args_test_selection = [{tests}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x"]\n'
    )


def prepare() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    shutil.copytree(LAYER, WORK / "opensock", ignore=ignore)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, WORK / name, ignore=ignore)
        else:
            shutil.copy2(source, WORK / name)
    (WORK / "pyproject.toml").write_text(_pyproject())


def mutmut(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        command, cwd=WORK, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def report() -> int:
    mutmut("export-cicd-stats")
    stats = json.loads((WORK / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = [
        line.split(":")[0].strip()
        for line in mutmut("results").stdout.splitlines()
        if line.strip().endswith(": survived")
    ]
    # One process for every diff (`mutmut show` per survivor costs a start-up each).
    shown = subprocess.run(
        [sys.executable, "-c", SHOW, *survivors],
        cwd=WORK,
        capture_output=True,
        text=True,
        check=False,
    )
    (WORK / "survivors.txt").write_text(shown.stdout)
    print(json.dumps(stats, indent=2))
    print(f"{len(survivors)} surviving mutants; diffs in {WORK / 'survivors.txt'}")
    for name in survivors:
        print(f"  survived: {name}")
    return 0


def main() -> int:
    prepare()
    limit = float(os.environ.get("MUTATE_TIMEOUT", "570"))
    try:
        run = mutmut("run", "--max-children", os.environ.get("MUTATE_CHILDREN", "2"), timeout=limit)
    except subprocess.TimeoutExpired:
        print(f"mutmut stopped after {limit:.0f} s; reporting what ran", file=sys.stderr)
    else:
        if run.returncode != 0:
            print(run.stdout[-4000:], run.stderr[-4000:], sep="\n", file=sys.stderr)
            return run.returncode
    return report()


if __name__ == "__main__":
    sys.exit(main())
