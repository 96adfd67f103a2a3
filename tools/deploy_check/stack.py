"""Create the transformed stack in moto's CloudFormation, for one parameter combination.

Then check what a deployment would find: the stack reaches CREATE_COMPLETE; every output that
exists in the combination resolves (blank only where the template says `Fn::If … ""`); every
custom resource, played by running its own handler in-process against moto, answers SUCCESS
with every attribute the template reads from it; and each function's environment names
resources that exist (a table, queue, topic, bus, role, function, parameters under a path), or
stand-ins for active resources of the types moto cannot create (`standins.py`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from tools.deploy_check.references import Conditions, active_resources, references, select
from tools.deploy_check.standins import StandIns
from tools.deploy_check.transform import CODE_BUCKET

REGION = "us-east-1"
STACK = "opensock"
_PROP_OUTPUT = "DeployCheckProperty{}{}"
_LIST_SEPARATOR = "|deploy-check|"

# Environment variable (by name) -> what must exist for its value.
ENV_RULES: tuple[tuple[str, str], ...] = (
    (r"TABLE_NAME$", "table"),
    (r"QUEUE_URL$", "queue"),
    (r"TOPIC_ARN$", "topic"),
    (r"EVENT_BUS_NAME$", "bus"),
    (r"ROLE_ARN$", "role"),
    (r"FUNCTION_(NAME|ARN)$", "function"),
    (r"SCHEDULE_GROUP_NAME$", "schedule group"),
    (r"CALLBACK_URL$", "websocket api"),
    (r"PARAMETER_PATH$", "parameters"),
    (r"^POWERTOOLS_SERVICE_NAME$", "label"),  # the stack's name as a metrics dimension
)


@dataclass
class StackReport:
    findings: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    played: list[str] = field(default_factory=list)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _upload_code(template: dict[str, Any]) -> None:
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=CODE_BUCKET)
    body = _zip()
    for resource in template["Resources"].values():
        props = resource.get("Properties") or {}
        code = props.get("Code") or props.get("Content") or {}
        if code.get("S3Bucket") == CODE_BUCKET:
            s3.put_object(Bucket=CODE_BUCKET, Key=code["S3Key"], Body=body)


def _custom_resources(template: dict[str, Any], condition: Conditions) -> dict[str, Any]:
    return {
        k: r
        for k, r in active_resources(template, condition).items()
        if r["Type"].startswith("Custom::") or r["Type"] == "AWS::CloudFormation::CustomResource"
    }


def _property_outputs(customs: dict[str, Any]) -> dict[str, Any]:
    """Outputs that make moto resolve each custom resource's properties for us."""
    outputs = {}
    for logical_id, resource in customs.items():
        for name, value in (resource.get("Properties") or {}).items():
            if isinstance(value, list):
                value = {"Fn::Join": [_LIST_SEPARATOR, value]}
            elif not isinstance(value, dict):
                value = str(value)
            outputs[_PROP_OUTPUT.format(logical_id, name)] = {"Value": value}
    return outputs


