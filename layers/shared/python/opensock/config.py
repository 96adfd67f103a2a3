"""Settings: the one validated model of the environment. Nothing else reads `os.environ`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

SIGNING_METHODS = frozenset(
    {
        "HS256", "HS384", "HS512",
        "RS256", "RS384", "RS512",
        "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512",
        "EdDSA",
    }
)  # fmt: skip

OptionalText = Annotated[str, Field(default="")]


class SigningKeySettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: str
    key_id: str = ""
    encoded: str

    @field_validator("method")
    @classmethod
    def _known_method(cls, value: str) -> str:
        if value not in SIGNING_METHODS:
            raise ValueError(f"unsupported signing method {value!r}")
        return value


class Settings(BaseModel):
    """Every setting a function may need. Resource identifiers have no defaults."""

    model_config = ConfigDict(frozen=True)

    table_name: str
    websocket_callback_url: str
    signing_keys: tuple[SigningKeySettings, ...]
    token_audience: str = ""
    token_issuer: str = ""
    token_leeway_seconds: int = 0

    pubsub_sns_topic_arn: str = ""
    pubsub_event_bus_name: str = ""

    schedule_group_name: str = ""
    scheduler_role_arn: str = ""
    scheduled_function_arn: str = ""
    connected_function_name: str = ""
    fanout_queue_url: str = ""
    fanout_batch_size: int = 250
    fanout_slow_grace_seconds: float = Field(default=0.05, gt=0, le=5)
    """How long after the others' posts a lane's remaining posts count as slow (F35)."""

    publish_api_keys: tuple[str, ...] = ()
    api_keys_parameter_path: str = ""

    connection_lifetime_seconds: int = 7200
    connected_post_timeout_seconds: float = 3.0

    liveness_queue_url: str = ""
    keep_alive_interval_seconds: int = Field(default=570, ge=1, le=900)
    heartbeat_grace_seconds: int = Field(default=2, ge=0, le=60)
    sweep_interval_seconds: int = Field(default=60, ge=1)
    sweep_slots: int = Field(default=4, ge=1, le=64)
    presence_leave_grace_seconds: int = Field(default=0, ge=0, le=900)
    traces_in_logs_sample_rate: float = Field(default=0.0, ge=0.0, le=100.0)
    """Percent of new traces whose spans are logged (`opensock.tracing`); 0 = none."""
    aws_region: str = "us-east-1"

    message_channel_event_index: bool = False
    """`MessageDataTableChannelEventGSIParameter`: write the optional index's key."""
    storage_exact_expiry: bool = True
    """`StorageExactExpiryParameter` (default `enabled`): observers see entries expire
    (docs/extensions.md); `disabled` is exactly Hotsock's behaviour."""
    resume_handoff_seconds: float = 1.0
    resume_settle_seconds: float = 0.5


def _signing_keys(environ: Mapping[str, str]) -> tuple[SigningKeySettings, ...]:
    keys = []
    for slot in ("1", "2"):
        method = environ.get(f"SIGNING_KEY_{slot}_METHOD", "").strip()
        encoded = environ.get(f"SIGNING_KEY_{slot}_ENCODED", "").strip()
        if not method or not encoded:
            continue
        key_id = environ.get(f"SIGNING_KEY_{slot}_ID", "").strip()
        keys.append(SigningKeySettings(method=method, key_id=key_id, encoded=encoded))
    return tuple(keys)


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    """Build Settings from environment variables (the names template.yaml sets)."""

    def text(name: str, default: str = "") -> str:
        return environ.get(name, default).strip()

    raw: dict[str, object] = {
        "table_name": environ["TABLE_NAME"],
        "websocket_callback_url": environ["WEBSOCKET_CALLBACK_URL"],
        "signing_keys": _signing_keys(environ),
        "token_audience": text("TOKEN_AUDIENCE"),
        "token_issuer": text("TOKEN_ISSUER"),
        "pubsub_sns_topic_arn": text("PUBSUB_SNS_TOPIC_ARN"),
        "pubsub_event_bus_name": text("PUBSUB_EVENT_BUS_NAME"),
        "schedule_group_name": text("SCHEDULE_GROUP_NAME"),
        "scheduler_role_arn": text("SCHEDULER_ROLE_ARN"),
        "scheduled_function_arn": text("SCHEDULED_FUNCTION_ARN"),
        "connected_function_name": text("CONNECTED_FUNCTION_NAME"),
        "fanout_queue_url": text("FANOUT_QUEUE_URL"),
        "liveness_queue_url": text("LIVENESS_QUEUE_URL"),
        "publish_api_keys": _csv(text("PUBLISH_API_KEYS")),
        "api_keys_parameter_path": text("API_KEYS_PARAMETER_PATH"),
        "aws_region": text("AWS_REGION") or text("AWS_DEFAULT_REGION") or "us-east-1",
        "message_channel_event_index": text("MESSAGE_CHANNEL_EVENT_INDEX") == "enabled",
        "storage_exact_expiry": text("STORAGE_EXACT_EXPIRY", "enabled") != "disabled",
    }
    for env_name, field in (
        ("TOKEN_LEEWAY_SECONDS", "token_leeway_seconds"),
        ("FANOUT_BATCH_SIZE", "fanout_batch_size"),
        ("FANOUT_SLOW_GRACE_SECONDS", "fanout_slow_grace_seconds"),
        ("CONNECTION_LIFETIME_SECONDS", "connection_lifetime_seconds"),
        ("CONNECTED_POST_TIMEOUT_SECONDS", "connected_post_timeout_seconds"),
        ("RESUME_HANDOFF_SECONDS", "resume_handoff_seconds"),
        ("RESUME_SETTLE_SECONDS", "resume_settle_seconds"),
        ("KEEP_ALIVE_INTERVAL_SECONDS", "keep_alive_interval_seconds"),
        ("HEARTBEAT_GRACE_SECONDS", "heartbeat_grace_seconds"),
        ("SWEEP_INTERVAL_SECONDS", "sweep_interval_seconds"),
        ("SWEEP_SLOTS", "sweep_slots"),
        ("PRESENCE_LEAVE_GRACE_SECONDS", "presence_leave_grace_seconds"),
        ("TRACES_IN_LOGS_SAMPLE_RATE", "traces_in_logs_sample_rate"),
    ):
        if text(env_name):
            raw[field] = text(env_name)
    return Settings.model_validate(raw)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
