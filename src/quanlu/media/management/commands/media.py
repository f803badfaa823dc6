"""`quanlu media list [--case CASE] [--format json|text]`,
`quanlu media import-device DIR --device NO [--case CASE] [--format json|text]`,
`quanlu media expire-uploads`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from quanlu.cases.cli import case_named
from quanlu.core.errors import DomainError
from quanlu.devices.models import Device
from quanlu.media.docking import import_device
from quanlu.media.models import MediaRecord
from quanlu.media.services import uploads_clean


class Command(BaseCommand):
    help = "音像记录：list 列出；import-device 从执法记录仪导入；expire-uploads 清除过期的未完成上传。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="列出音像记录")
        listing.add_argument("--case", help="案号或案件标识")
        listing.add_argument("--format", choices=["json", "text"], default="text")
        dock = sub.add_parser(
            "import-device", help="从挂载的记录设备目录导入全部文件，校验后报告可清除的文件"
        )
        dock.add_argument("directory")
        dock.add_argument("--device", required=True, help="设备编号")
        dock.add_argument("--case", help="案号或案件标识（不填则待归档）")
        dock.add_argument("--format", choices=["json", "text"], default="text")
        sub.add_parser("expire-uploads", help="清除已过期的未完成上传及中断上传遗留的暂存文件")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(options)
        elif action == "import-device":
            self._import(options)
        else:
            expired, swept = uploads_clean()
            self.stdout.write(f"已清除 {expired} 个过期的未完成上传、{swept} 个中断上传遗留的暂存文件。")

    def _list(self, options: dict[str, Any]) -> None:
        qs = MediaRecord.objects.select_related("case", "device", "officer", "agency").order_by(
            "agency__code", "captured_start", "id"
        )
        if options.get("case"):
            qs = qs.filter(case=case_named(options["case"]))
        rows = []
        for r in qs:
            rows.append(
                {
                    "id": str(r.public_id),
                    "case": r.case.number if r.case else None,
                    "agency": r.agency.name,
                    "kind": r.kind,
                    "name": r.name,
                    "sha256": r.sha256,
                    "sm3": r.sm3,
                    "size": r.size,
                    "duration_ms": r.duration_ms,
                    "captured_start": r.captured_start.isoformat() if r.captured_start else None,
                    "captured_end": r.captured_end.isoformat() if r.captured_end else None,
                    "device": r.device.device_no if r.device else None,
                    "officer": r.officer.full_name if r.officer else None,
                    "upload_due_at": r.upload_due_at.isoformat() if r.upload_due_at else None,
                    "upload_overdue": r.upload_overdue,
                    "flags": [f["code"] for f in r.flags],
                    "classification": r.classification(),
                }
            )
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row, record in zip(rows, qs, strict=True):
            when = (
                timezone.localtime(record.captured_start).strftime("%Y-%m-%d %H:%M")
                if record.captured_start
                else ""
            )
            self.stdout.write(
                f"{row['case'] or '待归档':<20} {row['kind']:<6} {when:<17} {row['device'] or '-':<18} {row['name']}"
            )

    def _import(self, options: dict[str, Any]) -> None:
        device = Device.objects.select_related("agency").filter(device_no=options["device"]).first()
        if device is None:
            raise CommandError(f"没有编号为 {options['device']} 的设备。")
        case = case_named(options["case"]) if options.get("case") else None
        try:
            results = import_device(directory=Path(options["directory"]), device=device, case=case)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["format"] == "json":
            self.stdout.write(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
        else:
            labels = {"imported": "已导入", "already": "已存在", "refused": "未导入"}
            for r in results:
                safe = "可清除" if r.safe_to_wipe else "勿清除"
                self.stdout.write(f"[{labels[r.status]}][{safe}] {r.path} {r.sha256[:16]} {r.message}")
            safe_count = sum(r.safe_to_wipe for r in results)
            self.stdout.write(f"共 {len(results)} 个文件，{safe_count} 个已校验、可从设备清除。")
        if any(r.status == "refused" for r in results):
            raise CommandError("部分文件未导入（见上）；这些文件不要从设备清除。")
