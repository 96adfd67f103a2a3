"""Static check of the transformed template under one parameter combination.

Conditions are evaluated with the combination's values; inactive resources and outputs drop
out; `Fn::If` takes its branch. Every `Ref`, `Fn::GetAtt`, `Fn::Sub` variable, `DependsOn`,
condition name and literal `Fn::FindInMap` path left must then name something that exists in
that deployment: a parameter, a pseudo parameter or an active resource. (cfn-lint checks the
attribute names and types; this checks what only the combination decides.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

PSEUDO = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


class Conditions:
    def __init__(self, template: dict[str, Any], values: dict[str, str]) -> None:
        self._definitions = template.get("Conditions") or {}
        self._values = values
        self._mappings = template.get("Mappings") or {}
        self.missing: list[str] = []

    def __call__(self, name: str) -> bool:
        if name not in self._definitions:
            self.missing.append(name)
            return False
        return bool(self._eval(self._definitions[name]))

    def _eval(self, node: Any) -> Any:
        if not isinstance(node, dict) or len(node) != 1:
            return node
        ((key, value),) = node.items()
        if key == "Ref":
            return self._values.get(value, value)
        if key == "Condition":
            return self(value)
        if key == "Fn::Equals":
            left, right = (str(self._eval(v)) for v in value)
            return left == right
        if key == "Fn::Not":
            return not self._eval(value[0])
        if key == "Fn::And":
            return all(self._eval(v) for v in value)
        if key == "Fn::Or":
            return any(self._eval(v) for v in value)
        if key == "Fn::FindInMap":
            name, top, second = (str(self._eval(v)) for v in value)
            return self._mappings[name][top][second]
        return node


def active_resources(template: dict[str, Any], condition: Conditions) -> dict[str, Any]:
    return {
        logical_id: resource
        for logical_id, resource in (template.get("Resources") or {}).items()
        if "Condition" not in resource or condition(resource["Condition"])
    }


def active_outputs(template: dict[str, Any], condition: Conditions) -> dict[str, Any]:
    return {
        name: output
        for name, output in (template.get("Outputs") or {}).items()
        if "Condition" not in output or condition(output["Condition"])
    }


NO_VALUE = {"Ref": "AWS::NoValue"}


def select(node: Any, condition: Conditions) -> Any:
    """`node` with every `Fn::If` replaced by its branch for this combination, and what that
    leaves as `AWS::NoValue` removed (a list item or a property), as CloudFormation does."""
    if isinstance(node, list):
        items = [select(item, condition) for item in node]
        return [item for item in items if item != NO_VALUE]
    if not isinstance(node, dict):
        return node
    if len(node) == 1 and "Fn::If" in node:
        name, when_true, when_false = node["Fn::If"]
        return select(when_true if condition(name) else when_false, condition)
    chosen = {key: select(value, condition) for key, value in node.items()}
    return {key: value for key, value in chosen.items() if value != NO_VALUE}


def references(node: Any) -> Iterator[tuple[str, str]]:
    """(kind, logical id) of each Ref / GetAtt / Sub variable in `node` (branches selected)."""
    if isinstance(node, list):
        for item in node:
            yield from references(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "Ref":
            yield "Ref", str(value)
        elif key == "Fn::GetAtt":
            target = value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
            yield "GetAtt", str(target)
        elif key == "Fn::Sub":
            text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
            for name in _SUB_VARIABLE.findall(str(text)):
                if name not in variables:
                    yield "Sub", name if name.startswith("AWS::") else name.split(".", 1)[0]
            yield from references(variables)
        else:
            yield from references(value)


def check(template: dict[str, Any], values: dict[str, str]) -> list[str]:
    """Findings for one combination (empty when everything resolves)."""
    condition = Conditions(template, values)
    resources = active_resources(template, condition)
    outputs = active_outputs(template, condition)
    known = set(template.get("Parameters") or {}) | PSEUDO | set(resources)
    findings = []
    places: list[tuple[str, Any]] = [(f"Resources.{k}", r) for k, r in resources.items()]
    places += [(f"Outputs.{k}", o) for k, o in outputs.items()]
    for place, node in places:
        chosen = select({k: v for k, v in node.items() if k != "Condition"}, condition)
        for kind, target in references(chosen):
            if target not in known:
                findings.append(f"{place}: {kind} {target} does not exist in this deployment")
        depends = node.get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            if target not in resources:
                findings.append(f"{place}: DependsOn {target} does not exist in this deployment")
    findings += [f"Conditions: unknown condition {name}" for name in sorted(set(condition.missing))]
    return findings
