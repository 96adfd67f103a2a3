"""The environment every test runs under: dummy AWS credentials and Opensock settings.

Applied by tests/conftest.py before any application module creates a client.
"""

from __future__ import annotations

import base64

HS256_SECRET = "opensock-test-secret-0123456789abcdef-0123456789"
TABLE_NAME = "opensock-test"
CALLBACK_URL = "http://127.0.0.1:9/v1"
PUBLISH_API_KEY = "test-api-key-0123456789abcdef0123456789ab"

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "TABLE_NAME": TABLE_NAME,
    "WEBSOCKET_CALLBACK_URL": CALLBACK_URL,
    "SIGNING_KEY_1_METHOD": "HS256",
    "SIGNING_KEY_1_ID": "",
    "SIGNING_KEY_1_ENCODED": base64.b64encode(HS256_SECRET.encode()).decode(),
    "CONNECTED_FUNCTION_NAME": "opensock-test-connected",
    "SCHEDULE_GROUP_NAME": "opensock-test",
    "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/opensock-test-scheduler",
    "SCHEDULED_FUNCTION_ARN": (
        "arn:aws:lambda:us-east-1:123456789012:function:opensock-test-scheduled"
    ),
    "PUBLISH_API_KEYS": PUBLISH_API_KEY,
    "POWERTOOLS_SERVICE_NAME": "opensock",
    "POWERTOOLS_METRICS_NAMESPACE": "OpensockTest",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
