"""The ApiKeys port: accepted Bearer keys, configured ones plus every parameter under an SSM
path (read once per container, compared in constant time)."""

from __future__ import annotations

import hmac
from typing import Any

from opensock.errors import UnauthorizedError


class ApiKeys:
    """Accepted Bearer keys: configured ones plus every parameter under an SSM path."""

    def __init__(self, keys: tuple[str, ...], parameter_path: str = "", ssm: Any = None) -> None:
        self._configured = keys
        self._path = parameter_path
        self._ssm = ssm
        self._keys: tuple[bytes, ...] | None = None

    def _load(self) -> tuple[bytes, ...]:
        keys = list(self._configured)
        if self._path:
            if self._ssm is None:
                import boto3

                self._ssm = boto3.client("ssm")
            pages = self._ssm.get_paginator("get_parameters_by_path").paginate(
                Path=self._path, Recursive=True, WithDecryption=True
            )
            keys.extend(p["Value"] for page in pages for p in page.get("Parameters", []))
        return tuple(key.encode("utf-8") for key in keys if key)

    def check(self, authorization: str | None) -> None:
        if self._keys is None:
            self._keys = self._load()
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key:
            raise UnauthorizedError("missing or malformed Authorization header")
        given = key.encode("utf-8")
        matches = [hmac.compare_digest(given, known) for known in self._keys]
        if not any(matches):
            raise UnauthorizedError("unknown API key")
