"""Errors that carry their wire contract: a code, an HTTP status, and a safe message.

Every refusal a client or backend can see is one of these. The edge (gateway/route.py for the
WebSocket, the HTTP adapters for Function URLs) turns them into a `hotsock.error` frame or an
HTTP JSON error; nothing else is ever shown to a caller.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None, *, channel: str | None = None) -> None:
        self.message = message or self.default_message
        self.channel = channel
        super().__init__(self.message)

    def details(self) -> dict[str, Any]:
        """Fields an extension's error adds next to `code` and `message` (none for Hotsock's)."""
        return {}


# --- tokens -------------------------------------------------------------------------------
class InvalidTokenError(AppError):
    """A token defect: malformed, bad signature, kid, exp/nbf, aud/iss, claims, reused jti."""

    code = "INVALID_TOKEN"
    status = 401
    default_message = "invalid token"

    def __init__(self, reason: str, *, channel: str | None = None) -> None:
        # `reason` is for logs and the error message; it never contains the token itself.
        self.reason = reason
        super().__init__(f"invalid token: {reason}", channel=channel)


class TokenScopeError(InvalidTokenError):
    """A well-formed, correctly signed token used where it is not allowed (scope/target)."""

    code = "TOKEN_NOT_ALLOWED"
    status = 403


# --- request validation -------------------------------------------------------------------
class InvalidMessageError(AppError):
    code = "INVALID_MESSAGE"
    status = 400
    default_message = "invalid message"


class UnknownEventError(AppError):
    code = "UNKNOWN_EVENT"
    status = 400
    default_message = "unknown event"


class InvalidChannelNameError(AppError):
    code = "INVALID_CHANNEL_NAME"
    status = 400
    default_message = "invalid channel name"


class InvalidEventNameError(AppError):
    code = "INVALID_EVENT_NAME"
    status = 400
    default_message = "invalid event name"


class DataTooLargeError(AppError):
    code = "DATA_TOO_LARGE"
    status = 400
    default_message = "data exceeds 32 KiB"


class InvalidStorageKeyError(AppError):
    code = "INVALID_STORAGE_KEY"
    status = 400
    default_message = "invalid storage key"


class InvalidStoreError(AppError):
    code = "INVALID_STORE"
    status = 400
    default_message = "invalid store value"


class InvalidScheduleExpressionError(AppError):
    code = "INVALID_SCHEDULE_EXPRESSION"
    status = 400
    default_message = "invalid schedule expression"


# --- subscribe / unsubscribe (the four codes hotsock-js acts on, plus presence) -------------
class AlreadySubscribedError(AppError):
    code = "ALREADY_SUBSCRIBED"
    status = 409
    default_message = "already subscribed to this channel"


class NotSubscribedError(AppError):
    code = "NOT_SUBSCRIBED"
    status = 403
    default_message = "not subscribed to this channel"


class SubscribePermissionDeniedError(AppError):
    code = "SUBSCRIBE_PERMISSION_DENIED"
    status = 403
    default_message = "not authorized to subscribe to this channel"


class InvalidSubscribeTokenError(AppError):
    code = "INVALID_SUBSCRIBE_TOKEN"
    status = 400
    default_message = "invalid subscribe token"


class PresenceUserIdRequiredError(AppError):
    code = "PRESENCE_CHANNEL_USER_ID_REQUIRED"
    status = 403
    default_message = "a uid is required to subscribe to presence channels"


class PresenceCapacityReachedError(AppError):
    code = "PRESENCE_CHANNEL_CAPACITY_REACHED"
    status = 409
    default_message = "presence channel member list would exceed 100 KB"


# --- other permissions ----------------------------------------------------------------------
class PublishPermissionDeniedError(AppError):
    code = "PUBLISH_PERMISSION_DENIED"
    status = 403
    default_message = "not authorized to publish this event to this channel"


class SchedulePermissionDeniedError(AppError):
    code = "SCHEDULE_PERMISSION_DENIED"
    status = 403
    default_message = "not authorized to schedule for this time"


class StorageSetPermissionDeniedError(AppError):
    code = "STORAGE_SET_PERMISSION_DENIED"
    status = 403
    default_message = "not authorized to set this storage key"


class StorageGetPermissionDeniedError(AppError):
    code = "STORAGE_GET_PERMISSION_DENIED"
    status = 403
    default_message = "not authorized to get this storage key"


class StorageConditionFailedError(AppError):
    """A conditional write or counter step found the entry in another state (extension):
    nothing was written or sent. Carries the current `version` (0 = absent), and the value
    (`data`, `meta`) when the writer may `get` the key."""

    code = "STORAGE_CONDITION_FAILED"
    status = 409
    default_message = "the storage entry is not in the expected state"

    def __init__(
        self,
        message: str | None = None,
        *,
        channel: str | None = None,
        version: int = 0,
        value: tuple[Any, Any] | None = None,
    ) -> None:
        super().__init__(message, channel=channel)
        self.version = version
        self.value = value

    def details(self) -> dict[str, Any]:
        found: dict[str, Any] = {"version": self.version}
        if self.value is not None:
            found["data"], found["meta"] = self.value
        return found

    def hiding_value(self) -> StorageConditionFailedError:
        return type(self)(self.message, channel=self.channel, version=self.version)


class StorageCounterLimitError(StorageConditionFailedError):
    code = "STORAGE_COUNTER_LIMIT"
    default_message = "the increment would pass the counter's bound"


class StorageNotACounterError(StorageConditionFailedError):
    code = "STORAGE_NOT_A_COUNTER"
    default_message = "the storage entry does not hold an integer"


class ScheduleNotPendingError(AppError):
    """Schedule control (extension): no pending schedule of that id the caller may see: it
    fired (or is firing), was cancelled, or never existed."""

    code = "SCHEDULE_NOT_PENDING"
    status = 404
    default_message = "no pending schedule with this id: it fired, was cancelled or never existed"


class GetInfoPermissionDeniedError(AppError):
    code = "GET_INFO_PERMISSION_DENIED"
    status = 403
    default_message = "not authorized to get info for this channel"


class InvalidUmdTokenError(AppError):
    code = "INVALID_UMD_TOKEN"
    status = 400
    default_message = "invalid umd token"


class UmdUpdatePermissionDeniedError(AppError):
    code = "UMD_UPDATE_PERMISSION_DENIED"
    status = 403
    default_message = "not authorized to update umd"


class UserIdRequiredError(AppError):
    code = "USER_ID_REQUIRED"
    status = 403
    default_message = "a uid is required"


# --- history and reactions (PROTOCOL §15, §16, Q-ERR) -----------------------------------------
class ReactionPermissionDeniedError(AppError):
    code = "REACTION_PERMISSION_DENIED"
    status = 403
    default_message = "not authorized to react to this message"


class InvalidReactionError(AppError):
    code = "INVALID_REACTION"
    status = 400
    default_message = "invalid reaction"


class MessageNotFoundError(AppError):
    code = "MESSAGE_NOT_FOUND"
    status = 404
    default_message = "message not found (not stored, expired or never published)"


class ResumeIncompleteError(AppError):
    """Opensock extension (docs/extensions.md): a resume stopped before it caught up."""

    code = "RESUME_INCOMPLETE"
    status = 413
    default_message = "too many messages to resume: page the rest with connection/listMessages"


# --- HTTP-only ------------------------------------------------------------------------------
class UnauthorizedError(AppError):
    code = "UNAUTHORIZED"
    status = 401
    default_message = "unauthorized"


class NotFoundError(AppError):
    code = "NOT_FOUND"
    status = 404
    default_message = "not found"


class MethodNotAllowedError(AppError):
    code = "METHOD_NOT_ALLOWED"
    status = 405
    default_message = "method not allowed"


# --- infrastructure (raised by adapters) -----------------------------------------------------
class ConnectionGoneError(AppError):
    """The management API answered 410 for this connection."""

    code = "CONNECTION_GONE"
    status = 410
    default_message = "connection is gone"

    def __init__(self, connection_id: str) -> None:
        self.connection_id = connection_id
        super().__init__("connection is gone")


class ConflictError(AppError):
    """A conditional write lost a race; callers retry it (`app/retry.py`) or map it to a domain
    error. Past the last retry it is an infrastructure failure: its code is INTERNAL_ERROR,
    so no client ever sees a code outside the spec's tables (docs/decisions.md)."""

    code = "INTERNAL_ERROR"
    status = 500
    default_message = "too many concurrent changes; try again"
