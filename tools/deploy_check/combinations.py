"""Parameter combinations: every value of every parameter a condition reads.

A parameter with `AllowedValues` takes each of them; a free-text one takes its default and one
non-default sample (`SAMPLES`: a custom domain, a certificate). `every_combination` is the full
product (the static reference check runs all of them); `covering` is a smaller set in which every
pair of values of two parameters occurs at least once, plus all-defaults (what moto creates).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

SAMPLES = {
    "WebSocketsCustomDomainNameParameter": "ws.example.com",
    "WebSocketsCustomDomainCertificateArnParameter": (
        "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    ),
}
REQUIRED_SAMPLES = {"SigningKey1EncodedParameter": "ZGVwbG95LWNoZWNr"}
Combination = dict[str, str]


def _referenced_parameters(node: Any, parameters: set[str]) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and value in parameters:
                yield str(value)
            else:
                yield from _referenced_parameters(value, parameters)
    elif isinstance(node, list):
        for item in node:
            yield from _referenced_parameters(item, parameters)


def switches(template: dict[str, Any]) -> dict[str, list[str]]:
    """Parameters that some condition reads -> the values to try."""
    parameters = template.get("Parameters") or {}
    read = sorted(set(_referenced_parameters(template.get("Conditions") or {}, set(parameters))))
    values: dict[str, list[str]] = {}
    for name in read:
        spec = parameters[name]
        default = str(spec.get("Default", ""))
        if spec.get("AllowedValues"):
            allowed = [str(v) for v in spec["AllowedValues"]]
            values[name] = [default] + [v for v in allowed if v != default]
        else:
            values[name] = [default, SAMPLES.get(name, f"{name}-sample")]
    return values


def base(template: dict[str, Any]) -> Combination:
    parameters = template.get("Parameters") or {}
    values = {n: str(s["Default"]) for n, s in parameters.items() if "Default" in s}
    return {**values, **REQUIRED_SAMPLES}


def _complete(template: dict[str, Any], chosen: Combination) -> Combination:
    combination = {**base(template), **chosen}
    domain = combination.get("WebSocketsCustomDomainNameParameter")
    if domain:  # rule CustomDomainNeedsCertificate
        cert = SAMPLES["WebSocketsCustomDomainCertificateArnParameter"]
        combination["WebSocketsCustomDomainCertificateArnParameter"] = cert
    return combination


def every_combination(template: dict[str, Any]) -> list[Combination]:
    values = switches(template)
    names = list(values)
    return [
        _complete(template, dict(zip(names, chosen, strict=True)))
        for chosen in itertools.product(*(values[n] for n in names))
    ]


def covering(template: dict[str, Any]) -> list[Combination]:
    """Greedy pairwise cover, all-defaults first."""
    values = switches(template)
    names = list(values)
    uncovered = {
        (a, va, b, vb)
        for a, b in itertools.combinations(names, 2)
        for va in values[a]
        for vb in values[b]
    }
    chosen: list[Combination] = [{n: values[n][0] for n in names}]
    everything = [
        dict(zip(names, vs, strict=True)) for vs in itertools.product(*(values[n] for n in names))
    ]

    def pairs(c: Combination) -> set[tuple[str, str, str, str]]:
        return {(a, c[a], b, c[b]) for a, b in itertools.combinations(names, 2)}

    uncovered -= pairs(chosen[0])
    while uncovered:
        best = max(everything, key=lambda c: len(pairs(c) & uncovered))
        chosen.append(best)
        uncovered -= pairs(best)
    return [_complete(template, c) for c in chosen]
