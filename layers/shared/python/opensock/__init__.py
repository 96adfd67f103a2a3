"""Opensock: a Hotsock-compatible, serverless real-time WebSocket service for AWS."""

__version__ = "0.1.0"
"""The installed version: the `InstallationVersion` output and InstallationInfoFunction
(`template.yaml`'s `Installation` mapping and pyproject.toml must say the same)."""

HOTSOCK_VERSION = "1.13.5"
