"""WebConsoleFunction: the web console's files behind its Function URL (`WebConsoleHttpUrl`).

Deployed only with `WebConsoleEnabledParameter=enabled`. The files come from the
WebConsoleAssetsLayer (the repository's `clients/`, extracted at /opt): `/` is the console,
`/console/*` its modules, `/clients/js/*` the browser client. No settings, no secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opensock.edge.static_site import StaticSite

ASSETS = Path("/opt")
SITE = StaticSite(ASSETS, "console/index.html", {"/console/": "console", "/clients/js/": "js"})


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return SITE.respond(event)
