"""``write_bag``: write a BagIt 1.0 bag (RFC 8493) from files whose digests are mostly known.

Why not bagit-python's ``make_bag``: it converts a folder *in place* (moving the caller's files),
changes the process's working directory (not thread-safe), writes ``BagIt-Version: 0.97`` and
hashes every byte again. Here:

- each payload file is read once and written once; digests known from ingest (SHA-256 and SM3 in
  the blob store) are reused, never recomputed; a digest that is not known is computed from the
  very buffer that is written, in the same pass, on another core;
- when every digest is known, the bytes are copied by the kernel (``copy_file_range``), exactly
  as ``cp`` does: no user-space pass at all. (A digest taken from ingest also means corruption of a
  stored blob since ingest shows up as an invalid bag instead of being hashed into a valid one.)
- the bag is built in a temporary folder beside the target and renamed into place at the end,
  refusing to replace anything (``renameat2(RENAME_NOREPLACE)``): a failure (full disk, an
  exception, a missing source) leaves nothing behind, and an existing target is never touched;
- memory is a few fixed buffers per worker, whatever the file sizes.

Standard library only, no Django, so the writer can also run in a worker or a script.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from quanlu.archive import bagit
from quanlu.archive.package import SM3_LIST

PAYLOAD_ALGORITHMS = ("sha256", "sha512")
COMPUTED_LABELS = {"payload-oxum", "bag-size"}
_FORBIDDEN_NAME_CHARS = set('\\:*?"<>|')  # not portable to Windows file systems
_LABEL_RE = re.compile(r"^[^:\s](?:[^:\r\n]*[^:\s])?$")


class BagWriteError(Exception):
    """The bag could not be written; nothing was left behind. ``message`` is Chinese."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class PayloadFile:
    """One file to put in the bag.

    ``path`` is relative to ``data/`` (e.g. ``文书/01-立案审批表.pdf``). ``digests`` are those
    already known, lower-case hex by algorithm (``sha256``, ``sha512``, ``sm3``); ``size``, when
    given, is checked against the bytes copied. ``source`` is a file to copy; or ``data``, small
    bytes made for the package (ledger proofs), written straight into it.
    """

    source: str | os.PathLike[str] | None
    path: str
    digests: Mapping[str, str] = field(default_factory=dict)
    size: int | None = None
    data: bytes | None = None


@dataclass
class WrittenBag:
    path: Path
    files: int
    bytes: int
    payload_oxum: str
    bag_size: str
    digests: dict[str, dict[str, str]]  # bag path (data/...) -> algorithm -> hex
    tag_digests: dict[str, dict[str, str]]  # tag file -> algorithm -> hex
    bytes_hashed: dict[str, int]  # algorithm -> bytes this run hashed (0 = all reused)
    seal: dict[str, str]  # tagmanifest file -> its own digest (by its algorithm): seals the whole bag


