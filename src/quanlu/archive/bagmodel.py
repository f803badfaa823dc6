"""BagIt's vocabulary: findings, manifests, the report, digest algorithms and hashing, filepaths.

Part of the BagIt reader (see ``bagit.py``); standard library only, no Django, embedded in the
standalone verifier.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

CHUNK = 4 * 1024 * 1024
TAG_FILE_LIMIT = 512 * 1024 * 1024  # a larger "tag file" is refused, not read into memory

# Normalised algorithm names (RFC 8493 §2.4: lower case, non-alphanumerics removed) -> hashlib
# names. §2.4 requires SHA-256 and SHA-512 and asks for MD5 and SHA-1 for old bags; the rest are
# the other digests hashlib guarantees, plus SM3 (GB/T 32905) where OpenSSL provides it.
ALGORITHMS: dict[str, str] = {
    "md5": "md5",
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
    "sha3224": "sha3_224",
    "sha3256": "sha3_256",
    "sha3384": "sha3_384",
    "sha3512": "sha3_512",
    "blake2b": "blake2b",
    "blake2s": "blake2s",
    "sm3": "sm3",
}
WEAK_ALGORITHMS = {"md5", "sha1"}
KNOWN_VERSIONS = {"0.93", "0.94", "0.95", "0.96", "0.97", "1.0"}
# RFC 8493 §2.2.2: reserved labels that SHOULD NOT be repeated (Payload-Oxum MUST NOT be).
NOT_REPEATED = {"bagging-date", "bag-size", "bag-group-identifier", "bag-count", "payload-oxum"}
# Files that operating systems drop into folders by themselves (suite: special-system-files).
SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini", ".directory", "icon\r"}

_MANIFEST_RE = re.compile(r"^(tag)?manifest-(.+)\.txt$")
_HEX_RE = re.compile(r"^[0-9A-Fa-f]+$")
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_OXUM_RE = re.compile(r"^(\d+)\.(\d+)$")
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BAG_COUNT_RE = re.compile(r"^\d+ of (\d+|\?)$")
# RFC 8493 §2.2.2 for 1.0: label (no colon, not starting or ending with whitespace), a colon,
# ONE linear whitespace character, then the value.
_STRICT_TAG_RE = re.compile(r"^([^:\s](?:[^:]*[^:\s])?):[ \t](.*)$", re.DOTALL)
# Before 1.0 any run of whitespace around the colon is accepted and is not part of label or value.
_LOOSE_TAG_RE = re.compile(r"^[ \t]*([^:]*?)[ \t]*:[ \t]*(.*)$", re.DOTALL)
_LINE_SPLIT_RE = re.compile(r"\r\n|\r|\n")


def rfc(version: str, section: str) -> str:
    """The rule a finding cites: RFC 8493 for 1.0 bags, the 0.97 draft for older ones."""
    if version == "1.0" or not version:
        return f"RFC 8493 §{section}"
    return f"BagIt 0.97 (draft-kunze-bagit-14) §{section}"


# ---------------------------------------------------------------------------------------------
# Findings and the report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    level: str  # "error" (the bag is not valid) or "warning" (valid, but worth knowing)
    code: str  # stable, e.g. "manifest.checksum_mismatch"
    message: str  # Chinese, for the archivist
    file: str = ""  # bag-relative file concerned, "" for the bag as a whole
    line: int = 0  # 1-based line in ``file`` (or in the manifest that names ``file``), 0 if none
    rule: str = ""  # "RFC 8493 §2.1.3", "BagIt 0.97 ... §3", or a quanlu profile rule
    phase: str = "complete"  # "complete" (structure, presence) or "valid" (checksums)

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
        }


@dataclass
class Manifest:
    """One manifest file: ``entries`` maps decoded filepath -> (expected hex, line number)."""

    name: str
    kind: str  # "payload", "tag", or "extra" (a profile's own digest list, e.g. sm3sums.txt)
    algorithm: str
    entries: dict[str, tuple[str, int]] = field(default_factory=dict)
    rule: str = ""  # for "extra": what a mismatch is reported against

    @property
    def supported(self) -> bool:
        return hashlib_name(self.algorithm) is not None


@dataclass
class BagReport:
    path: str
    version: str = ""
    encoding: str = ""
    issues: list[Issue] = field(default_factory=list)
    info: list[tuple[str, str]] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)
    payload_files: int = 0
    payload_bytes: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0
    checksums_checked: bool = False
    # What a profile on top of BagIt adds to the report (e.g. the ledger summary), and lines
    # for people printed under the verdict.
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, level: str, code: str, message: str, **kw: Any) -> None:
        self.issues.append(Issue(level, code, message, **kw))

    def error(self, code: str, message: str, **kw: Any) -> None:
        self.add("error", code, message, **kw)

    def warn(self, code: str, message: str, **kw: Any) -> None:
        self.add("warning", code, message, **kw)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    @property
    def complete(self) -> bool:
        return not any(i.level == "error" and i.phase == "complete" for i in self.issues)

    @property
    def valid(self) -> bool:
        return self.checksums_checked and not self.errors

    def info_values(self, label: str) -> list[str]:
        wanted = label.lower()
        return [v for k, v in self.info if k.lower() == wanted]

    def as_dict(self) -> dict[str, Any]:
        return {
            "bag": self.path,
            "version": self.version,
            "encoding": self.encoding,
            "complete": self.complete,
            "valid": self.valid,
            "checksums_checked": self.checksums_checked,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "payload": {"files": self.payload_files, "bytes": self.payload_bytes},
            "hashed": {"files": self.files_hashed, "bytes": self.bytes_hashed},
            "manifests": [m.name for m in self.manifests if m.kind != "extra"],
            "issues": [i.as_dict() for i in self.issues],
            **self.extra,
        }


def hashlib_name(algorithm: str) -> str | None:
    name = ALGORITHMS.get(algorithm)
    if name is None:
        return None
    try:
        hashlib.new(name)
    except ValueError:  # e.g. SM3 on an OpenSSL built without it
        return None
    return name


def new_hash(algorithm: str) -> Any:
    name = hashlib_name(algorithm)
    if name is None:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    return hashlib.new(name)


# ---------------------------------------------------------------------------------------------
# Filepaths in manifests and fetch.txt
# ---------------------------------------------------------------------------------------------


def encode_path(path: str) -> str:
    """RFC 8493 §2.1.3: percent-encode CR, LF and % (and only those) in a manifest filepath."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(raw: str, version: str) -> tuple[str, str | None]:
    """Decode a manifest/fetch filepath; returns (path, problem or None).

    1.0 (RFC 8493 §2.1.3): %25, %0A and %0D are decoded; any other ``%`` is a literal percent
    sign that should have been written as %25. stricter: bagit-python decodes only %0A/%0D and
    accepts a bare ``%``. Before 1.0 only CR and LF were encoded, so ``%`` is literal (suite:
    v0.97/valid/bag-with-encoded-names has real files named ``%7Edir2`` and ``%test2.txt``).
    """
    if "%" not in raw:
        return raw, None
    out: list[str] = []
    problem = None
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "%":
            code = raw[i + 1 : i + 3].upper()
            if code in ("0A", "0D") or (code == "25" and version == "1.0"):
                out.append({"0A": "\n", "0D": "\r", "25": "%"}[code])
                i += 3
                continue
            if version == "1.0" and problem is None:
                problem = "percent"
        out.append(ch)
        i += 1
    return "".join(out), problem


