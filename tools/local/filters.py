"""Lambda event filtering (`FilterCriteria`): does a record match any of the patterns?

The EventBridge-style pattern language Lambda uses: nested objects, lists of alternatives,
literals (incl. null), and `prefix`, `suffix`, `equals-ignore-case`, `anything-but`,
`exists` and `numeric` matchers. Unknown matchers raise rather than guess.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tools.local.intrinsics import UnsupportedTemplateError

_MISSING: Any = object()
_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def matches_any(patterns: Iterable[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """No patterns = everything passes (no FilterCriteria)."""
    patterns = list(patterns)
    return not patterns or any(matches(p, record) for p in patterns)


def matches(pattern: Mapping[str, Any], value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    for key, expected in pattern.items():
        actual = value.get(key, _MISSING)
        if isinstance(expected, Mapping):
            if actual is _MISSING or not matches(expected, actual):
                return False
        elif not _matches_list(expected, actual):
            return False
    return True


def _matches_list(alternatives: Any, actual: Any) -> bool:
    if not isinstance(alternatives, list):
        raise UnsupportedTemplateError(f"filter values must be lists, got {alternatives!r}")
    candidates = actual if isinstance(actual, list) else [actual]
    return any(_one(rule, c) for rule in alternatives for c in candidates)


def _one(rule: Any, actual: Any) -> bool:
    if not isinstance(rule, Mapping):
        return actual is not _MISSING and actual == rule
    ((name, argument),) = rule.items()
    if name == "exists":
        return (actual is not _MISSING) == bool(argument)
    if actual is _MISSING:
        return False
    return _matcher(name)(argument, actual)


def _matcher(name: str) -> Callable[[Any, Any], bool]:
    matchers: dict[str, Callable[[Any, Any], bool]] = {
        "prefix": lambda a, v: isinstance(v, str) and v.startswith(_text(a)),
        "suffix": lambda a, v: isinstance(v, str) and v.endswith(_text(a)),
        "equals-ignore-case": lambda a, v: isinstance(v, str) and v.lower() == str(a).lower(),
        "anything-but": _anything_but,
        "numeric": _numeric,
    }
    if name not in matchers:
        raise UnsupportedTemplateError(f"filter matcher {name!r} is not supported locally")
    return matchers[name]


def _text(argument: Any) -> str:
    if isinstance(argument, Mapping) and "equals-ignore-case" in argument:
        raise UnsupportedTemplateError("nested equals-ignore-case is not supported locally")
    return str(argument)


def _anything_but(argument: Any, actual: Any) -> bool:
    if isinstance(argument, Mapping):
        return not _one(argument, actual)
    excluded = argument if isinstance(argument, list) else [argument]
    return actual not in excluded


def _numeric(argument: list[Any], actual: Any) -> bool:
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    pairs = zip(argument[::2], argument[1::2], strict=True)
    return all(_NUMERIC[op](float(actual), float(bound)) for op, bound in pairs)
