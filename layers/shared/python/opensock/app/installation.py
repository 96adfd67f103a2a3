"""Installation: what the stack's own resources ask of the code (SERVER-API §2.1, §8).

`provision_keys` runs in the `HttpApiSecretKeys` custom resource: it creates each named key
under the path unless one is already there (an update or a re-run never replaces a key the
operator may have handed out), and `remove_keys` deletes them with the stack. The keys are
generated here and go straight to the store: they are never returned, logged or counted.
"""

from __future__ import annotations

from collections.abc import Sequence

from opensock.domain.install_keys import generate_api_key, installation_info
from opensock.observability import logger
from opensock.ports import ApiKeyStore


class Installation:
    def __init__(self, key_store: ApiKeyStore) -> None:
        self._key_store = key_store

    def provision_keys(self, path: str, names: Sequence[str]) -> list[str]:
        """Create the missing keys; returns the names it created."""
        created = [
            name
            for name in names
            if self._key_store.create(_parameter(path, name), generate_api_key())
        ]
        logger.info("api keys provisioned", extra={"path": path, "created_keys": created})
        return created

    def remove_keys(self, path: str, names: Sequence[str]) -> None:
        self._key_store.delete([_parameter(path, name) for name in names])
        logger.info("api keys removed", extra={"path": path, "names": list(names)})

    def keys_resource(
        self, request_type: str, path: str, names: Sequence[str], current_id: str | None
    ) -> str:
        """The `HttpApiSecretKeys` resource: its physical id is the path it keeps keys under.

        Create and Update make the missing keys (CloudFormation deletes the old path's keys
        after an Update that moves them); Delete removes the keys of the path it created.
        """
        if request_type == "Delete":
            if current_id == path:
                self.remove_keys(path, names)
            return current_id or path
        self.provision_keys(path, names)
        return path

    def info(self) -> dict[str, str]:
        return installation_info()


def _parameter(path: str, name: str) -> str:
    return f"{path.rstrip('/')}/{name}"
