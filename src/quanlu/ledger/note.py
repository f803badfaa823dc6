"""C2SP signed notes, checkpoints and cosignatures, compatible with Go's sumdb/note.

No Django here: the archive ships this module as part of the standalone verifier.
It needs only ``cryptography`` (Ed25519) and, for the optional 国密 signature, the
``sm2`` module beside it.

* signed-note (c2sp.org/signed-note): ``parse_note``, ``open_note``, ``sign_note``;
  keys in Go's text forms: vkey ``name+hex8(id)+base64(type‖pub)`` and
  ``PRIVATE+KEY+name+hex8(id)+base64(0x01‖seed)``.
* tlog-checkpoint: ``Checkpoint`` (origin, size, root) and its body text.
* tlog-cosignature v1 (type 0x04): ``CosignatureSigner`` / ``CosignatureVerifier``;
  the signed message is ``cosignature/v1\\ntime <t>\\n`` + the checkpoint body.

Errors are ``NoteError`` with a stable ``code`` and a Chinese message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
ALG_UNASSIGNED = 0xFF

SIG_PREFIX = "— "  # U+2014 EM DASH, space
# C2SP requires accepting at least 16 signatures; Go's note package stops at 100.
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 20
HASH_SIZE = 32


class NoteError(ValueError):
    """A malformed or unverifiable note, key or checkpoint. ``str()`` is the Chinese message."""

    def __init__(self, message: str, code: str = "note_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- keys --------------------------------------------------------------------------------


def key_id(name: str, typed_public_key: bytes) -> int:
    """SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian (the C2SP recommendation)."""
    digest = hashlib.sha256(name.encode() + b"\n" + typed_public_key).digest()
    return int.from_bytes(digest[:4], "big")


def check_key_name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise NoteError("密钥名称不能为空。", "bad_key_name")
    if "+" in name or any(ch.isspace() or unicodedata.category(ch) == "Zs" for ch in name):
        raise NoteError(f"密钥名称「{name}」不能含有空白或“+”。", "bad_key_name")
    if any(ord(ch) < 0x20 for ch in name):
        raise NoteError("密钥名称含有控制字符。", "bad_key_name")
    return name


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise NoteError(f"{what}不是有效的 base64 编码。", "bad_base64") from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Verifier(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    @property
    def vkey(self) -> str: ...

    def verify(self, msg: bytes, sig: bytes) -> bool: ...


class Signer(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    @property
    def vkey(self) -> str: ...

    @property
    def skey(self) -> str: ...

    def sign(self, msg: bytes) -> bytes: ...


@dataclass(frozen=True)
class Ed25519Verifier:
    name: str
    public_key: bytes  # 32 bytes
    key_id: int = field(init=False)
    alg: int = ALG_ED25519

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", key_id(self.name, bytes([self.alg]) + self.public_key))

    def verify(self, msg: bytes, sig: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(sig, msg)
        except (InvalidSignature, ValueError):
            return False
        return True

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{_b64(bytes([self.alg]) + self.public_key)}"


@dataclass(frozen=True)
class Ed25519Signer:
    name: str
    seed: bytes = field(repr=False)  # 32 bytes; never printed
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.seed) != 32:
            raise NoteError("Ed25519 私钥应为 32 字节。", "bad_key")
        object.__setattr__(self, "key_id", key_id(self.name, bytes([ALG_ED25519]) + self.public_key))

    @property
    def public_key(self) -> bytes:
        return (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )

    def sign(self, msg: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(msg)

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return self.verifier().vkey

    @property
    def skey(self) -> str:
        """Go's private key text. A secret: write it only to a 0600 key file."""
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{_b64(bytes([ALG_ED25519]) + self.seed)}"


def generate_ed25519(name: str) -> Ed25519Signer:
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return Ed25519Signer(check_key_name(name), seed)


def parse_vkey(vkey: str) -> Verifier:
    """A verifier key in Go's text form: Ed25519 (0x01), cosignature (0x04) or the 国密 SM2 type."""
    if not isinstance(vkey, str):
        raise NoteError("验证公钥应为文字。", "bad_vkey")
    vkey = vkey.strip()
    parts = vkey.split("+", 2)
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise NoteError("验证公钥格式不正确（应为 名称+8位十六进制标识+base64）。", "bad_vkey")
    name, hex_id, b64 = parts
    check_key_name(name)
    raw = _b64decode(b64, "验证公钥")
    if not raw:
        raise NoteError("验证公钥为空。", "bad_vkey")
    if key_id(name, raw) != int(hex_id, 16):
        raise NoteError("验证公钥的密钥标识与公钥内容不符。", "bad_vkey")
    alg = raw[0]
    verifier: Verifier
    if alg in (ALG_ED25519, ALG_COSIGNATURE_V1):
        if len(raw) != 33:
            raise NoteError("Ed25519 公钥应为 32 字节。", "bad_vkey")
        verifier = (
            Ed25519Verifier(name, raw[1:]) if alg == ALG_ED25519 else CosignatureVerifier(name, raw[1:])
        )
    elif alg == ALG_UNASSIGNED:
        from quanlu.ledger import sm2

        verifier = sm2.verifier_from_typed_key(name, raw)
    else:
        raise NoteError(f"不支持的签名算法类型 0x{alg:02x}。", "unknown_algorithm")
    return verifier


