"""The pending queue's authentication: between an event's write and its integration
(seconds, under ``quanlu serve``), the queued leaf hash is all that commits to it.
Someone who can edit the database could rewrite the event and its queued hash
together, and the sequencer would sign the forgery. So each queue entry carries an
HMAC-SHA256 under a key kept, like the signing keys, only in QUANLU_KEY_DIR
(``queue.key``, 0600): the sequencer and verify refuse an entry whose code does not
match, and a database editor without the key file cannot make one that does.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import uuid
from functools import lru_cache

from quanlu.ledger import keys

QUEUE_KEY_FILE = "queue.key"


@lru_cache(maxsize=4)
def _key(path: str) -> bytes:
    with open(path, encoding="ascii") as fh:
        text = fh.read().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise keys.KeyFileError(f"队列认证密钥文件格式不正确：{path}。") from exc
    if len(key) != 32:
        raise keys.KeyFileError(f"队列认证密钥文件格式不正确：{path}。")
    return key


def queue_key(*, create: bool = True) -> bytes:
    """The site's queue key, generated (0600) on first use. Several app hosts share
    one key file, like the signing keys."""
    path = keys.key_dir() / QUEUE_KEY_FILE
    if not path.exists():
        if not create:
            raise keys.KeyFileError(f"队列认证密钥文件缺失：{path}（QUANLU_KEY_DIR）。请从备份恢复。")
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
    return _key(str(path))


def mac(key: bytes, seq: int, uid: uuid.UUID | str, leaf_hash: bytes) -> bytes:
    uid_bytes = (uid if isinstance(uid, uuid.UUID) else uuid.UUID(str(uid))).bytes
    return hmac.new(key, seq.to_bytes(8, "big") + uid_bytes + bytes(leaf_hash), "sha256").digest()


def valid(key: bytes, seq: int, uid: uuid.UUID | str, leaf_hash: bytes, code: bytes) -> bool:
    return hmac.compare_digest(mac(key, seq, uid, leaf_hash), bytes(code))
