"""Each function's IAM policy against the AWS operations its code was seen calling.

Needed = the actions recorded for the function (`iam_calls.json`, `make iam-record`) plus what
the platform does with the function's role: write its logs, and poll its event sources (an SQS
queue, a DynamoDB stream, an on-failure destination). Granted = the Allow statements of its
role's inline policies, with every `Fn::If` taken for the combination with every feature on,
plus the AWS managed policies SAM attaches (their actions are listed here; any other managed
policy is a finding). A missing action fails the first request that needs it; an extra one, a
wildcard action, `NotAction` or a `"*"` resource in an inline statement is a finding too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.deploy_check.references import Conditions, active_resources, select

LOGS = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
MANAGED = {
    "AWSLambdaBasicExecutionRole": LOGS,
    "AWSLambdaSQSQueueExecutionRole": LOGS
    | {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
    "AWSLambdaDynamoDBExecutionRole": LOGS
    | {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    },
}
SOURCE_NEEDS = {
    "sqs": MANAGED["AWSLambdaSQSQueueExecutionRole"] - LOGS,
    "dynamodb": MANAGED["AWSLambdaDynamoDBExecutionRole"] - LOGS,
}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _platform_needs(resources: dict[str, Any], function: str) -> set[str]:
    needs = set(LOGS)
    for mapping in resources.values():
        props = mapping.get("Properties") or {}
        if mapping["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        if props.get("FunctionName") != {"Ref": function}:
            continue
        source = json.dumps(props.get("EventSourceArn"))
        needs |= SOURCE_NEEDS["dynamodb" if "StreamArn" in source else "sqs"]
        if (props.get("DestinationConfig") or {}).get("OnFailure"):
            needs.add("sqs:SendMessage")
    return needs


def _granted(role: dict[str, Any], findings: list[str], place: str) -> set[str]:
    granted: set[str] = set()
    for arn in role["Properties"].get("ManagedPolicyArns", []):
        name = json.dumps(arn).rsplit("/", 1)[-1].strip('"}')
        if name not in MANAGED:
            findings.append(f"{place}: managed policy {name} is not a known one")
        granted |= MANAGED.get(name, set())
    for policy in role["Properties"].get("Policies", []):
        for statement in _listed(policy["PolicyDocument"]["Statement"]):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement:
                findings.append(f"{place}: NotAction in {policy['PolicyName']}")
            for action in _listed(statement.get("Action", [])):
                if "*" in action:
                    findings.append(f"{place}: wildcard action {action}")
                granted.add(action)
            if "*" in _listed(statement.get("Resource", [])):
                findings.append(f'{place}: Resource "*" in {policy["PolicyName"]}')
    return granted


def check(
    cfn: dict[str, Any], all_on: dict[str, str], folders: dict[str, str], recorded: dict[str, Any]
) -> list[str]:
    """`folders`: function logical id -> functions/<dir>; `recorded`: dir -> actions."""
    condition = Conditions(cfn, all_on)
    resources = {k: select(r, condition) for k, r in active_resources(cfn, condition).items()}
    findings: list[str] = []
    for logical_id, function in resources.items():
        if function["Type"] != "AWS::Lambda::Function":
            continue
        folder = folders.get(logical_id)
        if folder not in recorded:
            findings.append(
                f"{logical_id}: no recorded run of functions/{folder} (make iam-record)"
            )
            continue
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        granted = _granted(resources[role_id], findings, logical_id)
        needed = set(recorded[folder]) | _platform_needs(resources, logical_id)
        for action in sorted(needed - granted):
            findings.append(f"{logical_id}: calls {action}, which its policy does not grant")
        for action in sorted(granted - needed):
            if "*" not in action:
                findings.append(f"{logical_id}: grants {action}, which it never calls")
    return findings


def load_recorded(path: Path) -> dict[str, list[str]]:
    """The recorded actions plus `iam-supplement.yaml` beside them (paths not recorded)."""
    import yaml

    recorded: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
    supplement_path = Path(__file__).resolve().parent / "iam-supplement.yaml"
    supplement = yaml.safe_load(supplement_path.read_text(encoding="utf-8")) or {}
    for function, extra in supplement.items():
        if not str(extra.get("reason", "")).strip():
            raise ValueError(f"iam-supplement.yaml: {function} has no reason")
        recorded[function] = sorted(set(recorded.get(function, [])) | set(extra["actions"]))
    return recorded
