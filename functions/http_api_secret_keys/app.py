"""HttpApiSecretKeysFunction: the `HttpApiSecretKeys` custom resource (generated API keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.edge.custom_resource import (
    CustomResourceRequest,
    CustomResourceResult,
    custom_resource,
)

if TYPE_CHECKING:
    from opensock.wiring import App


@custom_resource
def lambda_handler(request: CustomResourceRequest, app: App) -> CustomResourceResult:
    path = str(request.properties["ParameterPath"])
    names = [str(name) for name in request.properties["KeyNames"]]
    physical_id = app.installation.keys_resource(
        request.request_type, path, names, request.physical_id
    )
    return CustomResourceResult(physical_id, {"ParameterPath": path})
