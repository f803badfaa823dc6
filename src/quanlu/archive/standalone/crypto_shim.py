"""The few names of ``cryptography`` that ledger/note.py imports, for the standalone verifier.

Inside ``verify_package.py`` this module is registered as ``cryptography`` and its submodules,
so note.py (embedded verbatim) verifies Ed25519 signatures with the pure-Python RFC 8032 code
of archive/ed25519.py instead. Verification only: the signing names exist because note.py
imports them, and refuse to be used.

Standard library only, no Django.
"""

from __future__ import annotations

from typing import Any

try:  # in the source tree (tests)
    from quanlu.archive import ed25519
except ImportError:  # pragma: no cover - inside the standalone verifier
    import ed25519  # type: ignore[no-redef]


class InvalidSignature(Exception):
    pass


class Ed25519PublicKey:
    def __init__(self, raw: bytes) -> None:
        self._raw = bytes(raw)

    @classmethod
    def from_public_bytes(cls, data: bytes) -> Ed25519PublicKey:
        if len(data) != 32:
            raise ValueError("An Ed25519 public key is 32 bytes long")
        return cls(data)

    def verify(self, signature: bytes, data: bytes) -> None:
        if not ed25519.verify(self._raw, bytes(signature), bytes(data)):
            raise InvalidSignature()

    def public_bytes_raw(self) -> bytes:
        return self._raw


class Ed25519PrivateKey:
    """Present because note.py names it; the offline verifier never signs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("离线校验程序只验证签名，不能签名。")

    @classmethod
    def generate(cls) -> Ed25519PrivateKey:
        raise NotImplementedError("离线校验程序只验证签名，不能签名。")

    @classmethod
    def from_private_bytes(cls, data: bytes) -> Ed25519PrivateKey:
        raise NotImplementedError("离线校验程序只验证签名，不能签名。")


class _Names:
    """Enum stand-ins (Encoding.Raw, PublicFormat.Raw, ...): named, never used to encode."""

    Raw = "Raw"


class Encoding(_Names):
    pass


class PublicFormat(_Names):
    pass


class PrivateFormat(_Names):
    pass


class NoEncryption:
    pass


# The module names note.py imports from, all served by this one module.
ALIASES = (
    "cryptography",
    "cryptography.exceptions",
    "cryptography.hazmat",
    "cryptography.hazmat.primitives",
    "cryptography.hazmat.primitives.asymmetric",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
    "cryptography.hazmat.primitives.serialization",
)