def human_size(n: int) -> str:
    """Bag-Size (RFC 8493 §2.2.2) is human-readable, e.g. "260 GB"; decimal units."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _clean_payload_path(raw: str) -> str:
    path = unicodedata.normalize("NFC", raw.strip().strip("/"))
    if not path:
        raise BagWriteError("有效载荷文件的路径为空。", "bad_path")
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise BagWriteError(f"有效载荷路径「{raw}」含有空段、. 或 ..。", "bad_path")
        if any(ord(ch) < 32 or ch in _FORBIDDEN_NAME_CHARS for ch in part):
            raise BagWriteError(
                f'有效载荷路径「{raw}」含有控制字符或 \\ : * ? " < > | 之一，不能在各种文件系统间通用。',
                "bad_path",
            )
        if "%" in part:
            # RFC 8493 §2.1.3 would have us write it as %25, and we can read that; bagit-python
            # 1.9.0 does not decode %25 and would call such a bag incomplete. Packages must pass
            # both, so the name is refused (dossier assembly writes a full-width ％ instead).
            raise BagWriteError(f"有效载荷路径「{raw}」含有 %，请改用全角「％」。", "bad_path")
        if part != part.strip() or part.endswith("."):
            raise BagWriteError(f"有效载荷路径「{raw}」的某一段首尾有空格或以点结尾。", "bad_path")
        if len(part.encode("utf-8")) > 255:
            raise BagWriteError(f"有效载荷路径「{raw}」的某一段超过 255 字节。", "bad_path")
    return path


def _clean_digests(digests: Mapping[str, str], where: str) -> dict[str, str]:
    clean: dict[str, str] = {}
    for algorithm, value in digests.items():
        if algorithm not in bagit.ALGORITHMS:
            raise BagWriteError(f"{where}：不认识的摘要算法 {algorithm}。", "bad_digest")
        value = (value or "").strip().lower()
        length = bagit.new_hash(algorithm).digest_size * 2 if bagit.hashlib_name(algorithm) else None
        if not re.fullmatch(r"[0-9a-f]+", value) or (length is not None and len(value) != length):
            raise BagWriteError(f"{where}：{algorithm} 摘要「{value}」格式不正确。", "bad_digest")
        clean[algorithm] = value
    return clean


def _clean_bag_info(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    clean: list[tuple[str, str]] = []
    for label, value in items:
        if not isinstance(label, str) or not _LABEL_RE.match(label):
            raise BagWriteError(
                f"bag-info 标签「{label}」不合规：不得含冒号、换行，首尾不得有空白。", "bad_label"
            )
        if label.lower() in COMPUTED_LABELS:
            raise BagWriteError(f"{label} 由写包程序计算，不能由调用方给出。", "bad_label")
        value = "" if value is None else str(value)
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in value.replace("\r\n", "\n")):
            raise BagWriteError(f"bag-info「{label}」的取值含有控制字符。", "bad_label")
        clean.append((label, value.replace("\r\n", "\n").replace("\r", "\n")))
    return clean


def format_bag_info(items: Sequence[tuple[str, str]]) -> bytes:
    """``Label: value``, one space after the colon; a multi-line value continues on lines
    indented by two spaces (RFC 8493 §2.2.2)."""
    lines = []
    for label, value in items:
        first, *rest = value.split("\n")
        lines.append(f"{label}: {first}")
        lines.extend(f"  {more}" for more in rest)
    return ("\n".join(lines) + "\n").encode("utf-8")


def format_manifest(entries: Mapping[str, str]) -> bytes:
    """Sorted ``checksum  filepath`` lines, filepaths percent-encoded (RFC 8493 §2.1.3)."""
    return "".join(f"{entries[p]}  {bagit.encode_path(p)}\n" for p in sorted(entries)).encode("utf-8")


# --- copying -----------------------------------------------------------------------------------


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _kernel_copy(src: int, dst: int) -> int:
    """Copy a whole file in the kernel (as cp does); falls back to sendfile, then read/write."""
    copied = 0
    try:
        while True:
            n = os.copy_file_range(src, dst, 1 << 30)
            if n == 0:
                return copied
            copied += n
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP) or copied:
            raise
    buf = memoryview(bytearray(bagit.CHUNK))
    while True:
        n = os.readv(src, [buf])
        if not n:
            return copied
        _write_all(dst, buf[:n])
        copied += n


SMALL = 4 * 1024 * 1024  # files up to this size are fsynced at once, while still open


def _write_data(target: Path, data: bytes, missing: list[str]) -> tuple[dict[str, str], int]:
    computed = {}
    for algorithm in missing:
        h = bagit.new_hash(algorithm)
        h.update(data)
        computed[algorithm] = h.hexdigest()
    dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        _write_all(dst, memoryview(data))
        os.fsync(dst)
    finally:
        os.close(dst)
    return computed, len(data)


def _copy_one(
    item: tuple[Path | bytes, Path, list[str]], hash_pool: ThreadPoolExecutor | None
) -> tuple[dict[str, str], int]:
    source, target, missing = item
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if isinstance(source, bytes):
        return _write_data(target, source, missing)
    src = os.open(source, os.O_RDONLY)
    try:
        dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if not missing:
                computed: dict[str, str] = {}
                copied = _kernel_copy(src, dst)
            else:
                computed, copied = bagit.digest_stream(
                    lambda view: os.readv(src, [view]),
                    missing,
                    hash_pool,
                    sink=lambda data: _write_all(dst, data),
                    size_hint=os.fstat(src).st_size,
                )
            if copied <= SMALL:
                os.fsync(dst)
            return computed, copied
        finally:
            os.close(dst)
    finally:
        os.close(src)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rename_noreplace(src: Path, dst: Path) -> None:
    """Atomically rename ``src`` to ``dst``, failing if ``dst`` exists (even if an empty
    directory appeared there meanwhile, which plain rename(2) would silently replace)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        at_fdcwd, rename_noreplace = -100, 1
        if renameat2(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dst), rename_noreplace) == 0:
            return
        err = ctypes.get_errno()
        if err == errno.EEXIST:
            raise FileExistsError(err, os.strerror(err), str(dst))
        if err not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(err, os.strerror(err), str(dst))
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    os.rename(src, dst)


# --- the writer --------------------------------------------------------------------------------


