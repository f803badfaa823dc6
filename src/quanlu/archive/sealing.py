"""Sealing a dossier: the pages it gets (案卷封面, 卷内目录, 卷内备考表 with the ledger checkpoint
it is sealed against), its DA/T 48 metadata and its 四性检测 report, as files for the checks and
the blob store. ``services.dossier_seal`` puts them together; nothing here writes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from quanlu.archive import checks, eep
from quanlu.archive import dossier as plans
from quanlu.archive.models import Dossier, DossierItem, ItemKind
from quanlu.blobs.models import Blob
from quanlu.cases.models import Case, Stage
from quanlu.core.errors import Conflict
from quanlu.org.models import Officer

DA_T_70 = "DA/T 70-2018 文书类电子档案检测一般要求"


@dataclass(frozen=True)
class SealedAgainst:
    """The ledger checkpoint a dossier is sealed against, as the 备考表 prints it."""

    origin: str
    size: int
    root: str  # hex
    note: str  # the signed note as served (with cosignatures)
    vkey: str  # the agency log's Ed25519 public key


def pages(
    *,
    dossier: Dossier,
    case: Case,
    items: Sequence[DossierItem],
    number: str,
    actor: Officer,
    now: dt.datetime,
    ledger: SealedAgainst,
    paths: Mapping[str, Path],
) -> list[checks.SealFile]:
    """The dossier's files: the stored documents and media (read from ``paths``), then the
    cover, the file index, the 备考表 and the metadata XML generated for them."""
    year = timezone.localtime(now).year
    files = seal_files(dossier, items, paths)
    common = {"archive_number": number, "title": dossier.title, "fonds_name": dossier.fonds_name}
    header = f"档号：{number}"
    cover = _cover_page(dossier, case, items, year=year, common=common, header=header)
    rows = [index_row(i) for i in items]
    index = render(
        "index",
        {
            **common,
            "documents": [r for r, i in zip(rows, items, strict=True) if i.kind == ItemKind.DOCUMENT],
            "media": [r for r, i in zip(rows, items, strict=True) if i.kind == ItemKind.MEDIA],
        },
        "卷内目录",
        case,
        header,
    )
    note = _note_page(dossier, case, items, actor=actor, now=now, ledger=ledger, common=common, header=header)
    for kind, path, title, data in (
        (ItemKind.COVER, plans.COVER_PATH, "案卷封面", cover),
        (ItemKind.INDEX, plans.INDEX_PATH, "卷内目录", index),
        (ItemKind.NOTE, plans.NOTE_PATH, "卷内备考表", note),
    ):
        files.append(generated_file(kind, path, title, data, "application/pdf", case, now))
    xml = build_eep(dossier, case, number, files, now)
    files.append(
        generated_file(
            ItemKind.METADATA,
            plans.METADATA_PATH,
            "元数据（DA/T 48 封装）",
            xml,
            "application/xml",
            case,
            now,
        )
    )
    return files


def _cover_page(
    dossier: Dossier,
    case: Case,
    items: Sequence[DossierItem],
    *,
    year: int,
    common: dict[str, Any],
    header: str,
) -> bytes:
    """案卷封面: the case, its decision's 文号, the dossier's dates, retention and counts."""
    number = common["archive_number"]
    decision = next(
        (i.doc_number for i in items if i.kind == ItemKind.DOCUMENT and "决定书" in i.title and i.doc_number),
        "",
    )
    return render(
        "cover",
        {
            **common,
            "category": f"行政执法案卷（{case.get_kind_display()}）",
            "case_number": case.number,
            "decision_number": decision,
            "agency": case.agency.name,
            "start": dossier.start_date.strftime("%Y年%m月%d日"),
            "end": dossier.end_date.strftime("%Y年%m月%d日"),
            "retention": dossier.get_retention_display(),
            "documents": dossier.documents,
            "media": dossier.media,
            "pages": dossier.pages,
            "filing_number": f"{year}{number.rsplit('-', 1)[-1]}",
        },
        "案卷封面",
        case,
        header,
    )


def _note_page(
    dossier: Dossier,
    case: Case,
    items: Sequence[DossierItem],
    *,
    actor: Officer,
    now: dt.datetime,
    ledger: SealedAgainst,
    common: dict[str, Any],
    header: str,
) -> bytes:
    """卷内备考表: the counts, remarks, who assembled and sealed it, and the ledger checkpoint
    it is sealed against."""
    total_ms = sum(duration_ms(i.av.get("duration", "")) for i in items if i.kind == ItemKind.MEDIA)
    return render(
        "note",
        {
            **common,
            "documents": dossier.documents,
            "pages": dossier.pages,
            "media": dossier.media,
            "media_duration": plans.fmt_duration(total_ms),
            "remarks": remarks(case, items),
            "assembled_by": dossier.assembled_by.full_name,
            "sealed_by": actor.full_name,
            "assembled_at": timezone.localtime(dossier.assembled_at).strftime("%Y年%m月%d日"),
            "sealed_at": timezone.localtime(now).strftime("%Y年%m月%d日 %H:%M"),
            "origin": ledger.origin,
            "size": ledger.size,
            "root": ledger.root,
            "vkey": ledger.vkey,
            "vkey_short": ledger.vkey,
            "note": ledger.note,
        },
        "卷内备考表",
        case,
        header,
    )


def report_files(
    *,
    dossier: Dossier,
    case: Case,
    number: str,
    files: Sequence[checks.SealFile],
    outcomes: Sequence[checks.Outcome],
    now: dt.datetime,
) -> tuple[list[checks.SealFile], dict[str, int]]:
    """The 四性检测 report as JSON and PDF/A, and the counts of each result."""
    counts = {r: sum(1 for o in outcomes if o.result == r) for r in ("pass", "fail", "na")}
    report = {
        "standard": DA_T_70,
        "stage": "归档",
        "archive_number": number,
        "case_number": case.number,
        "title": dossier.title,
        "at": now.isoformat(),
        "files": len(files),
        "bytes": sum(f.size for f in files),
        "passed": counts["fail"] == 0,
        "counts": counts,
        "checks": [o.as_dict() for o in outcomes],
    }
    groups = []
    for group in ("authenticity", "integrity", "usability", "security"):
        rows = [o.as_dict() for o in outcomes if o.group == group]
        groups.append({"label": rows[0]["group_label"] + "检测" if rows else group, "checks": rows})
    pdf = render(
        "report",
        {
            "archive_number": number,
            "title": dossier.title,
            "files": report["files"],
            "bytes": report["bytes"],
            "at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S"),
            "passed": report["passed"],
            "counts": counts,
            "groups": groups,
        },
        "四性检测报告",
        case,
        f"档号：{number}",
    )
    data = (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return [
        generated_file(ItemKind.REPORT, plans.REPORT_PATH, "四性检测报告", pdf, "application/pdf", case, now),
        generated_file(
            ItemKind.REPORT_JSON,
            plans.REPORT_JSON_PATH,
            "四性检测报告（数据）",
            data,
            "application/json",
            case,
            now,
        ),
    ], counts


def render(template: str, data: dict[str, Any], title: str, case: Case, header: str) -> bytes:
    from quanlu.archive.render import render_page

    return render_page(
        template,
        data,
        title=f"{title} {data.get('archive_number', '')}".strip(),
        author=case.agency.name,
        header=header,
    )


def index_row(item: DossierItem) -> dict[str, Any]:
    pages = ""
    if item.page_from:
        pages = str(item.page_from) if item.page_from == item.page_to else f"{item.page_from}-{item.page_to}"
    return {
        "index_no": item.index_no,
        "doc_number": item.doc_number,
        "responsible": item.responsible,
        "title": item.title,
        "date_text": item.date.strftime("%Y%m%d") if item.date else "",
        "pages_text": pages,
        "note": item.note,
        "av": item.av,
    }


def duration_ms(text: str) -> int:
    parts = [int(p) for p in text.split(":") if p.isdigit()] if text else []
    seconds = 0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds * 1000


def remarks(case: Case, items: Sequence[DossierItem]) -> list[str]:
    """备考表 本卷情况说明: amendments, and the findings that cannot be made good (late uploads,
    a deadline missed), as they stood when sealed."""
    lines = [
        f"「{i.title}」有更正，归档为第{i.source_version}版。"
        for i in items
        if i.kind == ItemKind.DOCUMENT and (i.source_version or 1) > 1
    ]
    lines += [
        f"{i.title}：{i.note}" for i in items if i.kind == ItemKind.DOCUMENT and "转换为 PDF/A" in i.note
    ]
    lines += [f"{m.message}（{m.finding.article}）" for m in plans.missing(case) if not m.blocking]
    lines += [v.remark for v in plans.voided(case)]
    return lines


def seal_files(
    dossier: Dossier, items: Sequence[DossierItem], paths: Mapping[str, Path]
) -> list[checks.SealFile]:
    """``paths``: a local file of each stored content (blobs.store.local_files)."""
    out = []
    for i in items:
        path = paths.get(i.sha256)
        if path is None or not path.is_file():
            raise Conflict(f"「{i.title}」的内容不在存储中，不能封卷。", code="blob_missing")
        out.append(
            checks.SealFile(
                kind=i.kind,
                bag_path=i.bag_path,
                sha256=i.sha256,
                size=i.size,
                media_type=i.media_type,
                title=i.title,
                index_no=i.index_no,
                pages=i.pages,
                page_from=i.page_from,
                page_to=i.page_to,
                doc_number=i.doc_number,
                responsible=i.responsible,
                date=i.date,
                av=dict(i.av),
                source_uid=str(i.source_uid) if i.source_uid else "",
                note=i.note,
                path=path,
                converted_from=i.source_sha256 if i.source_sha256 and i.source_sha256 != i.sha256 else "",
            )
        )
    return out


def generated_file(
    kind: str, path: str, title: str, data: bytes, media_type: str, case: Case, now: dt.datetime
) -> checks.SealFile:
    return checks.SealFile(
        kind=kind,
        bag_path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        media_type=media_type,
        title=title,
        responsible=case.agency.name,
        date=timezone.localdate(now),
        pages=plans.pdf_pages(data) if media_type == "application/pdf" else 0,
        data=data,
    )


def build_eep(
    dossier: Dossier, case: Case, number: str, files: Sequence[checks.SealFile], now: dt.datetime
) -> bytes:
    sm3 = dict(Blob.objects.filter(sha256__in=[f.sha256 for f in files]).values_list("sha256", "sm3"))
    entries = []
    for n, f in enumerate(files, 1):
        if f.data is not None:
            digest = hashlib.new("sm3", f.data).hexdigest() if "sm3" in hashlib.algorithms_available else ""
        else:
            digest = sm3.get(f.sha256, "")
        entries.append(
            eep.EepFile(
                item_id=f"{number}-{n:04d}",
                kind=ItemKind(f.kind).label,
                title=f.title,
                path="data/" + f.bag_path,
                sha256=f.sha256,
                sm3=digest,
                size=f.size,
                media_type=f.media_type,
                doc_number=f.doc_number,
                responsible=f.responsible,
                date=f.date.isoformat() if f.date else "",
                pages=f.pages,
                index_no=f.index_no,
                av=f.av or None,
                note=f.note,
            )
        )
    business = []
    for t in case.transitions.select_related("actor").order_by("at", "id"):
        business.append(
            {
                "actor": str(t.actor.public_id),
                "state": Stage(t.to_stage).label,
                "action": "程序启动" if not t.from_stage else f"进入{Stage(t.to_stage).label}",
                "at": t.at.isoformat(),
                "basis": case.rulebook_id,
                "description": t.reason,
            }
        )
    business.append(
        {
            "actor": str(dossier.assembled_by.public_id),
            "state": "归档",
            "action": "组卷、四性检测、封卷",
            "at": now.isoformat(),
            "basis": DA_T_70,
            "description": f"档号 {number}",
        }
    )
    officers = {t.actor for t in case.transitions.select_related("actor")} | {
        dossier.assembled_by,
        case.lead_officer,
    }
    people = [
        {"id": str(case.agency.public_id), "type": "机构", "name": case.agency.name, "code": case.agency.code}
    ]
    people += [
        {
            "id": str(o.public_id),
            "type": "个人",
            "name": o.full_name,
            "position": f"执法证号 {o.certificate_no}" if o.certificate_no else "",
        }
        for o in sorted(officers, key=lambda o: o.pk)
    ]
    start, end = dossier.start_date, dossier.end_date
    return eep.build(
        dossier={
            "id": str(dossier.public_id),
            "fonds_name": dossier.fonds_name,
            "fonds_code": dossier.fonds_code,
            "agency": case.agency.name,
            "archive_number": number,
            "year": str(timezone.localtime(now).year),
            "retention": dossier.get_retention_display(),
            "case_number": case.number,
            "title": dossier.title,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "count": str(dossier.documents + dossier.media),
            "pages": str(dossier.pages),
        },
        files=entries,
        business=business,
        people=people,
        created_at=now.isoformat(),
    )
