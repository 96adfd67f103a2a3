"""Verification keys: the configured signing-key slots turned into ready key objects.

A slot's encoded key is base64 of the raw HMAC secret, or base64 of a PEM public key for the
asymmetric methods (PROTOCOL §3.3). Whitespace, real line breaks and the two-character sequence
`\\n` are ignored before decoding, since the documented example is wrapped that way. Keys are
parsed once, when the verifier is built; a key that does not fit its method (wrong type, wrong
curve, a non-Ed25519 key for EdDSA per Q-AUTH-3) is a configuration error raised right there.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from opensock.config import SigningKeySettings

_NOISE = re.compile(r"\\n|\s")
_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ES256": ec.SECP256R1,
    "ES384": ec.SECP384R1,
    "ES512": ec.SECP521R1,
}


class SigningKeyError(ValueError):
    """A signing-key slot that cannot be used as configured (raised at start-up)."""


@dataclass(frozen=True)
class VerificationKey:
    """One usable slot: its method (the only `alg` it verifies), optional key id, key object."""

    method: str
    key_id: str
    key: Any
    weak: bool = False
    """Below pyjwt's recommended length: still accepted (Hotsock takes any secret)."""


def decode_key_material(encoded: str) -> bytes:
    """Base64-decode a configured key, tolerating wrapping and missing padding."""
    text = _NOISE.sub("", encoded).replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SigningKeyError("signing key is not valid base64") from None


def _public_key(method: str, material: bytes) -> Any:
    try:
        key = load_pem_public_key(material)
    except (ValueError, TypeError):
        raise SigningKeyError(f"{method} signing key is not a PEM public key") from None
    if method[:2] in {"RS", "PS"} and isinstance(key, rsa.RSAPublicKey):
        return key
    curve = _CURVES.get(method)
    if curve and isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, curve):
        return key
    if method == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise SigningKeyError(f"{method} signing key has the wrong key type or curve")


def load_verification_key(slot: SigningKeySettings) -> VerificationKey:
    """Decode and check one slot; raise SigningKeyError if it is unusable."""
    material = decode_key_material(slot.encoded)
    algorithm = jwt.get_algorithm_by_name(slot.method)
    raw = material if slot.method.startswith("HS") else _public_key(slot.method, material)
    try:
        key = algorithm.prepare_key(raw)
    except jwt.InvalidKeyError:
        raise SigningKeyError(f"{slot.method} secret is empty or is a public key") from None
    weak = algorithm.check_key_length(key) is not None
    return VerificationKey(slot.method, slot.key_id, key, weak=weak)
