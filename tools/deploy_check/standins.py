"""Stand-ins for the resource types moto's CloudFormation cannot create.

moto has no CloudFormation model for some types (API Gateway v2, Lambda URLs, Scheduler groups,
`AWS::Lambda::EventInvokeConfig`) and creates custom resources only by running their Lambda in
Docker. Before the stack goes to moto, each such resource is removed, and every `Ref`,
`Fn::GetAtt` and `${…}` naming it is replaced by a literal that looks like the real value
(`stand_in`). The static reference check has already proved that each of those names an active
resource in the combination; `unsupported_types` lists what was stood in for.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from tools.deploy_check.references import (
    Conditions,
    active_outputs,
    active_resources,
    select,
)

STANDIN = "standin"
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def moto_can_create(resource_type: str) -> bool:
    if (
        resource_type.startswith("Custom::")
        or resource_type == "AWS::CloudFormation::CustomResource"
    ):
        return False  # moto runs the custom resource's Lambda in Docker
    from moto.cloudformation.parsing import resource_class_from_type

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return resource_class_from_type(resource_type) is not None


def stand_in(logical_id: str, resource: dict[str, Any], attribute: str | None, region: str) -> str:
    kind = resource["Type"]
    props = resource.get("Properties") or {}
    slug = f"{STANDIN}{logical_id.lower()}"[:20]
    if kind == "AWS::ApiGatewayV2::Stage" and attribute is None:
        return str(props.get("StageName", "v1"))
    if kind == "AWS::ApiGatewayV2::DomainName":
        if attribute == "RegionalDomainName":
            return f"d-{slug}.execute-api.{region}.amazonaws.com"
        if attribute == "RegionalHostedZoneId":
            return "Z1STANDIN0000"
    if kind == "AWS::Lambda::Url" and attribute == "FunctionUrl":
        return f"https://{slug}.lambda-url.{region}.on.aws/"
    if kind == "AWS::Scheduler::ScheduleGroup":
        name = f"{STANDIN}-{logical_id}"
        if attribute == "Arn":
            return f"arn:aws:scheduler:{region}:123456789012:schedule-group/{name}"
        return name
    if attribute is None:
        return slug
    return f"{slug}-{attribute.lower()}"


class StandIns:
    def __init__(self, template: dict[str, Any], region: str) -> None:
        self.resources = template.get("Resources") or {}
        self.region = region
        self.replaced = {k for k, r in self.resources.items() if not moto_can_create(r["Type"])}
        self.values: dict[str, str] = {}
        """stand-in literal -> logical id it stands for"""

    def unsupported_types(self) -> list[str]:
        return sorted({self.resources[k]["Type"] for k in self.replaced})

    def _value(self, logical_id: str, attribute: str | None) -> str:
        value = stand_in(logical_id, self.resources[logical_id], attribute, self.region)
        self.values[value] = logical_id
        return value

    def rewrite(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref" and value in self.replaced:
                return self._value(value, None)
            if key == "Fn::GetAtt":
                target, attribute = value if isinstance(value, list) else value.split(".", 1)
                if target in self.replaced:
                    return self._value(target, str(attribute))
            if key == "Fn::Sub":
                return {"Fn::Sub": self._sub(value)}
        return {key: self.rewrite(value) for key, value in node.items()}

    def _sub(self, value: Any) -> Any:
        text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            target, _, attribute = name.partition(".")
            if name in variables or target not in self.replaced:
                return match.group(0)
            return self._value(target, attribute or None)

        text = _SUB_VARIABLE.sub(replace, text)
        return text if isinstance(value, str) else [text, self.rewrite(variables)]

    def for_moto(self, template: dict[str, Any], condition: Conditions) -> dict[str, Any]:
        """The template without the replaced resources, their names stood in for, and the
        combination's `Fn::If` branches already taken (moto keeps `AWS::NoValue` list items)."""
        active = active_resources(template, condition)
        kept = {k: r for k, r in active.items() if k not in self.replaced}
        resources = {}
        for logical_id, resource in kept.items():
            resource = {k: v for k, v in resource.items() if k != "Condition"}
            rewritten = self.rewrite(select(resource, condition))
            depends = rewritten.get("DependsOn")
            if depends is not None:
                depends = [depends] if isinstance(depends, str) else depends
                depends = [d for d in depends if d not in self.replaced]
                rewritten["DependsOn"] = depends
                if not depends:
                    del rewritten["DependsOn"]
            _name_fifo_queue(logical_id, rewritten)
            resources[logical_id] = rewritten
        return {
            **{k: v for k, v in template.items() if k not in ("Resources", "Outputs", "Rules")},
            "Resources": resources,
            "Outputs": self.rewrite(select(active_outputs(template, condition), condition)),
        }


def _name_fifo_queue(logical_id: str, resource: dict[str, Any]) -> None:
    """moto names an unnamed FIFO queue without the `.fifo` CloudFormation adds, then refuses it."""
    props = resource.get("Properties") or {}
    if (
        resource["Type"] == "AWS::SQS::Queue"
        and props.get("FifoQueue")
        and "QueueName" not in props
    ):
        props["QueueName"] = f"{STANDIN}-{logical_id}.fifo"
