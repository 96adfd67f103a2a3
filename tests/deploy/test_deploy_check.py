"""`make deploy-check` fails on purpose-broken copies of the template (issue #18).

Each copy breaks one thing a deployment would trip on; the check must name it. The checks run
in-process on the copy (the stages that catch the break), as `make deploy-check` runs them on
`template.yaml`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tools.deploy_check.__main__ import HERE, run

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "template.yaml").read_text(encoding="utf-8")


def check(tmp_path: Path, text: str, stages: str) -> list[str]:
    copy = tmp_path / "template.yaml"
    copy.write_text(text, encoding="utf-8")
    args = argparse.Namespace(
        template=str(copy), stages=stages, checkov="", recorded=str(HERE / "iam_calls.json")
    )
    return run(args)


def broken(old: str, new: str) -> str:
    assert TEMPLATE.count(old) == 1, f"the template no longer holds {old!r}"
    return TEMPLATE.replace(old, new)


def test_the_real_template_passes_references_and_iam(tmp_path: Path) -> None:
    assert check(tmp_path, TEMPLATE, "references,iam") == []


def test_a_dangling_ref_fails(tmp_path: Path) -> None:
    text = broken("        TABLE_NAME: !Ref Table\n", "        TABLE_NAME: !Ref Tabel\n")
    findings = check(tmp_path, text, "references")
    assert findings
    assert all("Ref Tabel does not exist in this deployment" in f for f in findings)


def test_a_ref_to_a_resource_switched_off_fails_in_that_combination(tmp_path: Path) -> None:
    # the topic exists only with SNS pub/sub on: an unconditional reference breaks the others
    text = broken(
        '        PUBSUB_SNS_TOPIC_ARN: !If [SnsEnabled, !Ref PubSubTopic, ""]\n',
        "        PUBSUB_SNS_TOPIC_ARN: !Ref PubSubTopic\n",
    )
    findings = check(tmp_path, text, "references")
    assert findings
    assert all("PublishEventsToSNS=disabled" in f for f in findings)


def test_a_missing_iam_action_fails(tmp_path: Path) -> None:
    text = broken(
        "                - ssm:PutParameter\n                - ssm:DeleteParameters\n",
        "                - ssm:PutParameter\n",
    )
    findings = check(tmp_path, text, "iam")
    assert findings == [
        "iam: HttpApiSecretKeysFunction: calls ssm:DeleteParameters, "
        "which its policy does not grant"
    ]


@pytest.mark.parametrize("action", ["ssm:*", "ssm:PutParameter*"])
def test_an_extra_wildcard_action_fails(tmp_path: Path, action: str) -> None:
    text = broken(
        "                - ssm:PutParameter\n                - ssm:DeleteParameters\n",
        f"                - ssm:PutParameter\n                - ssm:DeleteParameters\n"
        f"                - {action}\n",
    )
    findings = check(tmp_path, text, "iam")
    assert f"iam: HttpApiSecretKeysFunction: wildcard action {action}" in findings


def test_an_action_the_code_never_calls_fails(tmp_path: Path) -> None:
    text = broken(
        "                - ssm:PutParameter\n                - ssm:DeleteParameters\n",
        "                - ssm:PutParameter\n                - ssm:DeleteParameters\n"
        "                - ssm:GetParameter\n",
    )
    findings = check(tmp_path, text, "iam")
    assert findings == [
        "iam: HttpApiSecretKeysFunction: grants ssm:GetParameter, which it never calls"
    ]
