"""`GET /clients/js/<file>`: the browser client served by the local stack with its content type."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.local.harness import StackHandle
from tools.local import static_files

pytestmark = pytest.mark.local


def test_the_client_module_is_served_as_javascript(fixture_stack: StackHandle) -> None:
    # WHEN
    status, headers, body = fixture_stack.http("GET", "/clients/js/opensock.js")

    # THEN
    assert status == 200
    assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache"
    assert body == (static_files.REPOSITORY / "clients" / "js" / "opensock.js").read_bytes()


def test_head_answers_without_a_body(fixture_stack: StackHandle) -> None:
    # WHEN
    status, headers, body = fixture_stack.http("HEAD", "/clients/js/opensock.js")

    # THEN
    assert (status, body) == (200, b"")
    assert headers["Content-Type"] == "text/javascript; charset=utf-8"


@pytest.mark.parametrize(
    "path",
    [
        "/clients/js/missing.js",
        "/clients/js/..%2F..%2Ftemplate.yaml",
        "/clients/js/.hidden.js",
        "/clients/js/opensock.py",
    ],
)
def test_anything_else_is_not_found(fixture_stack: StackHandle, path: str) -> None:
    # WHEN
    status, _, _ = fixture_stack.http("GET", path)

    # THEN
    assert status == 404


def test_a_file_outside_the_known_suffixes_is_refused(tmp_path: Path) -> None:
    # GIVEN
    (tmp_path / "secret.env").write_text("KEY=1")
    (tmp_path / "page.html").write_text("<p>hi</p>")

    # WHEN / THEN
    assert static_files._file(tmp_path, "secret.env") is None
    assert static_files._file(tmp_path, "page.html") == tmp_path / "page.html"
    assert static_files._file(tmp_path, "sub") is None
