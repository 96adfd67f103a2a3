"""LivenessFunction: liveness timers from LivenessQueue (heartbeat deadlines, keep-alive frames,
presence leave graces) and the scheduled ghost sweep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opensock.edge.invocations import invocation

if TYPE_CHECKING:
    from opensock.wiring import App


@invocation
def lambda_handler(event: dict[str, Any], app: App) -> dict[str, int]:
    if "Records" in event:
        return app.liveness.fire(event)
    report = app.liveness.sweep()
    return {"slot": report.slot, "checked": report.checked, "swept": report.expired + report.gone}