class _ResponseUrl:
    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        answers = self.answers

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                answers.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cfn-response"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update({k: str(v) for k, v in variables.items()})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _load_handler(code_dir: Path) -> Any:
    name = f"_deploy_check_{code_dir.name}"
    spec = importlib.util.spec_from_file_location(name, code_dir / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


class _Context:
    aws_request_id = "deploy-check"
    function_version = "$LATEST"
    memory_limit_in_mb = 128

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _play(
    logical_id: str,
    resource: dict[str, Any],
    properties: dict[str, Any],
    code_dirs: dict[str, Path],
    attributes: set[str],
) -> list[str]:
    """Run the custom resource's own handler for a Create, as CloudFormation would."""
    import boto3

    from opensock.config import get_settings
    from opensock.wiring import get_app

    token = resource["Properties"]["ServiceToken"]
    function = token.get("Fn::GetAtt", [None])[0] if isinstance(token, dict) else None
    if function not in code_dirs:
        return [f"{logical_id}: cannot play: its ServiceToken is not one of our functions"]
    name = properties["ServiceToken"].rsplit(":", 1)[-1]
    config = boto3.client("lambda", region_name=REGION).get_function(FunctionName=name)
    variables = config["Configuration"].get("Environment", {}).get("Variables", {})
    url = _ResponseUrl()
    event = {
        "RequestType": "Create",
        "ResponseURL": url.url,
        "StackId": f"arn:aws:cloudformation:{REGION}:123456789012:stack/{STACK}/deploy-check",
        "RequestId": "deploy-check",
        "LogicalResourceId": logical_id,
        "ResourceType": resource["Type"],
        "ResourceProperties": properties,
    }
    try:
        with _environment({**variables, "AWS_DEFAULT_REGION": REGION}):
            get_settings.cache_clear()
            get_app.cache_clear()
            _load_handler(code_dirs[function])(event, _Context(name))
    finally:
        url.close()
        get_settings.cache_clear()
        get_app.cache_clear()
    if [a["Status"] for a in url.answers] != ["SUCCESS"]:
        return [f"{logical_id}: custom resource answered {url.answers!r}"]
    missing = attributes - set(url.answers[0].get("Data") or {})
    return [f"{logical_id}: the template reads {sorted(missing)} it does not return"] * bool(
        missing
    )


def _custom_attributes(template: dict[str, Any], logical_id: str) -> set[str]:
    text = json.dumps(template)
    found = set(re.findall(rf'"Fn::GetAtt": \["{logical_id}", "([^"]+)"\]', text))
    return found | set(re.findall(rf"\$\{{{logical_id}\.([A-Za-z0-9.]+)\}}", text))


def _probe(kind: str, value: str) -> None:
    """Raises ClientError (or says what is missing) unless `value` names a `kind` in moto."""
    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, region_name=REGION)

    probes = {
        "table": lambda: client("dynamodb").describe_table(TableName=value),
        "queue": lambda: client("sqs").get_queue_attributes(QueueUrl=value),
        "topic": lambda: client("sns").get_topic_attributes(TopicArn=value),
        "bus": lambda: client("events").describe_event_bus(Name=value),
        "role": lambda: client("iam").get_role(RoleName=value.rsplit("/", 1)[-1]),
        "function": lambda: client("lambda").get_function(
            FunctionName=value.split(":function:", 1)[-1].split(":", 1)[0]
        ),
        "parameters": lambda: client("ssm").get_parameters_by_path(Path=value, Recursive=True)[
            "Parameters"
        ][0],
    }
    if kind not in probes:
        raise LookupError(f"no moto check for a {kind}")
    probes[kind]()


def _exists(kind: str, value: str, stand_ins: StandIns, active: set[str]) -> str | None:
    """None when `value` names an existing resource of `kind`, else the problem."""
    from botocore.exceptions import ClientError

    for literal, logical_id in stand_ins.values.items():
        if literal in value:  # a type moto cannot create: the static check proved it active
            return None if logical_id in active else f"stand-in for inactive {logical_id}"
    if kind == "label":
        return None
    try:
        _probe(kind, value)
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    except IndexError:
        return "nothing there"
    except LookupError as exc:
        return str(exc)
    return None


def _check_environments(
    cfn: dict[str, Any], condition: Conditions, stand_ins: StandIns, report: StackReport
) -> None:
    import boto3

    resources = active_resources(cfn, condition)
    lam = boto3.client("lambda", region_name=REGION)
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        template_env = select(
            ((resource["Properties"].get("Environment") or {}).get("Variables") or {}), condition
        )
        name = f"{STACK}-{logical_id}"
        functions = lam.list_functions()["Functions"]
        for function in functions:
            if function["FunctionName"] == _resolved_name(resource, logical_id):
                name = function["FunctionName"]
        env = lam.get_function(FunctionName=name)["Configuration"]["Environment"]["Variables"]
        for variable, value in env.items():
            rule = next((k for pattern, k in ENV_RULES if re.search(pattern, variable)), None)
            targets = {target for _, target in references(template_env.get(variable))}
            names_resource = bool(targets & (set(cfn["Resources"]) | {"AWS::StackName"}))
            if rule is None:
                if names_resource:
                    report.findings.append(f"{logical_id}.{variable}: no rule says what to check")
                continue
            if str(value) == "" and not names_resource:
                continue  # the feature is off in this combination
            problem = _exists(rule, str(value), stand_ins, set(resources))
            if problem:
                report.findings.append(f"{logical_id}.{variable}={value!r}: {rule}: {problem}")


