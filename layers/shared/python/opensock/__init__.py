"""Opensock: a Hotsock-compatible, serverless real-time WebSocket service for AWS."""

HOTSOCK_VERSION = "1.13.5"
