"""Signing-key slots: parsed once when the verifier is built; a bad slot fails right there."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from opensock.config import SigningKeySettings
from opensock.domain.auth.signing_keys import (
    SigningKeyError,
    decode_key_material,
    load_verification_key,
)
from opensock.domain.auth.tokens import TokenVerifier
from tests.unit.domain.auth.helpers import KeyPair

Build = Callable[..., TokenVerifier]


def slot(method: str, material: bytes) -> SigningKeySettings:
    return SigningKeySettings(method=method, encoded=base64.b64encode(material).decode())


@pytest.mark.parametrize(
    ("method", "source"),
    [
        ("ES256", "RS256"),  # an RSA key in an ECDSA slot
        ("ES256", "ES384"),  # the wrong curve
        ("ES512", "ES256"),
        ("RS256", "ES256"),  # an EC key in an RSA slot
        ("PS256", "EdDSA"),
        ("EdDSA", "RS256"),
    ],
)
def test_key_of_the_wrong_type_or_curve_is_a_configuration_error(
    method: str, source: str, key_pairs: dict[str, KeyPair]
) -> None:
    with pytest.raises(SigningKeyError, match="wrong key type or curve"):
        load_verification_key(slot(method, key_pairs[source].material))


def test_ed448_key_in_an_eddsa_slot_is_a_configuration_error(ed448_pem: bytes) -> None:
    with pytest.raises(SigningKeyError):
        load_verification_key(slot("EdDSA", ed448_pem))


def test_private_key_pem_is_a_configuration_error(rsa_private: rsa.RSAPrivateKey) -> None:
    private_pem = rsa_private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(SigningKeyError, match="not a PEM public key"):
        load_verification_key(slot("RS256", private_pem))


@pytest.mark.parametrize(
    "material", [b"", b"-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"]
)
def test_empty_or_pem_hmac_secret_is_a_configuration_error(material: bytes) -> None:
    with pytest.raises(SigningKeyError, match="secret is empty or is a public key"):
        load_verification_key(slot("HS256", material))


def test_rsa_public_pem_as_hmac_secret_is_a_configuration_error(
    key_pairs: dict[str, KeyPair],
) -> None:
    with pytest.raises(SigningKeyError):
        load_verification_key(slot("HS256", key_pairs["RS256"].material))


@pytest.mark.parametrize("encoded", ["not base64 !", "QUJD=X", "QUJD$RA==", "QU.JDRA=="])
def test_invalid_base64_is_a_configuration_error(encoded: str) -> None:
    with pytest.raises(SigningKeyError, match="not valid base64"):
        decode_key_material(encoded)


@pytest.mark.parametrize(
    "encoded",
    ["c2VjcmV0LWtleQ==", "c2VjcmV0LWtleQ", "c2Vj\ncmV0\r\nLWtl eQ==", "c2Vj\\ncmV0\\nLWtleQ=="],
)
def test_key_material_tolerates_wrapping_and_missing_padding(encoded: str) -> None:
    assert decode_key_material(encoded) == b"secret-key"


@pytest.mark.parametrize(("encoded", "key"), [("c2VjcmV0LWtleXk", b"secret-keyy"), ("QQ", b"A")])
def test_exactly_the_missing_padding_is_added(encoded: str, key: bytes) -> None:
    assert decode_key_material(encoded) == key


def test_url_safe_base64_is_accepted() -> None:
    assert (
        decode_key_material(base64.urlsafe_b64encode(b"\xfb\xff\xfe").decode()) == b"\xfb\xff\xfe"
    )


def test_a_verifier_without_slots_is_a_configuration_error(make_verifier: Build) -> None:
    with pytest.raises(SigningKeyError, match="no signing key configured"):
        make_verifier()


def test_a_bad_slot_fails_when_the_verifier_is_built(
    make_verifier: Build, key_pairs: dict[str, KeyPair]
) -> None:
    good = key_pairs["HS256"].slot()
    bad = slot("ES256", key_pairs["RS256"].material)
    with pytest.raises(SigningKeyError):
        make_verifier(good, bad)


def test_weak_keys_are_flagged_not_refused() -> None:
    assert load_verification_key(slot("HS256", b"x")).weak
    assert not load_verification_key(slot("HS256", b"x" * 32)).weak