def check_path(path: str) -> str | None:
    """Why a decoded bag-relative filepath is unsafe, or None. Never touches the disk."""
    if not path:
        return "empty"
    if "\x00" in path:
        return "nul"
    if path.startswith(("/", "\\\\")) or re.match(r"^[A-Za-z]:[\\/]", path):
        return "absolute"
    if path.startswith("~"):
        return "home"
    parts = path.split("/")
    if any(p == ".." for p in parts) or any(p == ".." for p in path.split("\\")):
        return "dotdot"
    if any(p in ("", ".") for p in parts):
        return "segment"
    return None


_PATH_PROBLEMS = {
    "empty": "文件路径为空",
    "nul": "文件路径含有 NUL 字符",
    "absolute": "文件路径是绝对路径（可能指向包外的任意文件）",
    "home": "文件路径以 ~ 开头（主目录简写，指向包外）",
    "dotdot": "文件路径含有 ..（指向上级目录，可能越出包外）",
    "segment": "文件路径含有空段或 . 段（如 a//b、a/./b）",
}


# ---------------------------------------------------------------------------------------------
# Hashing: one read of each file feeds every algorithm; algorithms and files run in parallel
# threads (hashlib and file I/O release the GIL), in fixed-size buffers.
# ---------------------------------------------------------------------------------------------


def digest_stream(
    read_into: Callable[[memoryview], int],
    algorithms: Iterable[str],
    pool: ThreadPoolExecutor | None = None,
    sink: Callable[[memoryview], None] | None = None,
    chunk: int = CHUNK,
    size_hint: int | None = None,
) -> tuple[dict[str, str], int]:
    """Read chunks with ``read_into`` until it returns 0, hash them with each algorithm and pass
    them to ``sink`` (e.g. a file write). With a ``pool``, chunk N is hashed while chunk N is
    written and chunk N+1 is read. Memory: two buffers of ``chunk`` bytes, whatever the size."""
    hashers = {name: new_hash(name) for name in algorithms}
    # Buffers no larger than the file: zero-filling 2 x 4 MiB for each small photo costs more
    # than hashing it.
    if size_hint is not None:
        chunk = max(64 * 1024, min(chunk, size_hint + 1))
    views = [memoryview(bytearray(chunk)), memoryview(bytearray(chunk))]
    pending: list[Future[Any]] = []
    size = 0
    turn = 0
    try:
        while True:
            view = views[turn & 1]
            n = read_into(view)
            for job in pending:
                job.result()
            pending = []
            if not n:
                break
            data = view[:n]
            if pool is not None:
                pending = [pool.submit(h.update, data) for h in hashers.values()]
            else:
                for h in hashers.values():
                    h.update(data)
            if sink is not None:
                sink(data)
            size += n
            turn += 1
    finally:
        for job in pending:  # never leave a thread reading a buffer we are done with
            job.exception()
    return {name: h.hexdigest() for name, h in hashers.items()}, size


def digest_file(
    path: str, algorithms: Iterable[str], pool: ThreadPoolExecutor | None = None
) -> tuple[dict[str, str], int]:
    with open(path, "rb", buffering=0) as fh:
        return digest_stream(fh.readinto, algorithms, pool, size_hint=os.fstat(fh.fileno()).st_size)
