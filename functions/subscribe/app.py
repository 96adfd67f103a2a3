"""Placeholder for functions/subscribe: replaced by the feature's issue."""

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    # placeholder: replaced by the feature's issue
    return {"statusCode": 501}