def _resolved_name(resource: dict[str, Any], logical_id: str) -> str:
    name = (resource.get("Properties") or {}).get("FunctionName")
    if isinstance(name, dict) and "Fn::Sub" in name and isinstance(name["Fn::Sub"], str):
        return name["Fn::Sub"].replace("${AWS::StackName}", STACK)
    return str(name or logical_id)


def _patch_moto_gaps() -> None:
    """moto 5.2.5 resolves `Ref` of an `AWS::Events::EventBus` to its model object (it has no
    `physical_resource_id`); CloudFormation returns the bus name."""
    from moto.events.models import EventBus

    if not hasattr(EventBus, "physical_resource_id"):
        EventBus.physical_resource_id = property(lambda bus: bus.name)


def create(cfn: dict[str, Any], values: dict[str, str], code_dirs: dict[str, Path]) -> StackReport:
    import boto3
    from moto import mock_aws

    _patch_moto_gaps()

    report = StackReport()
    condition = Conditions(cfn, values)
    stand_ins = StandIns(cfn, REGION)
    customs = _custom_resources(cfn, condition)
    moto_template = stand_ins.for_moto(cfn, condition)
    moto_template["Outputs"] = {**moto_template["Outputs"], **_property_outputs(customs)}
    with mock_aws():
        _upload_code(cfn)
        client = boto3.client("cloudformation", region_name=REGION)
        try:
            client.create_stack(
                StackName=STACK,
                TemplateBody=json.dumps(moto_template),
                Parameters=[
                    {"ParameterKey": k, "ParameterValue": v}
                    for k, v in values.items()
                    if k in (cfn.get("Parameters") or {})
                ],
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            )
            stack = client.describe_stacks(StackName=STACK)["Stacks"][0]
        except Exception as exc:  # moto raises what it cannot resolve as it goes
            report.findings.append(
                f"stack: moto could not create it: {type(exc).__name__}: {str(exc)[:500]}"
            )
            return report
        if stack["StackStatus"] != "CREATE_COMPLETE":
            report.findings.append(
                f"stack: {stack['StackStatus']} {stack.get('StackStatusReason')}"
            )
            return report
        resolved = {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])}
        for logical_id, resource in customs.items():
            properties = {
                name: _unpack(resolved.pop(_PROP_OUTPUT.format(logical_id, name), None), value)
                for name, value in (resource.get("Properties") or {}).items()
            }
            attributes = _custom_attributes(cfn, logical_id)
            report.findings += _play(logical_id, resource, properties, code_dirs, attributes)
            report.played.append(logical_id)
        report.outputs = resolved
        _check_outputs(cfn, condition, resolved, report)
        _check_environments(cfn, condition, stand_ins, report)
    return report


def _unpack(resolved: str | None, template_value: Any) -> Any:
    if isinstance(template_value, list):
        return (resolved or "").split(_LIST_SEPARATOR)
    return resolved


def _check_outputs(
    cfn: dict[str, Any], condition: Conditions, resolved: dict[str, str | None], report: StackReport
) -> None:
    for name, output in (cfn.get("Outputs") or {}).items():
        if "Condition" in output and not condition(output["Condition"]):
            continue
        value = resolved.get(name)
        chosen = select(output["Value"], condition)
        if value is None:
            report.findings.append(f"Outputs.{name}: did not resolve")
        elif value == "" and chosen != "":
            report.findings.append(f"Outputs.{name}: blank, but the template gives it a value")
        elif "${" in value or "{'" in value or "Fn::" in value:
            report.findings.append(f"Outputs.{name}: unresolved: {value!r}")
