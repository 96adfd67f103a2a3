"""WebConsoleFunction: the console's static files behind its Function URL (SERVER-API §8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from functions.web_console import app
from tests.support.events import load_event
from tests.support.fakes import FakeLambdaContext
from tools.local.environment import LOCAL_API_KEY, LOCAL_SIGNING_SECRET

CLIENTS = Path(__file__).resolve().parents[2] / "clients"


@pytest.fixture(autouse=True)
def layer_at_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """The WebConsoleAssetsLayer's content is the repository's clients/ (at /opt in Lambda)."""
    monkeypatch.setattr(app.SITE, "root", CLIENTS)


def get(path: str, method: str = "GET") -> dict[str, Any]:
    event = load_event("web_console")
    event["rawPath"] = path
    event["requestContext"]["http"].update(method=method, path=path)
    return app.lambda_handler(event, FakeLambdaContext())


def test_the_root_is_the_console_page() -> None:
    # WHEN
    response = get("/")

    # THEN
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"
    assert '<script type="module" src="/console/main.js">' in response["body"]


@pytest.mark.parametrize(
    ("path", "file"),
    [
        ("/console/main.js", "console/main.js"),
        ("/console/console.css", "console/console.css"),
        ("/clients/js/opensock.js", "js/opensock.js"),
    ],
)
def test_modules_are_served_with_their_content_type(path: str, file: str) -> None:
    # WHEN
    response = get(path)

    # THEN
    assert response["statusCode"] == 200
    assert response["body"] == (CLIENTS / file).read_text(encoding="utf-8")
    suffix = Path(file).suffix
    assert response["headers"]["Content-Type"].startswith(
        {".js": "text/javascript", ".css": "text/css"}[suffix]
    )


@pytest.mark.parametrize(
    "path",
    [
        "/index.html",
        "/console/../../template.yaml",
        "/console/.hidden.js",
        "/clients/js/README.md",
        "/clients/js/nope.js",
        "/_local/console",
        "/_local/tokens",
        "/opt/python/opensock/config.py",
    ],
)
def test_nothing_else_is_served(path: str) -> None:
    assert get(path)["statusCode"] == 404


def test_only_get_and_head() -> None:
    # WHEN / THEN
    assert get("/", "POST")["statusCode"] == 405
    head = get("/", "HEAD")
    assert (head["statusCode"], head["body"]) == (200, "")


def test_no_file_the_console_can_serve_holds_a_secret() -> None:
    # GIVEN every file under the served folders
    served = [p for folder in ("console", "js") for p in (CLIENTS / folder).iterdir()]

    # THEN none mentions a signing key, an API key or the local defaults
    for path in served:
        text = path.read_text(encoding="utf-8")
        for secret in (LOCAL_SIGNING_SECRET, LOCAL_API_KEY, "SIGNING_KEY", "PUBLISH_API_KEYS"):
            assert secret not in text, f"{path.name} mentions {secret}"
