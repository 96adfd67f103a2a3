"""Intrinsic functions, evaluated for the local world (one region, one account, one port).

`Resolver.resolve(node)` turns `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::If`, ... into
plain values, using `naming.py` for what a resource's `Ref`/attributes are locally. Anything
it cannot evaluate raises `UnsupportedTemplateError` (the template stays the source of truth,
so the local stack fails loudly rather than guessing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tools.local import naming

NO_VALUE: Any = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
_SUB_NAMES = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


class UnsupportedTemplateError(ValueError):
    """The template uses something the local stack cannot play."""


@dataclass(frozen=True)
class LocalWorld:
    port: int
    region: str = "us-east-1"
    account: str = "123456789012"
    stack_name: str = "opensock-local"
    api_id: str = "localws0001"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pseudo(self, name: str) -> Any:
        values = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account}:stack/"
            f"{self.stack_name}/00000000-0000-0000-0000-000000000000",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name not in values:
            raise UnsupportedTemplateError(f"unsupported pseudo parameter {name}")
        return values[name]


class Resolver:
    def __init__(
        self,
        world: LocalWorld,
        resources: Mapping[str, dict[str, Any]],
        parameters: Mapping[str, str],
        conditions: Mapping[str, Any],
    ) -> None:
        self.world = world
        self.resources = resources
        self.parameters = parameters
        self._conditions = conditions
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self.ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::Not": lambda v: not self._truth(v[0]),
            "Fn::And": lambda v: all(self._truth(x) for x in v),
            "Fn::Or": lambda v: any(self._truth(x) for x in v),
            "Condition": self.condition,
        }

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.resolve(x) for x in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key in self._functions:
                return self._functions[key](value)
            if key.startswith("Fn::"):
                raise UnsupportedTemplateError(f"unsupported intrinsic {key}")
        resolved = {k: self.resolve(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            raise UnsupportedTemplateError(f"unknown condition {name}")
        return self._truth(self._conditions[name])

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.world.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        return naming.ref(self, name, self._resource(name))

    def get_att(self, logical_id: str, attribute: str) -> str:
        return naming.get_att(self, logical_id, self._resource(logical_id), attribute)

    def _resource(self, logical_id: str) -> dict[str, Any]:
        if logical_id not in self.resources:
            raise UnsupportedTemplateError(f"reference to unknown or inactive {logical_id}")
        return self.resources[logical_id]

    def _truth(self, node: Any) -> bool:
        value = self.resolve(node)
        if isinstance(value, bool):
            return value
        return str(value).lower() == "true"

    def _get_att(self, value: Any) -> str:
        logical_id, attribute = value if isinstance(value, list) else value.split(".", 1)
        return self.get_att(str(logical_id), str(self.resolve(attribute)))

    def _sub(self, value: Any) -> str:
        text, variables = (value, {}) if isinstance(value, str) else value
        local = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(*name.split(".", 1))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    def _join(self, value: list[Any]) -> str:
        separator, parts = value
        return str(separator).join(str(p) for p in self.resolve(parts))

    def _select(self, value: list[Any]) -> Any:
        return self.resolve(value[1])[int(self.resolve(value[0]))]

    def _split(self, value: list[Any]) -> list[str]:
        return str(self.resolve(value[1])).split(str(value[0]))

    def _if(self, value: list[Any]) -> Any:
        name, when_true, when_false = value
        return self.resolve(when_true if self.condition(name) else when_false)

    def _equals(self, value: list[Any]) -> bool:
        left, right = (self.resolve(v) for v in value)
        return str(left) == str(right)


def referenced_ids(node: Any) -> set[str]:
    """Logical ids named by Ref / GetAtt / Sub variables anywhere in `node`."""
    if isinstance(node, list):
        return set().union(*(referenced_ids(x) for x in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    if "Ref" in node and len(node) == 1:
        return {str(node["Ref"])}
    if "Fn::GetAtt" in node and len(node) == 1:
        value = node["Fn::GetAtt"]
        return {str(value[0] if isinstance(value, list) else value.split(".")[0])}
    if "Fn::Sub" in node and len(node) == 1:
        value = node["Fn::Sub"]
        text, variables = (value, {}) if isinstance(value, str) else value
        return (set(_SUB_NAMES.findall(text)) - set(variables)) | referenced_ids(variables)
    return set().union(*(referenced_ids(v) for v in node.values())) if node else set()
