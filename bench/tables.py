"""Markdown tables (the report prints them to stdout and writes them to docs/performance.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    align = align or "l" + "r" * (len(headers) - 1)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("| " + " | ".join(marks[a] for a in align) + " |")
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 10 else f"{value:.3g}"
    return str(value).replace("|", "\\|")


def money(dollars: float, digits: int = 3) -> str:
    return f"${dollars:,.{digits}f}"


def units(value: float) -> str:
    return f"{value:g}"
