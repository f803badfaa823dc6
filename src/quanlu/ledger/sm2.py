"""Optional 国密 signature on checkpoints: SM2 with SM3 (GB/T 32918, GM/T 0003), as an extra
signed-note line.

C2SP assigns no signature type to SM2, so the key uses the ``0xff`` type followed by a
long identifier (as signed-note recommends); standard verifiers ignore such a line,
国密 verifiers check it. The key ID is SHA-256(name ‖ 0x0A ‖ SM2_TYPE ‖ public key)[:4].
The signature is the DER ``SEQUENCE{r, s}`` over the note text with the default signer
ID ``1234567812345678`` (GM/T 0009).

The arithmetic is GmSSL's (C, via the ``gmssl-pyx`` package, optional extra ``gm``),
whose nonces come from the system RNG. The pure-Python ``gmssl`` package is NOT used:
its default SM2 nonce comes from ``random.choice``, which leaks private keys.
No Django here: part of the standalone verifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quanlu.ledger.note import NoteError, check_key_name, key_id

SM2_TYPE = b"\xff" + b"c2sp-sm2-sm3/v1@quanlu"
PUBLIC_KEY_SIZE = 65  # 0x04 ‖ x ‖ y
PRIVATE_KEY_SIZE = 32
MAX_DER_SIGNATURE = 72


def _lib() -> Any:
    try:
        import gmssl_pyx
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise NoteError(
            "未安装国密算法库（gmssl-pyx），无法使用 SM2 签名；请安装 quanlu[gm]。", "sm2_unavailable"
        ) from exc
    return gmssl_pyx


def available() -> bool:
    try:
        _lib()
    except NoteError:
        return False
    return True


@dataclass(frozen=True)
class SM2Verifier:
    name: str
    public_key: bytes  # 65 bytes, uncompressed
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        if len(self.public_key) != PUBLIC_KEY_SIZE or self.public_key[0] != 4:
            raise NoteError("SM2 公钥应为 65 字节的非压缩点。", "bad_vkey")
        object.__setattr__(self, "key_id", key_id(self.name, SM2_TYPE + self.public_key))

    def verify(self, msg: bytes, sig: bytes) -> bool:
        if not 8 <= len(sig) <= MAX_DER_SIGNATURE:
            return False
        lib = _lib()
        try:
            point = lib.normalize_sm2_public_key(self.public_key)
            return bool(lib.sm2_verify(point, msg, sig))
        except lib.GmsslInnerError:
            return False

    @property
    def vkey(self) -> str:
        import base64

        return f"{self.name}+{self.key_id:08x}+{base64.b64encode(SM2_TYPE + self.public_key).decode()}"


@dataclass(frozen=True)
class SM2Signer:
    name: str
    private_key: bytes = field(repr=False)
    public_key: bytes
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.private_key) != PRIVATE_KEY_SIZE:
            raise NoteError("SM2 私钥应为 32 字节。", "bad_key")
        object.__setattr__(self, "key_id", key_id(self.name, SM2_TYPE + self.public_key))

    def sign(self, msg: bytes) -> bytes:
        lib = _lib()
        signature: bytes = lib.sm2_sign(self.private_key, self.public_key[1:], msg)
        return signature

    def verifier(self) -> SM2Verifier:
        return SM2Verifier(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return self.verifier().vkey

    @property
    def skey(self) -> str:
        import base64

        raw = SM2_TYPE + self.private_key + self.public_key
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{base64.b64encode(raw).decode()}"


def generate(name: str) -> SM2Signer:
    public, private = _lib().sm2_key_generate()
    return SM2Signer(check_key_name(name), bytes(private), b"\x04" + bytes(public))


def verifier_from_typed_key(name: str, raw: bytes) -> SM2Verifier:
    if not raw.startswith(SM2_TYPE) or len(raw) != len(SM2_TYPE) + PUBLIC_KEY_SIZE:
        raise NoteError("不支持的签名算法类型（0xff 之后的标识未知）。", "unknown_algorithm")
    return SM2Verifier(name, raw[len(SM2_TYPE) :])


def signer_from_typed_key(name: str, raw: bytes) -> SM2Signer:
    body = raw[len(SM2_TYPE) :]
    if not raw.startswith(SM2_TYPE) or len(body) != PRIVATE_KEY_SIZE + PUBLIC_KEY_SIZE:
        raise NoteError("不支持的私钥类型。", "bad_skey")
    return SM2Signer(name, body[:PRIVATE_KEY_SIZE], body[PRIVATE_KEY_SIZE:])
