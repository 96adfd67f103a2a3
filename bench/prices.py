"""AWS us-east-1 on-demand unit prices, as read on the date below (re-check before quoting)."""

from __future__ import annotations

PRICES_READ_ON = "2026-11-28"
REGION = "us-east-1"

# USD per unit.
APIGW_MESSAGE = 1.00 / 1_000_000  # per WebSocket message (32 KB units), both directions
APIGW_CONNECTION_MINUTE = 0.25 / 1_000_000
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_GB_SECOND_ARM = 0.0000133334
DYNAMODB_WRU = 0.625 / 1_000_000
DYNAMODB_RRU = 0.125 / 1_000_000
SQS_FIFO_REQUEST = 0.50 / 1_000_000  # 64 KB units; a batch of 10 is one request
SQS_STANDARD_REQUEST = 0.40 / 1_000_000
SNS_PUBLISH = 0.50 / 1_000_000  # 64 KB units
EVENTBRIDGE_EVENT = 1.00 / 1_000_000  # custom events, 64 KB units
SCHEDULER_INVOCATION = 1.00 / 1_000_000  # after 14 M free per month
CLOUDWATCH_LOGS_INGEST_GB = 0.50  # standard log class, per GB ingested (Lambda's stdout)

PRICE_TABLE = [
    ("API Gateway WebSocket message (32 KB unit)", "$1.00 / M"),
    ("API Gateway connection-minute", "$0.25 / M"),
    ("Lambda request", "$0.20 / M"),
    ("Lambda duration, arm64", "$0.0000133334 / GB-s"),
    ("DynamoDB write request unit", "$0.625 / M"),
    ("DynamoDB read request unit", "$0.125 / M"),
    ("SQS FIFO request (64 KB unit)", "$0.50 / M"),
    ("SNS publish (64 KB unit)", "$0.50 / M"),
    ("EventBridge custom event (64 KB unit)", "$1.00 / M"),
    ("EventBridge Scheduler invocation", "$1.00 / M"),
    ("CloudWatch Logs ingestion (standard)", "$0.50 / GB"),
]
