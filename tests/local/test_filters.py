"""Lambda FilterCriteria patterns, the subset the templates use and a little more."""

from __future__ import annotations

from typing import Any

import pytest

from tools.local.filters import matches, matches_any
from tools.local.intrinsics import UnsupportedTemplateError

RECORD = {
    "eventName": "REMOVE",
    "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    "dynamodb": {"OldImage": {"pk": {"S": "conn#abc"}, "n": {"N": "5"}}, "SizeBytes": 10},
    "tags": ["a", "b"],
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["REMOVE"]}, True),
        ({"eventName": ["INSERT", "MODIFY"]}, False),
        ({"userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}, True),
        ({"userIdentity": {"type": ["User"]}}, False),
        ({"dynamodb": {"OldImage": {"pk": {"S": [{"prefix": "conn#"}]}}}}, True),
        ({"dynamodb": {"OldImage": {"pk": {"S": [{"suffix": "abc"}]}}}}, True),
        ({"dynamodb": {"OldImage": {"pk": {"S": [{"prefix": "chan#"}]}}}}, False),
        ({"dynamodb": {"NewImage": [{"exists": False}]}}, True),
        ({"dynamodb": {"OldImage": [{"exists": True}]}}, True),
        ({"eventName": [{"anything-but": ["INSERT"]}]}, True),
        ({"eventName": [{"equals-ignore-case": "remove"}]}, True),
        ({"dynamodb": {"SizeBytes": [{"numeric": [">", 5, "<=", 10]}]}}, True),
        ({"tags": ["b"]}, True),
        ({"missing": ["x"]}, False),
        ({"userIdentity": {"nested": {"deeper": ["x"]}}}, False),
    ],
)
def test_patterns(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, RECORD) is expected


def test_no_filters_pass_everything_and_filters_are_alternatives() -> None:
    assert matches_any([], RECORD)
    assert matches_any([{"eventName": ["INSERT"]}, {"eventName": ["REMOVE"]}], RECORD)
    assert not matches_any([{"eventName": ["INSERT"]}], RECORD)


def test_unknown_matchers_fail_loudly() -> None:
    with pytest.raises(UnsupportedTemplateError):
        matches({"eventName": [{"wildcard": "RE*"}]}, RECORD)
