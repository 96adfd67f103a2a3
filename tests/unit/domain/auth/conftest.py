"""Fixtures for the auth tests: real key pairs (session-scoped: RSA key generation is slow),
a frozen clock, an in-memory used-jti registry and verifier builders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from opensock.config import SigningKeySettings
from opensock.domain.auth.tokens import TokenVerifier
from tests.unit.domain.auth.helpers import CURVES, FrozenClock, KeyPair, MemoryUsedTokens, pem


@pytest.fixture(scope="session")
def rsa_private() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def stranger_rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def key_pairs(rsa_private: rsa.RSAPrivateKey) -> dict[str, KeyPair]:
    """One KeyPair per supported algorithm (RSA and PSS share one 2048-bit key)."""
    pairs = {
        f"HS{bits}": KeyPair(f"HS{bits}", secret, secret)
        for bits, secret in ((256, b"h" * 32), (384, b"i" * 48), (512, b"j" * 64))
    }
    for method in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"):
        pairs[method] = KeyPair(method, rsa_private, pem(rsa_private.public_key()))
    for method, curve in CURVES.items():
        private = ec.generate_private_key(curve)
        pairs[method] = KeyPair(method, private, pem(private.public_key()))
    edwards = ed25519.Ed25519PrivateKey.generate()
    pairs["EdDSA"] = KeyPair("EdDSA", edwards, pem(edwards.public_key()))
    return pairs


@pytest.fixture(scope="session")
def ed448_pem() -> bytes:
    return pem(ed448.Ed448PrivateKey.generate().public_key())


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def used_tokens() -> MemoryUsedTokens:
    return MemoryUsedTokens()


@pytest.fixture
def hs256(key_pairs: dict[str, KeyPair]) -> KeyPair:
    return key_pairs["HS256"]


@pytest.fixture
def make_verifier(
    clock: FrozenClock, used_tokens: MemoryUsedTokens
) -> Callable[..., TokenVerifier]:
    def build(*slots: SigningKeySettings, **options: Any) -> TokenVerifier:
        options.setdefault("clock", clock)
        options.setdefault("used_tokens", used_tokens)
        return TokenVerifier(slots, **options)

    return build


@pytest.fixture
def verifier(make_verifier: Callable[..., TokenVerifier], hs256: KeyPair) -> TokenVerifier:
    return make_verifier(hs256.slot())
