"""`template.yaml` as the local stack sees it: functions, their code, layers and environment.

`load_local_template(path, world)` reads the template with `tools/cfn_yaml.py`, applies
`Globals`, evaluates conditions with local parameter values (pub/sub switches on), and returns
a `LocalTemplate`. The wiring (routes, Function URLs, event sources) is read by `wiring.py`.
Anything the local stack cannot play raises `UnsupportedTemplateError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.cfn_yaml import load_template
from tools.local.intrinsics import (
    LocalWorld,
    Resolver,
    UnsupportedTemplateError,
    referenced_ids,
)
from tools.local.naming import FUNCTION_TYPES

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"
_PUBSUB_SWITCH = re.compile(r"(sns|eventbridge|pubsub|publishevents)", re.IGNORECASE)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: float
    memory: int
    environment: dict[str, str]
    wired_env: frozenset[str]
    """Variables whose template value names a resource (not overridable from the shell)."""
    layer_paths: tuple[Path, ...]
    deployed_name: str


@dataclass
class LocalTemplate:
    path: Path
    world: LocalWorld
    resolver: Resolver
    resources: dict[str, dict[str, Any]]
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    raw_outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, *kinds: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] in kinds}

    def function(self, logical_id: str) -> FunctionSpec:
        if logical_id not in self.functions:
            raise UnsupportedTemplateError(f"{logical_id} is not a function of {self.path}")
        return self.functions[logical_id]


def local_parameters(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Template defaults, pub/sub switches `enabled`, then explicit overrides."""
    values: dict[str, str] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        allowed = [str(v) for v in spec.get("AllowedValues") or []]
        if "enabled" in allowed and _PUBSUB_SWITCH.search(name):
            values[name] = "enabled"
        else:
            values[name] = str(spec.get("Default", ""))
    values.update(overrides or {})
    return values


def load_local_template(
    path: Path = DEFAULT_TEMPLATE,
    world: LocalWorld | None = None,
    parameters: Mapping[str, str] | None = None,
) -> LocalTemplate:
    raw = load_template(path)
    world = world or LocalWorld(port=8787)
    all_resources = _with_implicit_resources(raw.get("Resources") or {})
    params = local_parameters(raw, parameters)
    conditions = raw.get("Conditions") or {}
    probe = Resolver(world, all_resources, params, conditions)
    active = {
        k: r
        for k, r in all_resources.items()
        if "Condition" not in r or probe.condition(r["Condition"])
    }
    resolver = Resolver(world, active, params, conditions)
    template = LocalTemplate(path.resolve(), world, resolver, active)
    template.raw_outputs = {
        k: o
        for k, o in (raw.get("Outputs") or {}).items()
        if "Condition" not in o or resolver.condition(o["Condition"])
    }
    globals_ = (raw.get("Globals") or {}).get("Function") or {}
    for logical_id, resource in template.of_type(*FUNCTION_TYPES).items():
        template.functions[logical_id] = _function(template, logical_id, resource, globals_)
    return template


def _with_implicit_resources(resources: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """SAM's generated `<Fn>Url` resources, so `!GetAtt PublishFunctionUrl.FunctionUrl` works."""
    expanded = dict(resources)
    for logical_id, resource in resources.items():
        url_config = (resource.get("Properties") or {}).get("FunctionUrlConfig")
        if resource.get("Type") == "AWS::Serverless::Function" and url_config:
            properties = {"TargetFunctionArn": {"Ref": logical_id}, **url_config}
            expanded[f"{logical_id}Url"] = {"Type": "AWS::Lambda::Url", "Properties": properties}
            if "Condition" in resource:
                expanded[f"{logical_id}Url"]["Condition"] = resource["Condition"]
    return expanded


def merge_globals(globals_: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(globals_)
    for key, value in properties.items():
        base = merged.get(key)
        if isinstance(base, list) and isinstance(value, list):
            merged[key] = base + value
        elif isinstance(base, dict) and isinstance(value, dict):
            merged[key] = merge_globals(base, value)
        else:
            merged[key] = value
    return merged


def _function(
    template: LocalTemplate, logical_id: str, resource: dict[str, Any], globals_: Mapping[str, Any]
) -> FunctionSpec:
    is_sam = resource["Type"] == "AWS::Serverless::Function"
    props = merge_globals(globals_ if is_sam else {}, resource.get("Properties") or {})
    resolve = template.resolver.resolve
    runtime = str(resolve(props.get("Runtime", "")))
    code_uri = resolve(props.get("CodeUri"))
    if not runtime.startswith("python") or not isinstance(code_uri, str):
        raise UnsupportedTemplateError(f"{logical_id}: only python functions with a CodeUri path")
    raw_variables = (props.get("Environment") or {}).get("Variables") or {}
    variables = resolve(raw_variables)
    wired = {k for k, v in raw_variables.items() if referenced_ids(v) & set(template.resources)}
    return FunctionSpec(
        logical_id=logical_id,
        code_dir=(template.path.parent / code_uri).resolve(),
        handler=str(resolve(props.get("Handler", "app.lambda_handler"))),
        timeout=float(resolve(props.get("Timeout", 3))),
        memory=int(resolve(props.get("MemorySize", 128))),
        environment={str(k): "" if v is None else str(v) for k, v in variables.items()},
        wired_env=frozenset(wired),
        layer_paths=tuple(_layer_paths(template, props.get("Layers") or [])),
        deployed_name=str(resolve(props.get("FunctionName", logical_id))),
    )


def _layer_paths(template: LocalTemplate, layers: list[Any]) -> list[Path]:
    """Code layers join `sys.path` as `<ContentUri>/python`; dependency layers (a BuildMethod)
    and external layer ARNs are the project venv's job."""
    paths = []
    for layer in layers:
        logical_id = layer.get("Ref") if isinstance(layer, dict) else None
        resource = template.resources.get(str(logical_id)) if logical_id else None
        if resource is None or (resource.get("Metadata") or {}).get("BuildMethod"):
            continue
        content = template.resolver.resolve((resource.get("Properties") or {}).get("ContentUri"))
        if not isinstance(content, str):
            raise UnsupportedTemplateError(f"layer {logical_id}: ContentUri must be a path")
        paths.append((template.path.parent / content / "python").resolve())
    return paths
