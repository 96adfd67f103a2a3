"""What the bench reads from `template.yaml`: each function's MemorySize and the log settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def function_memory() -> dict[str, int]:
    """functions/<dir> → MemorySize in MB (the Globals value unless the function overrides)."""
    from tools.cfn_yaml import load_template

    template = load_template(ROOT / "template.yaml")
    default = int(template.get("Globals", {}).get("Function", {}).get("MemorySize", 128))
    memory = {}
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties", {})
        folder = str(properties.get("CodeUri", "")).strip("/").split("/")[-1]
        memory[folder] = int(properties.get("MemorySize", default))
    return memory


PLATFORM_LOG_BYTES = 300
"""START, END and REPORT lines Lambda writes per invocation when system logs are at INFO."""


@lru_cache(maxsize=1)
def platform_log_bytes() -> int:
    """Bytes of Lambda platform lines per invocation: none when `SystemLogLevel` is WARN+."""
    from tools.cfn_yaml import load_template

    template = load_template(ROOT / "template.yaml")
    globals_ = template.get("Globals", {}).get("Function", {})
    level = _resolved(template, globals_.get("LoggingConfig", {}).get("SystemLogLevel", "INFO"))
    return 0 if str(level).upper() in {"WARN", "ERROR", "FATAL"} else PLATFORM_LOG_BYTES


def _resolved(template: dict[str, Any], value: Any) -> Any:
    """A `!Ref` to a parameter is that parameter's default (what `sam deploy` gives it)."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        parameter = template.get("Parameters", {}).get(value["Ref"], {})
        return parameter.get("Default", "INFO")
    return value


def memory_of(function: str) -> int:
    return function_memory().get(function, 512)


def function_dirs() -> list[str]:
    return sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
