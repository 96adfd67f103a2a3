"""The installation itself: its version, and the API keys it generates at install.

Keys are 40 characters from `[A-Za-z0-9]` (Hotsock's two generated keys, SERVER-API §2.1),
drawn with `secrets`: about 238 bits, and nothing to escape in a header or a shell.
"""

from __future__ import annotations

import secrets
import string

from opensock import HOTSOCK_VERSION, __version__

API_KEY_LENGTH = 40
_ALPHABET = string.ascii_letters + string.digits


def generate_api_key(length: int = API_KEY_LENGTH) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def installation_info() -> dict[str, str]:
    """What InstallationInfoFunction answers (SERVER-API §8; no licence here)."""
    return {"name": "opensock", "version": __version__, "protocol": f"hotsock {HOTSOCK_VERSION}"}
