"""Who may update umd: the `umd`-scoped token, its directives, and single-use consumption.

The token is verified like every token (PROTOCOL §3.8): scope `umd`, bound to this connection
by `connectionId` or by a `uid` equal to the connection's (§3.6). Any defect is
`INVALID_UMD_TOKEN`. A per-channel update needs `channels.<c>.umdUpdate`, resolved on the umd
token alone; a connection-level one needs the top-level `umdUpdate` claim. A `singleUse` token
is consumed once every other check has passed (Q-AUTH-4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opensock.domain.auth.claims import Claims
from opensock.domain.auth.permissions import Permissions
from opensock.domain.model import Connection
from opensock.errors import InvalidTokenError, InvalidUmdTokenError, UmdUpdatePermissionDeniedError

if TYPE_CHECKING:
    from opensock.wiring import Services


def verify_umd_token(token: str, connection: Connection, services: Services) -> Claims:
    return services.verifier.verify_for(
        token, scope="umd", connection=connection, refusal=InvalidUmdTokenError
    )


def check_channel_update(claims: Claims, channel: str) -> None:
    """`channels.<channel>.umdUpdate` must resolve true on the umd token's own entries."""
    entries = {key: grant.wire() for key, grant in claims.channels.items()}
    if not Permissions.from_entries(entries).channel_flag(channel, "umdUpdate"):
        raise UmdUpdatePermissionDeniedError("umd token does not allow umdUpdate on this channel")


def check_connection_update(claims: Claims) -> None:
    if claims.user_metadata_update is not True:
        raise UmdUpdatePermissionDeniedError("umd token lacks the umdUpdate claim")


def consume(claims: Claims, services: Services) -> None:
    """Record a single-use token's jti (a no-op for other tokens)."""
    try:
        services.verifier.consume(claims)
    except InvalidTokenError:
        raise InvalidUmdTokenError("umd token already used") from None
