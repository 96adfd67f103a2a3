"""CloudFormation YAML: load `template.yaml` with its short tags turned into the long JSON forms.

`!Ref X` becomes `{"Ref": "X"}`, `!GetAtt A.B` becomes `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s`
becomes `{"Fn::Sub": s}` and so on, exactly as CloudFormation reads them. The tests and the
local stack share this loader, so both see the template the way AWS does (no `!`-stripping).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# Tags whose long form is `{"Fn::<Name>": <value as written>}`.
_FN_TAGS = (
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
)


def _value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _fn(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {name: _value(loader, node)}

    return construct


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _value(loader, node)
    if isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


def _loader_class() -> Any:
    """A private SafeLoader subclass, so the global `yaml.SafeLoader` is never modified."""
    loader: Any = type("CfnLoader", (yaml.SafeLoader,), {})
    loader.add_constructor("!Ref", _fn("Ref"))
    loader.add_constructor("!Condition", _fn("Condition"))
    loader.add_constructor("!GetAtt", _get_att)
    for tag in _FN_TAGS:
        loader.add_constructor(f"!{tag}", _fn(f"Fn::{tag}"))
    return loader


CfnLoader = _loader_class()


def loads_template(text: str) -> dict[str, Any]:
    """Parse CloudFormation YAML text into plain dicts/lists with long-form intrinsics."""
    document = yaml.load(text, Loader=CfnLoader)  # a SafeLoader subclass: no arbitrary objects
    if not isinstance(document, dict):
        raise ValueError("a CloudFormation template must be a mapping")
    return document


def load_template(path: str | Path) -> dict[str, Any]:
    """Load a CloudFormation/SAM template file (e.g. `template.yaml`)."""
    return loads_template(Path(path).read_text(encoding="utf-8"))
