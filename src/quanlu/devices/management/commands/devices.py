"""`quanlu devices list [--agency CODE] [--status STATUS] [--format json|text]`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from quanlu.devices.models import Device


class Command(BaseCommand):
    help = "音像记录设备：list 列出设备（编号、类别、机关、保管人、状态）。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="列出设备")
        listing.add_argument("--agency", help="机关代码")
        listing.add_argument("--status")
        listing.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        qs = Device.objects.select_related("agency", "keeper").order_by("agency__code", "device_no")
        if options.get("agency"):
            qs = qs.filter(agency__code=options["agency"])
        if options.get("status"):
            qs = qs.filter(status=options["status"])
        rows = [
            {
                "id": str(d.public_id),
                "number": d.device_no,
                "kind": d.kind,
                "kind_label": d.get_kind_display(),
                "agency": d.agency.name,
                "agency_code": d.agency.code,
                "keeper": d.keeper.full_name,
                "status": d.status,
                "status_label": d.get_status_display(),
                "serial_no": d.serial_no,
            }
            for d in qs
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(
                f"{r['number']:<22} {r['kind_label']:<8} {r['status_label']:<6} {r['agency']} · {r['keeper']}"
            )
