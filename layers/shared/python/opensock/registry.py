"""Extension points: a feature plugs in by adding one line here (dotted paths, lazy imports).

Each value is `"package.module:function"`, imported on first use so a function only loads the
code of the paths it really takes (cold starts).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any

# Called as fn(subscription, services) right after `hotsock.subscribed` was posted.
AFTER_SUBSCRIBE: tuple[str, ...] = ("opensock.app.storage_listing:post_snapshot",)

# Server publish payloads whose `event` is special: fn(payload, origin, services) -> response.
SERVER_PUBLISH_EVENTS: dict[str, str] = {
    "hotsock.channelStorageSet": "opensock.app.storage_server:server_storage_set",
}

# ScheduledFunction payload kinds: fn(payload, services) -> None.
SCHEDULED_KINDS: dict[str, str] = {
    "publish": "opensock.app.scheduled_publish:run_scheduled_publish",
    "storageSet": "opensock.app.storage_schedules:run_scheduled_storage_set",
}

# Client HTTP API `POST /connection/<action>`: fn(ConnectionCall, services) -> HttpResult.
CONNECTION_ACTIONS: dict[str, str] = {
    "publishMessage": "opensock.edge.http_channel_actions:publish_message",
    "channelStorageGet": "opensock.edge.http_storage_actions:channel_storage_get",
    "channelStorageSet": "opensock.edge.http_storage_actions:channel_storage_set",
    "channelStorageList": "opensock.edge.http_storage_actions:channel_storage_list",
    "umdUpdate": "opensock.edge.user_metadata_routes:umd_update",
}

# Admin API `GET /channels/...`, by path template: fn(AdminCall, services) -> HttpResult.
ADMIN_ROUTES: dict[str, str] = {
    "channels/{name}": "opensock.edge.http_channel_actions:channel_info",
    "channels/{name}/storage": "opensock.edge.http_storage_actions:admin_channel_storage",
}


@cache
def load(path: str) -> Callable[..., Any]:
    module_name, _, attribute = path.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module_name), attribute)
    return function
