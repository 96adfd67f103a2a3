"""`make deploy-check`: rehearse a deployment of `template.yaml` without AWS.

1. transform  SAM -> CloudFormation with samtranslator (written to .deploy-check/template.json)
2. references every Ref/GetAtt/Sub/DependsOn resolves, in every parameter combination
3. stack      moto's CloudFormation creates it (a pairwise-covering set of combinations);
              outputs resolve, custom resources answer, environments name real resources
4. iam        each function's policy grants exactly what its code calls (iam_calls.json)
5. checkov    no finding outside checkov-skips.yaml

    python -m tools.deploy_check [--template PATH] [--stages a,b] [--checkov PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("transform", "references", "stack", "iam", "checkov")
HERE = Path(__file__).resolve().parent


def _folders(template: Path) -> dict[str, str]:
    from tools.cfn_yaml import load_template

    sam = load_template(template)
    return {
        logical_id: str(r["Properties"]["CodeUri"]).strip("/").rsplit("/", 1)[-1]
        for logical_id, r in sam["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function"
    }


def _all_on(cfn: dict[str, object]) -> dict[str, str]:
    from tools.deploy_check import combinations

    values = combinations.switches(cfn)  # type: ignore[arg-type]
    chosen = {n: ("enabled" if "enabled" in v else v[-1]) for n, v in values.items()}
    return combinations._complete(cfn, chosen)  # type: ignore[arg-type]


def run(args: argparse.Namespace) -> list[str]:
    from tools.deploy_check import checkov_scan, combinations, iam, references, stack
    from tools.deploy_check.standins import StandIns
    from tools.deploy_check.transform import transform

    stages = set(args.stages.split(",")) if args.stages else set(STAGES)
    template = Path(args.template).resolve()
    cfn = transform(template)
    out = ROOT / ".deploy-check"
    out.mkdir(exist_ok=True)
    (out / "template.json").write_text(json.dumps(cfn, indent=1), encoding="utf-8")
    print(f"transform: {len(cfn['Resources'])} CloudFormation resources")
    findings: list[str] = []
    if "references" in stages:
        every = combinations.every_combination(cfn)
        for values in every:
            found = references.check(cfn, values)
            findings += [f"{_label(values, cfn)}: {f}" for f in found]
        print(f"references: {len(every)} combinations of {sorted(combinations.switches(cfn))}")
    if "stack" in stages and not findings:
        folders = _folders(template)
        code_dirs = {k: ROOT / "functions" / d for k, d in folders.items()}
        standins = StandIns(cfn, stack.REGION)
        print(f"stack: moto cannot create {', '.join(standins.unsupported_types())}: stood in")
        for values in combinations.covering(cfn):
            started = time.monotonic()
            report = stack.create(cfn, values, code_dirs)
            findings += [f"{_label(values, cfn)}: {f}" for f in report.findings]
            took = time.monotonic() - started
            print(f"stack: {_label(values, cfn)}: {len(report.findings)} findings ({took:.1f} s)")
    if "iam" in stages:
        recorded = iam.load_recorded(Path(args.recorded))
        found = iam.check(cfn, _all_on(cfn), _folders(template), recorded)
        findings += [f"iam: {f}" for f in found]
        print(f"iam: {len(recorded)} recorded functions compared with their roles")
    if "checkov" in stages:
        found = checkov_scan.check(
            Path(args.checkov), out / "template.json", checkov_scan.load_skips()
        )
        findings += found
        print(f"checkov: {len(checkov_scan.load_skips())} documented skips")
    return findings


def _label(values: dict[str, str], cfn: dict[str, object]) -> str:
    from tools.deploy_check import combinations

    switches = combinations.switches(cfn)  # type: ignore[arg-type]
    short = [f"{n.removesuffix('Parameter')}={values[n] or '∅'}" for n in switches]
    return "[" + " ".join(short) + "]"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy_check")
    parser.add_argument("--template", default=str(ROOT / "template.yaml"))
    parser.add_argument("--stages", default="", help=f"comma list of {','.join(STAGES)}")
    parser.add_argument("--checkov", default=str(ROOT / ".venv-checkov" / "bin" / "checkov"))
    parser.add_argument("--recorded", default=str(HERE / "iam_calls.json"))
    args = parser.parse_args()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "deploy-check",
        "AWS_SECRET_ACCESS_KEY": "deploy-check",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    sys.path.insert(0, str(ROOT / "layers" / "shared" / "python"))
    logging.getLogger("moto").setLevel(logging.ERROR)
    logging.getLogger("opensock").setLevel(logging.WARNING)
    warnings.simplefilter("ignore")
    from tools.deploy_check.transform import DeployCheckError

    try:
        findings = run(args)
    except DeployCheckError as exc:
        findings = [str(exc)]
    for finding in findings:
        print(f"FAIL {finding}")
    print(f"deploy-check: {'FAILED' if findings else 'passed'} ({len(findings)} findings)")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