def parse_skey(skey: str) -> Signer:
    """A private key in Go's text form (``PRIVATE+KEY+name+id+base64``), Ed25519 or SM2."""
    if not isinstance(skey, str):
        raise NoteError("私钥应为文字。", "bad_skey")
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not re.fullmatch(r"[0-9a-f]{8}", parts[3]):
        raise NoteError("私钥格式不正确。", "bad_skey")
    name, hex_id, b64 = parts[2], parts[3], parts[4]
    check_key_name(name)
    raw = _b64decode(b64, "私钥")
    signer: Signer
    if raw[:1] == bytes([ALG_ED25519]) and len(raw) == 33:
        signer = Ed25519Signer(name, raw[1:])
    elif raw[:1] == bytes([ALG_COSIGNATURE_V1]) and len(raw) == 33:
        signer = CosignatureSigner(name, raw[1:])
    elif raw[:1] == bytes([ALG_UNASSIGNED]):
        from quanlu.ledger import sm2

        signer = sm2.signer_from_typed_key(name, raw)
    else:
        raise NoteError("不支持的私钥类型。", "bad_skey")
    if signer.key_id != int(hex_id, 16):
        raise NoteError("私钥的密钥标识与私钥内容不符。", "bad_skey")
    return signer


# --- signed notes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: int
    sig: bytes  # without the 4-byte key id

    @property
    def line(self) -> str:
        return f"{SIG_PREFIX}{self.name} {_b64(self.key_id.to_bytes(4, 'big') + self.sig)}\n"


@dataclass(frozen=True)
class Note:
    text: str  # ends in "\n"
    sigs: tuple[Signature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line for s in self.sigs)

    def with_signatures(self, extra: Iterable[Signature]) -> Note:
        seen = {(s.name, s.key_id) for s in self.sigs}
        added = [s for s in extra if (s.name, s.key_id) not in seen]
        return Note(self.text, self.sigs + tuple(added))


def _check_text(msg: str, what: str) -> None:
    for ch in msg:
        if ch != "\n" and ord(ch) < 0x20:
            raise NoteError(f"{what}含有不允许的控制字符。", "malformed_note")


