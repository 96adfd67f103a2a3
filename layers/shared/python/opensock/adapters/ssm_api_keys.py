"""API keys in Parameter Store.

`ApiKeys` (the port of the same name): the accepted Bearer keys, configured ones plus every
parameter under an SSM path, read at the first check of a container and compared in constant
time. The set is read again when it is `MAX_AGE_SECONDS` old, and sooner (at most once per
`UNKNOWN_KEY_RELOAD_SECONDS`) when a request presents a key it does not hold: a rotated key is
accepted within seconds, a removed one refused within minutes, and a client sending wrong keys
costs at most one read per half-minute.

`SsmApiKeyStore` (the `ApiKeyStore` port): creates the generated keys as SecureString
parameters, never overwriting one, and deletes them.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence
from typing import Any

from opensock.errors import UnauthorizedError

MAX_AGE_SECONDS = 300.0
UNKNOWN_KEY_RELOAD_SECONDS = 30.0


def _ssm() -> Any:
    import boto3

    return boto3.client("ssm")


class ApiKeys:
    """Accepted Bearer keys: configured ones plus every parameter under an SSM path."""

    def __init__(
        self,
        keys: tuple[str, ...],
        parameter_path: str = "",
        ssm: Any = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._configured = keys
        self._path = parameter_path
        self._ssm = ssm
        self._monotonic = monotonic
        self._keys: tuple[bytes, ...] | None = None
        self._loaded_at = 0.0

    def _load(self) -> tuple[bytes, ...]:
        keys = list(self._configured)
        if self._path:
            if self._ssm is None:
                self._ssm = _ssm()
            pages = self._ssm.get_paginator("get_parameters_by_path").paginate(
                Path=self._path, Recursive=True, WithDecryption=True
            )
            keys.extend(p["Value"] for page in pages for p in page.get("Parameters", []))
        self._loaded_at = self._monotonic()
        return tuple(key.encode("utf-8") for key in keys if key)

    def _age(self) -> float:
        return self._monotonic() - self._loaded_at

    def _known(self, given: bytes) -> bool:
        if self._keys is None or self._age() >= MAX_AGE_SECONDS:
            self._keys = self._load()
        matches = [hmac.compare_digest(given, known) for known in self._keys]
        return any(matches)

    def check(self, authorization: str | None) -> None:
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key:
            raise UnauthorizedError("missing or malformed Authorization header")
        given = key.encode("utf-8")
        if self._known(given):
            return
        if self._path and self._age() >= UNKNOWN_KEY_RELOAD_SECONDS:
            self._keys = self._load()
            if self._known(given):
                return
        raise UnauthorizedError("unknown API key")


class SsmApiKeyStore:
    """Generated keys as SecureString parameters (the account's `aws/ssm` key encrypts them)."""

    def __init__(self, ssm: Any = None) -> None:
        self._ssm = ssm

    @property
    def client(self) -> Any:
        if self._ssm is None:
            self._ssm = _ssm()
        return self._ssm

    def create(self, name: str, value: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.put_parameter(
                Name=name,
                Value=value,
                Type="SecureString",
                Overwrite=False,
                Description="Opensock API key (generated at install)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ParameterAlreadyExists":
                return False
            raise
        return True

    def delete(self, names: Sequence[str]) -> None:
        if names:
            self.client.delete_parameters(Names=list(names))
