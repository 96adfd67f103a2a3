"""checkov over the transformed template, with the documented skip list.

checkov runs from its own venv (`.venv-checkov`: its pins clash with the project's) with no
skips, as JSON; each failed check must then be in `checkov-skips.yaml` with a reason (for every
resource, or for the ones listed). A skip that no longer matches any finding is a finding too,
so the list only holds what is still true.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SKIPS = HERE / "checkov-skips.yaml"


def load_skips(path: Path = SKIPS) -> dict[str, dict[str, Any]]:
    skips: dict[str, dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for check_id, skip in skips.items():
        if not str(skip.get("reason", "")).strip():
            raise ValueError(f"{path.name}: {check_id} has no reason")
    return skips


def failed_checks(checkov: Path, template: Path) -> list[tuple[str, str, str]]:
    """(check id, resource, check name) of every failed check."""
    run = subprocess.run(
        [str(checkov), "--quiet", "--compact", "--framework", "cloudformation", "-o", "json",
         "--skip-download", "-f", str(template)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed to run: {run.stderr[-2000:]}")
    report = json.loads(run.stdout)
    reports = report if isinstance(report, list) else [report]
    return [
        (c["check_id"], c["resource"].split(".", 1)[-1], c["check_name"])
        for r in reports
        for c in (r.get("results") or {}).get("failed_checks", [])
    ]


def check(checkov: Path, template: Path, skips: dict[str, dict[str, Any]]) -> list[str]:
    findings = []
    used: set[str] = set()
    for check_id, resource, name in failed_checks(checkov, template):
        skip = skips.get(check_id)
        if skip and (not skip.get("resources") or resource in skip["resources"]):
            used.add(check_id)
            continue
        findings.append(f"checkov {check_id} on {resource}: {name}")
    for check_id in sorted(set(skips) - used):
        findings.append(f"checkov-skips.yaml: {check_id} matches no finding any more: remove it")
    return findings