def write_bag(
    target_dir: str | os.PathLike[str],
    files: Iterable[PayloadFile],
    bag_info: Iterable[tuple[str, str]],
    *,
    algorithms: Sequence[str] = PAYLOAD_ALGORITHMS,
    sm3_list: bool = True,
    tag_files: Mapping[str, bytes] | None = None,
    bagging_date: dt.date | None = None,
    workers: int | None = None,
    check_space: bool = True,
) -> WrittenBag:
    """Write a new bag at ``target_dir`` (which must not exist) and return what was written.

    ``bag_info`` is (label, value) pairs in order; Payload-Oxum and Bag-Size are computed, and
    Bagging-Date is added (today, or ``bagging_date``) unless given. Payload manifests and tag
    manifests are written for each of ``algorithms``; with ``sm3_list``, an SM3 digest list of
    the payload (``sm3sums.txt``) is added as a tag file covered by the tag manifests.
    """
    target = Path(target_dir).absolute()
    if os.path.lexists(target):
        raise BagWriteError(f"目标位置 {target} 已存在，不会覆盖。", "target_exists")
    if not target.parent.is_dir():
        raise BagWriteError(f"目标位置的上级目录 {target.parent} 不存在。", "no_parent")
    algorithms, needed = _algorithms(algorithms, sm3_list)
    info = _clean_bag_info(bag_info)
    extra_tags = _extra_tags(tag_files)

    plan = _plan(files)
    octets = sum(size for _, _, _, size in plan)
    if check_space:
        vfs = os.statvfs(target.parent)
        free = vfs.f_bavail * vfs.f_frsize
        if octets + 1024 * 1024 > free:
            raise BagWriteError(
                f"目标磁盘空间不足：需要约 {human_size(octets)}，可用 {human_size(free)}。", "no_space"
            )

    tmp = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:12]}"
    n_workers = max(1, workers or min(4, os.cpu_count() or 1))
    try:
        os.mkdir(tmp, 0o700)  # the agency's records: the owner's alone, whatever the umask
        (tmp / "data").mkdir(mode=0o700)
        digests, hashed = _copy_payload(tmp, plan, needed, n_workers)
        oxum = f"{octets}.{len(plan)}"
        size_text = human_size(octets)
        labels = {label.lower() for label, _ in info}
        if "bagging-date" not in labels:
            info.append(
                ("Bagging-Date", (bagging_date or dt.datetime.now(dt.UTC).astimezone().date()).isoformat())
            )
        info += [("Payload-Oxum", oxum), ("Bag-Size", size_text)]
        tags, tag_digests, seal = _tag_files(info, digests, algorithms, sm3_list, extra_tags)
        _write_tags(tmp, tags)
        try:
            _rename_noreplace(tmp, target)
        except FileExistsError as exc:
            raise BagWriteError(f"目标位置 {target} 已存在，不会覆盖。", "target_exists") from exc
        _fsync_path(target.parent)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise BagWriteError(
                f"目标磁盘空间已满，写包中止，未留下任何文件：{exc.strerror}。", "no_space"
            ) from exc
        if isinstance(exc, OSError) and not isinstance(exc, BagWriteError):
            raise BagWriteError(f"写包失败，未留下任何文件：{exc}。", "io_error") from exc
        raise
    return WrittenBag(
        path=target,
        files=len(plan),
        bytes=octets,
        payload_oxum=oxum,
        bag_size=size_text,
        digests=digests,
        tag_digests=tag_digests,
        bytes_hashed=hashed,
        seal=seal,
    )


def _algorithms(algorithms: Sequence[str], sm3_list: bool) -> tuple[list[str], list[str]]:
    """The manifests' algorithms, once each, and all the digests the bag needs (SM3 too for
    the SM3 list), every one available here."""
    algorithms = list(dict.fromkeys(algorithms))
    if not algorithms:
        raise BagWriteError("至少需要一种清单算法。", "bad_digest")
    needed = algorithms + (["sm3"] if sm3_list else [])
    for algorithm in needed:
        if bagit.hashlib_name(algorithm) is None:
            raise BagWriteError(f"本机的 Python/OpenSSL 不支持 {algorithm} 算法。", "algorithm_unavailable")
    return algorithms, needed


def _extra_tags(tag_files: Mapping[str, bytes] | None) -> dict[str, bytes]:
    """Extra tag files, none named like a file the bag writes itself or outside the bag."""
    extra_tags = dict(tag_files or {})
    reserved = {"bagit.txt", "bag-info.txt", "fetch.txt", SM3_LIST}
    for name in extra_tags:
        if (
            name in reserved
            or name.startswith(("manifest-", "tagmanifest-", "data/"))
            or bagit.check_path(name)
        ):
            raise BagWriteError(f"附加标签文件名「{name}」不可用。", "bad_path")
    return extra_tags


def _write_tags(tmp: Path, tags: dict[str, bytes]) -> None:
    """Write the tag files (0600, each fsynced), then fsync every folder of the bag, deepest first."""
    for name, body in tags.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
    for directory in sorted({p.parent for p in tmp.rglob("*")} | {tmp}, key=lambda p: -len(p.parts)):
        _fsync_path(directory)


# A payload file to write: the file, its path in the bag, the digests known of it, its size.
Planned = tuple[PayloadFile, str, dict[str, str], int]


