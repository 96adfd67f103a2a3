"""The handlers' environment: the template's variables resolved for the local world.

Handlers read settings from `os.environ` once per container, and every function of the template
shares the Globals environment, so the local stack sets one merged environment for the process
(per-function differences are reported as conflicts). On top of the template: the local
defaults (signing key 1, publish API key, each overridable from the shell under its deployed
name), function names mapped to logical ids, execute-api URLs pointed at the local gateway,
and the AWS SDK's `AWS_ENDPOINT_URL_LAMBDA` seam pointed at the local Invoke API.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from tools.local.naming import function_arn
from tools.local.template import LocalTemplate

LOCAL_SIGNING_SECRET = "opensock-local-dev-secret-0123456789abcdef"
LOCAL_API_KEY = "opensock-local-dev-api-key-0123456789abc"
SIGNING_DEFAULTS = {
    "SIGNING_KEY_1_METHOD": "HS256",
    "SIGNING_KEY_1_ID": "",
    "SIGNING_KEY_1_ENCODED": base64.b64encode(LOCAL_SIGNING_SECRET.encode()).decode(),
}
_ALWAYS_OVERRIDABLE = re.compile(
    r"^(SIGNING_KEY_\d_\w+|TOKEN_\w+|PUBLISH_API_KEYS|POWERTOOLS_\w+)$"
)
_ARN_FUNCTION = re.compile(r"^arn:aws[\w-]*:lambda:[^:]*:\d*:function:([^:]+)(?::[^:]+)?$")


@dataclass
class HandlerEnvironment:
    variables: dict[str, str]
    conflicts: dict[str, set[str]] = field(default_factory=dict)


def function_aliases(template: LocalTemplate) -> dict[str, str]:
    """Every name a function answers to (logical id, deployed FunctionName) -> logical id."""
    aliases = {}
    for logical_id, spec in template.functions.items():
        aliases[logical_id] = logical_id
        aliases[spec.deployed_name] = logical_id
    return aliases


def resolve_function(aliases: Mapping[str, str], name_or_arn: str) -> str | None:
    """`PublishFunction`, `opensock-publish`, or an ARN (qualified or not) -> logical id."""
    match = _ARN_FUNCTION.match(name_or_arn)
    return aliases.get(match.group(1) if match else name_or_arn)


def handler_environment(
    template: LocalTemplate, overrides: Mapping[str, str] | None = None, stage: str = "v1"
) -> HandlerEnvironment:
    merged: dict[str, str] = {}
    conflicts: dict[str, set[str]] = {}
    wired: set[str] = set()
    for spec in template.functions.values():
        wired |= spec.wired_env
        for name, value in spec.environment.items():
            if name in merged and merged[name] != value:
                conflicts.setdefault(name, {merged[name]}).add(value)
            merged.setdefault(name, value)
    localized = {k: _localize(template, v) for k, v in merged.items()}
    if "WEBSOCKET_CALLBACK_URL" in localized:
        localized["WEBSOCKET_CALLBACK_URL"] = f"{template.world.http_url}/{stage}"
    if not localized.get("SIGNING_KEY_1_ENCODED"):
        localized.update(SIGNING_DEFAULTS)
    if not localized.get("PUBLISH_API_KEYS"):
        localized["PUBLISH_API_KEYS"] = LOCAL_API_KEY
    for name, value in (overrides or {}).items():
        if name not in wired and (name in localized or _ALWAYS_OVERRIDABLE.match(name)):
            localized[name] = value
    localized.update(sdk_environment(template))
    return HandlerEnvironment(localized, conflicts)


def sdk_environment(template: LocalTemplate) -> dict[str, str]:
    world = template.world
    return {
        "AWS_REGION": world.region,
        "AWS_DEFAULT_REGION": world.region,
        "AWS_ENDPOINT_URL_LAMBDA": world.http_url,
    }


def _localize(template: LocalTemplate, value: str) -> str:
    world = template.world
    host = f"{world.api_id}.execute-api.{world.region}.amazonaws.com"
    value = value.replace(f"https://{host}", world.http_url)
    value = value.replace(f"wss://{host}", f"ws://127.0.0.1:{world.port}")
    aliases = function_aliases(template)
    match = _ARN_FUNCTION.match(value)
    if match and match.group(1) in aliases:
        return function_arn(template.resolver, aliases[match.group(1)])
    if value in aliases and value not in template.functions:
        return aliases[value]
    return value
