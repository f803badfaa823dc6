"""The quanlu archive package profile, checked on top of BagIt.

A quanlu package is a BagIt 1.0 bag (RFC 8493) with SHA-256 and SHA-512 payload and tag
manifests, an SM3 digest list of the payload (``sm3sums.txt``, GB/T 32905) as an extra tag file,
and bag-info.txt labels that carry the archive's identity (see docs/notes/archiving.md §1.7):

    Source-Organization   执法机关名称
    External-Identifier   档号
    Bag-Group-Identifier  案号
    Bagging-Date          YYYY-MM-DD
    Payload-Oxum, Bag-Size
    Retention-Period      永久 | 30年 | 10年
    Case-Closed-Date      YYYY-MM-DD (结案日期)

and ``data/账本/`` with the case's ledger events, their inclusion proofs and the signed
checkpoints (``ledgerpack``).

Standard library only, no Django: embedded in the standalone verifier. Checks are a list of
functions ``(report, base) -> None`` run after the BagIt layer (``PACKAGE_CHECKS``), then the
ledger layer: every proof against the checkpoint, the checkpoint's signature with the agency's
key (the package's, or a trusted one given by the caller), and every payload file tied to a
proven event.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

try:  # in the source tree
    from quanlu.archive import bagit, ledgerpack
except ImportError:  # inside the standalone verifier, where modules are loaded by name
    import bagit  # type: ignore[no-redef]
    import ledgerpack  # type: ignore[no-redef]

PROFILE = "quanlu 档案包规范 v1"
SM3_LIST = "sm3sums.txt"
REQUIRED_MANIFESTS = ("sha256", "sha512")
RETENTION = {"permanent": "永久", "y30": "30年", "y10": "10年"}
REQUIRED_LABELS = (
    "Source-Organization",
    "External-Identifier",
    "Bag-Group-Identifier",
    "Bagging-Date",
    "Payload-Oxum",
    "Bag-Size",
    "Retention-Period",
    "Case-Closed-Date",
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Check = Callable[[bagit.BagReport, str], None]


def package_bag_info(
    *,
    source_organization: str,
    archive_number: str,
    case_number: str,
    retention: str,
    case_closed_date: str,
    extra: list[tuple] | None = None,
    software: str = "quanlu",
) -> list[tuple]:
    """bag-info.txt elements for a quanlu package, in order (Payload-Oxum, Bag-Size and
    Bagging-Date are added by the writer). ``retention`` is permanent, y30 or y10."""
    if retention not in RETENTION:
        raise ValueError(f"retention must be one of {sorted(RETENTION)}")
    items = [
        ("Source-Organization", source_organization),
        ("External-Identifier", archive_number),
        ("Bag-Group-Identifier", case_number),
        ("Retention-Period", RETENTION[retention]),
        ("Case-Closed-Date", case_closed_date),
        ("Bag-Software-Agent", software),
    ]
    return items + list(extra or [])


def sm3_manifest(report: bagit.BagReport, base: str) -> bagit.Manifest | None:
    """sm3sums.txt parsed like a payload manifest, to be checked in the BagIt hashing pass."""
    if not os.path.isfile(os.path.join(base, SM3_LIST)):
        return None
    saved_version = report.version
    report.version = report.version or "1.0"
    manifest = bagit.parse_manifest(report, base, SM3_LIST, "extra", "sm3")
    report.version = saved_version
    manifest.rule = f"{PROFILE}：{SM3_LIST}"
    return manifest


def check_profile(report: bagit.BagReport, base: str) -> None:
    rule = PROFILE
    if report.version != "1.0":
        report.error(
            "package.version",
            f"档案包应为 BagIt 1.0，实为「{report.version or '未知'}」。",
            file="bagit.txt",
            rule=rule,
        )
    names = {m.name for m in report.manifests}
    for algorithm in REQUIRED_MANIFESTS:
        for kind in ("manifest", "tagmanifest"):
            name = f"{kind}-{algorithm}.txt"
            if name not in names:
                report.error("package.manifest_missing", f"档案包缺少 {name}。", file=name, rule=rule)
    for label in REQUIRED_LABELS:
        values = report.info_values(label)
        if not values or not values[0].strip():
            report.error(
                "package.label_missing", f"bag-info.txt 缺少必填项 {label}。", file="bag-info.txt", rule=rule
            )
        elif len(values) > 1:
            report.error(
                "package.label_repeated",
                f"bag-info.txt 的 {label} 出现了{len(values)}次。",
                file="bag-info.txt",
                rule=rule,
            )
    for label in ("Bagging-Date", "Case-Closed-Date"):
        values = report.info_values(label)
        if values and not _DATE_RE.match(values[0]):
            report.error(
                "package.label_format",
                f"{label}「{values[0]}」不是 YYYY-MM-DD 格式。",
                file="bag-info.txt",
                rule=rule,
            )
    retention = report.info_values("Retention-Period")
    if retention and retention[0] not in RETENTION.values():
        allowed = "、".join(RETENTION.values())
        report.error(
            "package.retention",
            f"Retention-Period「{retention[0]}」应为 {allowed} 之一。",
            file="bag-info.txt",
            rule=rule,
        )
    if os.path.exists(os.path.join(base, "fetch.txt")):
        report.error(
            "package.fetch", "档案包不得依赖网络取回文件（不应有 fetch.txt）。", file="fetch.txt", rule=rule
        )
    if not os.path.isfile(os.path.join(base, SM3_LIST)):
        report.error("package.sm3_missing", f"档案包缺少 SM3 摘要清单 {SM3_LIST}。", file=SM3_LIST, rule=rule)
    else:
        tagged = any(SM3_LIST in m.entries for m in report.manifests if m.kind == "tag")
        if not tagged:
            report.error("package.sm3_untagged", f"{SM3_LIST} 没有列在标签清单中。", file=SM3_LIST, rule=rule)
        sm3 = next((m for m in report.manifests if m.kind == "extra" and m.name == SM3_LIST), None)
        if sm3 is not None:
            payload = next((m for m in report.manifests if m.kind == "payload"), None)
            listed = set(payload.entries) if payload else set()
            for path in sorted(listed - set(sm3.entries)):
                report.error("package.sm3_incomplete", f"{SM3_LIST} 没有列出 {path}。", file=path, rule=rule)
            if not sm3.supported:
                report.warn(
                    "package.sm3_unavailable",
                    "本机的 Python/OpenSSL 不支持 SM3，未核对 SM3 摘要。",
                    file=SM3_LIST,
                )


PACKAGE_CHECKS: list[Check] = [check_profile]


def verify_package(
    path: str,
    *,
    bag_only: bool = False,
    workers: int | None = None,
    trusted_keys: tuple[str, ...] = (),
    ledger: bool = True,
) -> bagit.BagReport:
    """Verify a quanlu archive package; ``bag_only`` checks only the BagIt layer (any bag).
    ``trusted_keys`` are the agency's log public keys as known outside the package (printed on
    the 备考表, or from the ledger database): with them, a package re-signed by anyone else fails.
    ``ledger=False`` leaves out the ledger layer, for bags the writer makes outside a dossier
    export (its own tests); every dossier package is verified with it."""
    base = os.fspath(path)
    if bag_only:
        return bagit.validate_bag(base, workers=workers)
    probe = bagit.BagReport(path=base)
    extra: list[bagit.Manifest] = []
    if os.path.isdir(base):
        bagit.read_declaration(probe, base)
        manifest = sm3_manifest(probe, base)
        if manifest is not None:
            extra.append(manifest)
    report = bagit.validate_bag(base, workers=workers, extra_manifests=extra)
    report.issues.extend(i for i in probe.issues if i.file == SM3_LIST)
    if os.path.isdir(base):
        for check in PACKAGE_CHECKS:
            check(report, base)
        if not ledger:
            return report
        summary = ledgerpack.check_ledger(report, base, trusted_keys=tuple(trusted_keys))
        if summary is not None:
            report.extra["ledger"] = summary.as_dict()
            source = "可信公钥" if summary.key_source == "trusted" else "包内公钥（请与备考表所印核对）"
            report.notes.append(
                f"账本：{summary.proven}/{summary.events} 条日志事件的包含证明通过；检查点 {summary.origin} "
                f"树大小 {summary.size}，根 {summary.root[:16]}…；签名公钥 {', '.join(summary.key_ids)}（{source}）"
            )
            if summary.witnesses:
                report.notes.append(f"见证副署：{', '.join(summary.witnesses)}")
            codes = {i.code for i in report.errors}
            if summary.sealed_size and not codes & {"ledger.inconsistent", "ledger.consistency_mismatch"}:
                report.notes.append(
                    f"封卷检查点（备考表所记）树大小 {summary.sealed_size}，与导出检查点一致。"
                )
    return report


def summary(report: bagit.BagReport) -> dict[str, object]:
    return report.as_dict()