def parse_note(msg: str | bytes) -> Note:
    """Split a signed note into text and signatures, checking only its form."""
    if isinstance(msg, bytes | bytearray):
        if len(msg) > MAX_NOTE_BYTES:
            raise NoteError("签名文本过长。", "note_too_large")
        try:
            msg = bytes(msg).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("签名文本不是有效的 UTF-8。", "malformed_note") from exc
    if not isinstance(msg, str):
        raise NoteError("签名文本应为文字。", "malformed_note")
    if len(msg.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise NoteError("签名文本过长。", "note_too_large")
    _check_text(msg, "签名文本")
    split = msg.rfind("\n\n")
    if split < 0:
        raise NoteError("签名文本缺少签名部分（正文与签名之间应有一个空行）。", "malformed_note")
    text, block = msg[: split + 1], msg[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("签名文本缺少签名行，或签名行未以换行结束。", "malformed_note")
    sigs: list[Signature] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise NoteError("签名部分含有不是签名行的内容。", "malformed_note")
        body = line[len(SIG_PREFIX) :]
        name, sep, b64 = body.partition(" ")
        if not sep:
            raise NoteError("签名行格式不正确（应为 —␠名称␠base64）。", "malformed_note")
        try:
            check_key_name(name)
        except NoteError as exc:
            raise NoteError(f"签名行的密钥名称无效：{exc.message}", "malformed_note") from exc
        raw = _b64decode(b64, "签名")
        if len(raw) < 5:
            raise NoteError("签名过短。", "malformed_note")
        sigs.append(Signature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
        if len(sigs) > MAX_SIGNATURES:
            raise NoteError(f"签名过多（超过 {MAX_SIGNATURES} 个）。", "malformed_note")
    return Note(text, tuple(sigs))


@dataclass(frozen=True)
class OpenedNote:
    note: Note
    verified: tuple[Signature, ...]  # the signatures by known keys, all valid
    unknown: tuple[Signature, ...]  # signatures by keys not given (ignored, as C2SP requires)


def open_note(msg: str | bytes | Note, verifiers: Sequence[Verifier]) -> OpenedNote:
    """Verify a note with the known keys. Signatures by unknown keys are ignored; a
    signature by a known key that fails rejects the whole note; at least one known
    key must have signed."""
    note = msg if isinstance(msg, Note) else parse_note(msg)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: list[Signature] = []
    unknown: list[Signature] = []
    seen: set[tuple[str, int]] = set()
    text = note.text.encode("utf-8")
    for sig in note.sigs:
        ident = (sig.name, sig.key_id)
        verifier = known.get(ident)
        if verifier is None:
            unknown.append(sig)
            continue
        if ident in seen:
            continue
        seen.add(ident)
        if not verifier.verify(text, sig.sig):
            raise NoteError(f"「{sig.name}」（密钥标识 {sig.key_id:08x}）的签名无效。", "invalid_signature")
        verified.append(sig)
    if not verified:
        names = "、".join(sorted({f"{s.name}+{s.key_id:08x}" for s in note.sigs})) or "无"
        raise NoteError(f"没有来自已知密钥的有效签名（签名者：{names}）。", "unknown_key")
    return OpenedNote(note, tuple(verified), tuple(unknown))


def sign_note(text: str, signers: Sequence[Signer]) -> Note:
    if not text.endswith("\n"):
        raise NoteError("签名正文必须以换行结束。", "malformed_note")
    _check_text(text, "签名正文")
    data = text.encode("utf-8")
    return Note(text, tuple(Signature(s.name, s.key_id, s.sign(data)) for s in signers))


# --- checkpoints (c2sp.org/tlog-checkpoint) ------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        lines = [self.origin, str(self.size), _b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @property
    def root_hex(self) -> str:
        return self.root.hex()


_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint in a note's text (origin, decimal size, base64 root, extension lines)."""
    if not text.endswith("\n"):
        raise NoteError("检查点正文必须以换行结束。", "malformed_checkpoint")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("检查点至少应有三行：来源、树大小、根哈希。", "malformed_checkpoint")
    origin, size_text, root_text, *ext = lines
    if not origin:
        raise NoteError("检查点的来源（origin）为空。", "malformed_checkpoint")
    if not _SIZE_RE.fullmatch(size_text) or int(size_text) > 2**63 - 1:
        raise NoteError("检查点的树大小应为不带前导零的十进制数。", "malformed_checkpoint")
    root = _b64decode(root_text, "检查点的根哈希")
    if len(root) != HASH_SIZE:
        raise NoteError(
            f"检查点的根哈希应为 {HASH_SIZE} 字节（现为 {len(root)} 字节）。", "malformed_checkpoint"
        )
    if any(not line for line in ext):
        raise NoteError("检查点的扩展行不能为空。", "malformed_checkpoint")
    return Checkpoint(origin, int(size_text), root, tuple(ext))


# --- cosignatures (c2sp.org/tlog-cosignature, type 0x04) ----------------------------------


def cosignature_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode("utf-8")


@dataclass(frozen=True)
class CosignatureVerifier:
    """Checks ``u64be timestamp ‖ Ed25519(cosignature/v1 message)`` over a checkpoint text."""

    name: str
    public_key: bytes
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_id", key_id(self.name, bytes([ALG_COSIGNATURE_V1]) + self.public_key))

    def timestamp(self, sig: bytes) -> int:
        if len(sig) != 8 + 64:
            raise NoteError("副署签名长度不正确。", "malformed_cosignature")
        return int(struct.unpack(">Q", sig[:8])[0])

    def verify(self, msg: bytes, sig: bytes) -> bool:
        if len(sig) != 72:
            return False
        ts = self.timestamp(sig)
        try:
            text = msg.decode("utf-8")
        except UnicodeDecodeError:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(sig[8:], cosignature_message(text, ts))
        except (InvalidSignature, ValueError):
            return False
        return True

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{_b64(bytes([ALG_COSIGNATURE_V1]) + self.public_key)}"


@dataclass(frozen=True)
class CosignatureSigner:
    name: str
    seed: bytes = field(repr=False)
    key_id: int = field(init=False)
    timestamp: int | None = None  # fixed time for reproducible tests; None = now

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.seed) != 32:
            raise NoteError("Ed25519 私钥应为 32 字节。", "bad_key")
        object.__setattr__(self, "key_id", key_id(self.name, bytes([ALG_COSIGNATURE_V1]) + self.public_key))

    @property
    def public_key(self) -> bytes:
        return (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )

    def sign(self, msg: bytes) -> bytes:
        import time

        ts = self.timestamp if self.timestamp is not None else int(time.time())
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(
            cosignature_message(msg.decode("utf-8"), ts)
        )
        return struct.pack(">Q", ts) + signature

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return self.verifier().vkey

    @property
    def skey(self) -> str:
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{_b64(bytes([ALG_COSIGNATURE_V1]) + self.seed)}"


def generate_cosigner(name: str) -> CosignatureSigner:
    signer = generate_ed25519(name)
    return CosignatureSigner(signer.name, signer.seed)
