"""InstallationInfoFunction: the installed version (SERVER-API §8); the input is ignored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.invocations import invocation

if TYPE_CHECKING:
    from opensock.wiring import App


@invocation
def lambda_handler(event: dict[str, Any], app: App) -> dict[str, str]:
    return app.installation.info()
