"""The officers' field signing keys: ECDSA P-256, made by the browser's WebCrypto.

WebCrypto signs with ``{name: "ECDSA", hash: "SHA-256"}`` and returns the raw
r‖s pair (IEEE P1363, 64 bytes); ``cryptography`` verifies DER, so the pair is
re-encoded here. The public key arrives as SubjectPublicKeyInfo DER."""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


class KeyError_(ValueError):
    """A key or signature that is not what it should be."""


def load_public_key(spki_der: bytes) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_der_public_key(spki_der)
    except ValueError as exc:
        raise KeyError_("not a public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyError_("not a P-256 key")
    return key


def fingerprint(spki_der: bytes) -> str:
    return hashlib.sha256(spki_der).hexdigest()


def verify(spki_der: bytes, raw_signature: bytes, data: bytes) -> None:
    """Raise KeyError_ unless ``raw_signature`` (r‖s) signs ``data`` under the key."""
    if len(raw_signature) != 64:
        raise KeyError_("an ECDSA P-256 signature is 64 bytes (r‖s)")
    r = int.from_bytes(raw_signature[:32], "big")
    s = int.from_bytes(raw_signature[32:], "big")
    try:
        load_public_key(spki_der).verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise KeyError_("signature does not verify") from exc
