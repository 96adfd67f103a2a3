"""SAM -> plain CloudFormation, offline, with the translator `sam` itself uses.

Local code paths (`CodeUri`, `ContentUri`) become placeholder S3 locations, as `sam validate`
does; nothing is uploaded. Managed policies are named by ARN in the template, so the policy
loader answers nothing.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from tools.cfn_yaml import load_template

CODE_BUCKET = "opensock-deploy-check"


class DeployCheckError(Exception):
    """A finding that fails the check (the message says what and where)."""


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def with_placeholder_code(sam: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(sam)
    for logical_id, resource in (template.get("Resources") or {}).items():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
                properties[key] = f"s3://{CODE_BUCKET}/{logical_id}.zip"
    return template


def transform(path: Path) -> dict[str, Any]:
    """Run `translate` in the SAM CLI's venv (samtranslator pins a pydantic the project's venv
    cannot share) and read its JSON back."""
    import json
    import subprocess

    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [str(root / ".venv-sam" / "bin" / "python"), "-m", "tools.deploy_check.transform",
         str(path)],
        capture_output=True, text=True, cwd=root, check=False,
        env={**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")},
    )  # fmt: skip
    if run.returncode != 0:
        raise DeployCheckError(f"transform: {run.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def translate(path: Path) -> dict[str, Any]:
    from samtranslator.public.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform as sam_transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    sam = with_placeholder_code(load_template(path))
    try:
        result: dict[str, Any] = sam_transform(sam, {}, _NoManagedPolicies())
    except InvalidDocumentException as exc:
        causes = "; ".join(str(cause.message) for cause in exc.causes)
        raise DeployCheckError(f"transform: {causes}") from exc
    return result


if __name__ == "__main__":
    import json
    import sys

    try:
        print(json.dumps(translate(Path(sys.argv[1]))))
    except DeployCheckError as exc:
        raise SystemExit(str(exc)) from exc