def _plan(files: Iterable[PayloadFile]) -> list[Planned]:
    """Clean paths, refuse duplicates and names that collide on other file systems, and check
    each source file is there with the size it was registered with."""
    plan: list[Planned] = []
    seen: dict[str, str] = {}
    for item in files:
        rel = _clean_payload_path(item.path)
        key = rel.casefold()
        if key in seen:
            raise BagWriteError(
                f"有效载荷路径「{item.path}」与「{seen[key]}」重复（或只差大小写）。", "duplicate_path"
            )
        seen[key] = item.path
        if item.data is not None:
            plan.append((item, "data/" + rel, _clean_digests(item.digests, item.path), len(item.data)))
            continue
        if item.source is None:
            raise BagWriteError(f"有效载荷「{item.path}」既无源文件也无内容。", "source_missing")
        try:
            st = os.stat(item.source)
        except OSError as exc:
            raise BagWriteError(f"源文件 {item.source} 无法读取：{exc.strerror}。", "source_missing") from exc
        if item.size is not None and item.size != st.st_size:
            raise BagWriteError(
                f"源文件 {item.source} 有 {st.st_size} 字节，与登记的 {item.size} 字节不符。", "size_mismatch"
            )
        plan.append((item, "data/" + rel, _clean_digests(item.digests, item.path), st.st_size))
    return plan


def _copy_payload(
    tmp: Path, plan: list[Planned], needed: list[str], n_workers: int
) -> tuple[dict[str, dict[str, str]], dict[str, int]]:
    """Copy (or write) every payload file into ``tmp``, hashing only with the algorithms whose
    digest is not already known. Returns each file's digests and the bytes hashed per algorithm."""
    digests: dict[str, dict[str, str]] = {}
    hashed = dict.fromkeys(needed, 0)
    jobs = []
    for item, rel, known, _size in plan:
        missing = [a for a in needed if a not in known]
        source: Path | bytes = item.data if item.data is not None else Path(item.source)  # type: ignore[arg-type]
        jobs.append((item, rel, known, (source, tmp / rel, missing)))
    with ThreadPoolExecutor(n_workers) as pool, ThreadPoolExecutor(n_workers * len(needed)) as hash_pool:
        futures = [
            (item, rel, known, job, pool.submit(_copy_one, job, hash_pool)) for item, rel, known, job in jobs
        ]
        for item, rel, known, job, future in futures:
            computed, copied = future.result()
            expected = len(item.data) if item.data is not None else os.stat(item.source).st_size  # type: ignore[arg-type]
            if copied != expected:
                raise BagWriteError(
                    f"复制 {item.source} 时字节数不符（源文件在复制中被改动？）。", "size_mismatch"
                )
            for algorithm in job[2]:
                hashed[algorithm] += copied
            digests[rel] = {**known, **computed}
        # Small files were fsynced as they were written; the large ones now, in parallel, after
        # the kernel has had the whole copy to write back (as `cp` then `sync` would).
        large = [tmp / rel for item, rel, _, size in plan if item.data is None and size > SMALL]
        list(pool.map(_fsync_path, large))
    return digests, hashed


def _tag_files(
    info: list[tuple[str, str]],
    digests: dict[str, dict[str, str]],
    algorithms: list[str],
    sm3_list: bool,
    extra_tags: dict[str, bytes],
) -> tuple[dict[str, bytes], dict[str, dict[str, str]], dict[str, str]]:
    """The tag files (bagit.txt, bag-info.txt, the manifests, the SM3 list, the extra ones and
    the tag manifests over them), their digests, and the digests of the tag manifests (the
    bag's seal)."""
    tags: dict[str, bytes] = {
        "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag-info.txt": format_bag_info(info),
    }
    for algorithm in algorithms:
        tags[f"manifest-{algorithm}.txt"] = format_manifest({p: d[algorithm] for p, d in digests.items()})
    if sm3_list:
        tags[SM3_LIST] = format_manifest({p: d["sm3"] for p, d in digests.items()})
    tags.update(extra_tags)
    tag_digests: dict[str, dict[str, str]] = {}
    for name, body in tags.items():
        tag_digests[name] = {}
        for algorithm in algorithms:
            h = bagit.new_hash(algorithm)
            h.update(body)
            tag_digests[name][algorithm] = h.hexdigest()
    seal: dict[str, str] = {}
    for algorithm in algorithms:
        tagmanifest = format_manifest({n: d[algorithm] for n, d in tag_digests.items()})
        tags[f"tagmanifest-{algorithm}.txt"] = tagmanifest
        h = bagit.new_hash(algorithm)
        h.update(tagmanifest)
        seal[f"tagmanifest-{algorithm}.txt"] = h.hexdigest()
    return tags, tag_digests, seal
