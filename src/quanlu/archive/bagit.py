"""A BagIt reader and validator: RFC 8493 (BagIt 1.0) and the 0.97 draft (0.93-0.96 read as 0.97).

Standard library only, and no Django: this module is embedded verbatim in the standalone
verifier that ships inside every archive package (``standalone/verify_package.py``), so it
must run on any Python 3.9+ that an archivist has, decades from now.

It reports every problem it finds instead of stopping at the first, and names each one:
which file, which line, which rule. Where RFC 8493 says MUST it is stricter than
bagit-python 1.9.0; each such place says so in a comment marked "stricter:".

Terms follow RFC 8493: the *base directory* holds the tag files and the *payload directory*
``data/``; a bag is *complete* (§3: every required element present, every listed file present,
every payload file listed) and *valid* (complete, and every checksum verified).
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

try:  # in the source tree
    from quanlu.archive.bagmodel import (
        _MANIFEST_RE,
        _OXUM_RE,
        ALGORITHMS,
        CHUNK,
        SYSTEM_FILES,
        WEAK_ALGORITHMS,
        BagReport,
        Issue,
        Manifest,
        check_path,
        decode_path,
        digest_file,
        digest_stream,
        encode_path,
        hashlib_name,
        new_hash,
        rfc,
    )
    from quanlu.archive.bagtags import (
        parse_bag_info,
        parse_fetch,
        parse_manifest,
        read_declaration,
        split_lines,
    )
except ImportError:  # inside verify_package.py, where modules are loaded by their short names
    from bagmodel import (  # type: ignore[no-redef]
        _MANIFEST_RE,
        _OXUM_RE,
        ALGORITHMS,
        CHUNK,
        SYSTEM_FILES,
        WEAK_ALGORITHMS,
        BagReport,
        Issue,
        Manifest,
        decode_path,
        digest_file,
        digest_stream,
        encode_path,
        rfc,
    )
    from bagtags import (  # type: ignore[no-redef]
        parse_bag_info,
        parse_fetch,
        parse_manifest,
        read_declaration,
    )

# ---------------------------------------------------------------------------------------------
# The files on disk
# ---------------------------------------------------------------------------------------------


@dataclass
class DiskFile:
    size: int
    kind: str  # "file", "symlink", "other"


def walk(base: str, top: str) -> tuple[dict[str, DiskFile], list[str]]:
    """Regular files (and anything else) under ``top``, as '/'-joined bag-relative paths.
    Never follows symbolic links; returns the empty directories too."""
    found: dict[str, DiskFile] = {}
    empty_dirs: list[str] = []
    stack = [top]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(os.path.join(base, current) if current else base))
        except OSError:
            continue
        if current and not entries:
            empty_dirs.append(current)
        for entry in entries:
            rel = f"{current}/{entry.name}" if current else entry.name
            if entry.is_dir(follow_symlinks=False):
                if current or entry.name != "data":
                    stack.append(rel)
                continue
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode):
                found[rel] = DiskFile(st.st_size, "file")
            elif stat.S_ISLNK(st.st_mode):
                found[rel] = DiskFile(0, "symlink")
            else:
                found[rel] = DiskFile(0, "other")
    return found, empty_dirs


def nfc(path: str) -> str:
    return unicodedata.normalize("NFC", path)


class Resolver:
    """Maps manifest paths to files on disk: byte-for-byte first, then by Unicode
    normalisation (macOS writes NFD, others NFC; suite:
    v0.97/warning/same-filename-listed-twice-with-different-normalization)."""

    def __init__(self, files: dict[str, DiskFile]) -> None:
        self.files = files
        self.by_nfc: dict[str, list[str]] = {}
        for name in files:
            self.by_nfc.setdefault(nfc(name), []).append(name)

    def resolve(self, path: str) -> str | None:
        if path in self.files:
            return path
        candidates = self.by_nfc.get(nfc(path), [])
        return candidates[0] if len(candidates) == 1 else None


# ---------------------------------------------------------------------------------------------
# The validator
# ---------------------------------------------------------------------------------------------


# Files to hash: disk path -> algorithm -> the (manifest, expected checksum, line) naming it.
Work = dict[str, dict[str, list[tuple[Manifest, str, int]]]]


def validate_bag(
    path: str,
    *,
    completeness_only: bool = False,
    workers: int | None = None,
    extra_manifests: Iterable[Manifest] = (),
) -> BagReport:
    """Check the bag at ``path`` and report every problem found.

    ``extra_manifests`` are digest lists of a profile (e.g. quanlu's sm3sums.txt) checked in the
    same reading pass as the bag's own manifests; their findings cite ``Manifest.rule``.
    """
    base = os.fspath(path)
    report = BagReport(path=base)
    extra = list(extra_manifests)
    if not os.path.isdir(base):
        report.error("bag.not_a_directory", f"{base} 不是目录。")
        return report

    read_declaration(report, base)
    version = report.version or "0.97"
    strict = version == "1.0"

    data_dir = os.path.join(base, "data")
    if not os.path.isdir(data_dir) or os.path.islink(data_dir):
        report.error(
            "payload.missing_dir", "缺少有效载荷目录 data/。", file="data/", rule=rfc(version, "2.1.2")
        )
    _read_manifests(report, base, version)
    payload_manifests = [m for m in report.manifests if m.kind == "payload"]
    tag_manifests = [m for m in report.manifests if m.kind == "tag"]

    if os.path.exists(os.path.join(base, "bag-info.txt")):
        parse_bag_info(report, base)
    fetch = parse_fetch(report, base) if os.path.exists(os.path.join(base, "fetch.txt")) else {}

    payload, empty_dirs = walk(base, "data") if os.path.isdir(data_dir) else ({}, [])
    resolver = Resolver(payload)
    for rel in empty_dirs:
        report.warn("payload.empty_dir", f"空目录 {rel}/ 不会记录在清单里。", file=rel + "/")
    report.payload_files = len(payload)
    report.payload_bytes = sum(f.size for f in payload.values())
    _check_payload_files(report, base, payload)
    _check_collisions(report, payload, payload_manifests)

    # -- completeness: every listed file present, every payload file listed (RFC 8493 §3) --
    report.manifests.extend(extra)
    covered, work = _check_listed(report, base, version, resolver, payload_manifests + extra, fetch)
    _check_unlisted(report, version, strict, payload, payload_manifests, covered)
    _check_fetch(report, version, strict, fetch, resolver, payload, payload_manifests)
    tag_work = _check_tag_manifests(report, base, version, strict, tag_manifests, payload_manifests)
    _check_oxum(report, version)
    if completeness_only:
        return report

    # -- validity: every checksum in every manifest verified (RFC 8493 §3) --
    jobs = sorted(work.items()) + sorted(tag_work.items())
    _verify_checksums(report, base, version, jobs, workers)
    report.checksums_checked = True
    return report


def _read_manifests(report: BagReport, base: str, version: str) -> None:
    """Parse every (tag)manifest-<algorithm>.txt in the base directory into ``report.manifests``;
    a bag needs at least one payload manifest this machine can verify."""
    for name in sorted(os.listdir(base)):
        match = _MANIFEST_RE.match(name)
        if match is None:
            continue
        kind = "tag" if match.group(1) else "payload"
        algorithm = match.group(2)
        if not re.match(r"^[a-z0-9]+$", algorithm):
            # RFC 8493 §2.4: the algorithm name in the file name MUST be normalised.
            report.error(
                "manifest.algorithm_name",
                f"{name}：算法名应为小写字母和数字（如 sha256），不应为「{algorithm}」。",
                file=name,
                rule=rfc(version, "2.4"),
            )
            continue
        manifest = parse_manifest(report, base, name, kind, algorithm)
        report.manifests.append(manifest)
        if not manifest.supported:
            report.warn(
                "manifest.unsupported_algorithm",
                f"本机不支持算法 {algorithm}，{name} 中的校验值无法核对（只检查其所列文件是否齐全）。",
                file=name,
            )
    payload_manifests = [m for m in report.manifests if m.kind == "payload"]
    if not payload_manifests:
        report.error("manifest.none", "缺少有效载荷清单 manifest-<算法>.txt。", rule=rfc(version, "2.1.3"))
    elif not any(m.supported for m in payload_manifests):
        report.error(
            "manifest.none_verifiable", "没有一个有效载荷清单的算法能在本机核对。", rule=rfc(version, "2.4")
        )
    elif version == "1.0" and all(m.algorithm in WEAK_ALGORITHMS for m in payload_manifests):
        report.warn(
            "manifest.weak_only",
            "有效载荷清单只用了 MD5/SHA-1；1.0 版要求工具支持 SHA-256 与 SHA-512。",
            rule=rfc("1.0", "2.4"),
        )


def _check_payload_files(report: BagReport, base: str, payload: dict[str, DiskFile]) -> None:
    """Payload entries that are not plain files of the bag: links, devices, OS litter."""
    real_base = os.path.realpath(base)
    for rel, disk in sorted(payload.items()):
        if disk.kind == "symlink":
            target = os.path.realpath(os.path.join(base, rel))
            inside = target.startswith(real_base + os.sep) and os.path.isfile(target)
            # stricter: bagit-python follows links wherever they point. A link makes the bag's
            # content depend on files outside it, or on nothing at all.
            (report.warn if inside else report.error)(
                "payload.symlink",
                f"{rel} 是符号链接" + ("（指向包内文件）。" if inside else "，指向包外或不存在的文件。"),
                file=rel,
            )
        elif disk.kind == "other":
            report.error("payload.special_file", f"{rel} 不是普通文件（设备、管道或套接字）。", file=rel)
        if os.path.basename(rel).lower() in SYSTEM_FILES or os.path.basename(rel).startswith("._"):
            report.warn("payload.system_file", f"{rel} 是操作系统自动生成的文件。", file=rel)


def _check_collisions(report: BagReport, payload: dict[str, DiskFile], manifests: list[Manifest]) -> None:
    """Names that collide on case-insensitive or normalising file systems."""
    seen_case: dict[str, str] = {}
    for rel in sorted(set(payload) | {p for m in manifests for p in m.entries}):
        key = nfc(rel).casefold()
        other = seen_case.get(key)
        if other is not None and other != rel:
            same_nfc = nfc(other) == nfc(rel)
            report.warn(
                "path.collision",
                f"{other} 与 {rel} "
                + ("只是 Unicode 规范化形式不同" if same_nfc else "只有大小写不同")
                + "，在 macOS/Windows 上会是同一个文件。",
                file=rel,
            )
        seen_case.setdefault(key, rel)


def _check_listed(
    report: BagReport,
    base: str,
    version: str,
    resolver: Resolver,
    manifests: list[Manifest],
    fetch: dict[str, Any],
) -> tuple[dict[str, list[str]], Work]:
    """Every file a payload (or extra) manifest lists is present. Returns the names of the
    payload manifests listing each file on disk, and the files to hash."""
    covered: dict[str, list[str]] = {}
    work: Work = {}
    for manifest in manifests:
        for entry, (checksum, number) in manifest.entries.items():
            disk_path = resolver.resolve(entry)
            if disk_path is None:
                _report_missing_entry(report, base, version, manifest, entry, number, fetch)
                continue
            if disk_path != entry:
                report.warn(
                    "path.normalization",
                    f"{manifest.name} 第{number}行的 {entry!a} 与磁盘上的 {disk_path!a} 只是 Unicode 规范化形式不同，按同一文件核对。",
                    file=entry,
                    line=number,
                )
            if resolver.files[disk_path].kind != "file":
                continue  # reported with the payload files
            if manifest.kind == "payload":
                covered.setdefault(disk_path, []).append(manifest.name)
            if manifest.supported:
                work.setdefault(disk_path, {}).setdefault(manifest.algorithm, []).append(
                    (manifest, checksum, number)
                )
    return covered, work


def _report_missing_entry(
    report: BagReport,
    base: str,
    version: str,
    manifest: Manifest,
    entry: str,
    number: int,
    fetch: dict[str, Any],
) -> None:
    """A manifest line naming no file: a directory, a file still to fetch, or nothing."""
    if os.path.isdir(os.path.join(base, entry)):
        report.error(
            "manifest.directory",
            f"{manifest.name} 第{number}行列出的 {entry} 是目录；清单只能列出文件。",
            file=entry,
            line=number,
            rule=manifest.rule or rfc(version, "2.1.3"),
        )
    elif entry in fetch:
        report.error(
            "fetch.unfetched",
            f"{entry} 列在 fetch.txt 中但尚未取回，包不完整。",
            file=entry,
            rule=rfc(version, "3"),
        )
    else:
        report.error(
            "payload.missing",
            f"{manifest.name} 第{number}行列出的 {entry} 不存在。",
            file=entry,
            line=number,
            rule=manifest.rule or rfc(version, "3"),
        )


def _check_unlisted(
    report: BagReport,
    version: str,
    strict: bool,
    payload: dict[str, DiskFile],
    payload_manifests: list[Manifest],
    covered: dict[str, list[str]],
) -> None:
    """Every payload file is listed: in some payload manifest, and in 1.0 in every one."""
    for rel in sorted(payload):
        listed = covered.get(rel, [])
        if not listed:
            report.error(
                "payload.not_in_manifest",
                f"有效载荷文件 {rel} 没有列在任何有效载荷清单中。",
                file=rel,
                rule=rfc(version, "3"),
            )
        elif strict:
            for manifest in payload_manifests:
                if manifest.name not in listed:
                    # 1.0 only: every payload file in EVERY payload manifest
                    # (suite: v1.0/invalid/notAllManifestsListAllFiles).
                    report.error(
                        "payload.not_in_every_manifest",
                        f"有效载荷文件 {rel} 没有列在 {manifest.name} 中（1.0 版要求每个清单都列出全部文件）。",
                        file=rel,
                        rule=rfc("1.0", "3"),
                    )


def _check_fetch(
    report: BagReport,
    version: str,
    strict: bool,
    fetch: dict[str, Any],
    resolver: Resolver,
    payload: dict[str, DiskFile],
    payload_manifests: list[Manifest],
) -> None:
    """fetch.txt entries are listed in the payload manifests and, once fetched, as long as it says."""
    for entry, (_url, size, number) in sorted(fetch.items()):
        listed_in = [m.name for m in payload_manifests if entry in m.entries]
        if (strict and len(listed_in) != len(payload_manifests)) or not listed_in:
            report.error(
                "fetch.not_in_manifest",
                f"fetch.txt 第{number}行的 {entry} 没有列在每个有效载荷清单中。",
                file="fetch.txt",
                line=number,
                rule=rfc(version, "2.2.3"),
            )
        disk_path = resolver.resolve(entry)
        if disk_path is not None and size is not None and payload[disk_path].size != size:
            report.error(
                "fetch.length",
                f"fetch.txt 第{number}行说 {entry} 有 {size} 字节，实际为 {payload[disk_path].size} 字节。",
                file=entry,
                rule=rfc(version, "2.2.3"),
            )


def _check_tag_manifests(
    report: BagReport,
    base: str,
    version: str,
    strict: bool,
    tag_manifests: list[Manifest],
    payload_manifests: list[Manifest],
) -> Work:
    """Tag manifests: listed tag files present; 1.0 rules on what they list (RFC 8493 §2.2.1).
    Returns the tag files to hash."""
    tag_files, _ = walk(base, "")
    tag_files = {k: v for k, v in tag_files.items() if not k.startswith("data/") and k != "data"}
    tag_work: Work = {}
    listed_tags: set = set()
    for manifest in tag_manifests:
        for entry, (checksum, number) in manifest.entries.items():
            listed_tags.add(entry)
            if _MANIFEST_RE.match(entry) and entry.startswith("tagmanifest-"):
                (report.error if strict else report.warn)(
                    "tagmanifest.lists_tagmanifest",
                    f"{manifest.name} 第{number}行列出了另一个标签清单 {entry}。",
                    file=manifest.name,
                    line=number,
                    rule=rfc(version, "2.2.1"),
                )
            tag_file = tag_files.get(entry)
            if tag_file is None or tag_file.kind != "file":
                report.error(
                    "tag.missing",
                    f"{manifest.name} 第{number}行列出的标签文件 {entry} 不存在。",
                    file=entry,
                    line=number,
                    rule=rfc(version, "3"),
                )
                continue
            if manifest.supported:
                tag_work.setdefault(entry, {}).setdefault(manifest.algorithm, []).append(
                    (manifest, checksum, number)
                )
        if strict:
            for pm in payload_manifests:
                if pm.name not in manifest.entries:
                    report.error(
                        "tagmanifest.missing_manifest",
                        f"{manifest.name} 没有列出有效载荷清单 {pm.name}。",
                        file=manifest.name,
                        rule=rfc("1.0", "2.2.1"),
                    )
    if tag_manifests:
        payload_algorithms = {m.algorithm for m in payload_manifests}
        for manifest in tag_manifests:
            if payload_algorithms and manifest.algorithm not in payload_algorithms:
                report.warn(
                    "tagmanifest.algorithm",
                    f"{manifest.name} 的算法与有效载荷清单不一致。",
                    file=manifest.name,
                    rule=rfc(version, "2.2.1"),
                )
        for rel in sorted(tag_files):
            if rel not in listed_tags and not rel.startswith("tagmanifest-"):
                report.warn(
                    "tag.not_in_manifest",
                    f"标签文件 {rel} 没有列在标签清单中，其内容不受校验保护。",
                    file=rel,
                    rule=rfc(version, "2.2.1"),
                )
    return tag_work


def _check_oxum(report: BagReport, version: str) -> None:
    """Payload-Oxum: a quick count of bytes and files (RFC 8493 §2.2.2). Unlike bagit-python we
    do not stop here when it disagrees: the per-file findings say which file is wrong."""
    oxums = report.info_values("Payload-Oxum")
    if oxums and _OXUM_RE.match(oxums[0]):
        octets, streams = (int(x) for x in oxums[0].split("."))
        if (octets, streams) != (report.payload_bytes, report.payload_files):
            report.error(
                "baginfo.oxum_mismatch",
                f"Payload-Oxum 为 {oxums[0]}，实际有效载荷为 {report.payload_bytes}.{report.payload_files}"
                f"（{report.payload_bytes} 字节，{report.payload_files} 个文件）。",
                file="bag-info.txt",
                rule=rfc(version, "2.2.2"),
            )


def _verify_checksums(
    report: BagReport,
    base: str,
    version: str,
    jobs: list[tuple[str, dict[str, list[tuple[Manifest, str, int]]]]],
    workers: int | None,
) -> None:
    """Hash each file once with every algorithm its manifests use, files and algorithms in
    parallel threads, and compare with every manifest line naming it."""
    n_workers = max(1, workers or min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(n_workers) as files_pool, ThreadPoolExecutor(n_workers * 2) as hash_pool:
        futures = [
            (rel, algs, files_pool.submit(digest_file, os.path.join(base, rel), list(algs), hash_pool))
            for rel, algs in jobs
        ]
        for rel, algs, future in futures:
            try:
                digests, size = future.result()
            except OSError as exc:
                report.error(
                    "payload.unreadable", f"{rel} 无法读取：{exc.strerror}。", file=rel, phase="valid"
                )
                continue
            report.files_hashed += 1
            report.bytes_hashed += size * len(algs)
            for algorithm, entries in algs.items():
                for manifest, expected, number in entries:
                    if digests[algorithm] != expected:
                        report.add(
                            "error",
                            "manifest.checksum_mismatch"
                            if manifest.kind != "extra"
                            else "extra.checksum_mismatch",
                            f"{rel} 的 {algorithm} 校验值与 {manifest.name} 第{number}行不符"
                            f"（清单：{expected}，实际：{digests[algorithm]}）。",
                            file=rel,
                            line=number,
                            rule=manifest.rule or rfc(version, "3"),
                            phase="valid",
                        )


# ---------------------------------------------------------------------------------------------
# Presenting a report
# ---------------------------------------------------------------------------------------------


def format_report(report: BagReport) -> str:
    if report.valid:
        head = "✓ 有效"
    elif report.complete and not report.checksums_checked:
        head = "✓ 完整（未核对校验值）"
    else:
        head = "✗ 无效"
    version = f"BagIt {report.version}" if report.version else "BagIt（版本不明）"
    lines = [
        f"{head}：{version} 包 {report.path}",
        f"  有效载荷 {report.payload_files} 个文件，{report.payload_bytes} 字节；"
        f"错误 {len(report.errors)} 项，警告 {len(report.warnings)} 项。",
        *(f"  {note}" for note in report.notes),
    ]
    for issue in report.issues:
        where = issue.file + (f":{issue.line}" if issue.line else "")
        label = "错误" if issue.level == "error" else "警告"
        rule = f"（{issue.rule}）" if issue.rule else ""
        lines.append(f"  {label} [{issue.code}] {where + ' ' if where else ''}{issue.message}{rule}")
    return "\n".join(lines)


__all__ = [  # the reader's public names, re-exported from bagmodel and bagtags
    "ALGORITHMS",
    "CHUNK",
    "BagReport",
    "Issue",
    "Manifest",
    "check_path",
    "decode_path",
    "digest_file",
    "digest_stream",
    "encode_path",
    "format_report",
    "hashlib_name",
    "new_hash",
    "parse_manifest",
    "read_declaration",
    "rfc",
    "split_lines",
    "validate_bag",
]
