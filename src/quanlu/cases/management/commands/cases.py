"""`quanlu cases list [--agency CODE] [--format json|text]`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from quanlu.cases.models import Case


class Command(BaseCommand):
    help = "案件：list 列出案件。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="列出案件")
        listing.add_argument("--agency", help="机关代码")
        listing.add_argument("--stage")
        listing.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        qs = Case.objects.select_related("agency").order_by("agency__code", "opened_at")
        if options.get("agency"):
            qs = qs.filter(agency__code=options["agency"])
        if options.get("stage"):
            qs = qs.filter(stage=options["stage"])
        rows = [
            {
                "id": str(c.public_id),
                "number": c.number,
                "agency": c.agency.name,
                "agency_code": c.agency.code,
                "rulebook": c.rulebook_id,
                "kind": c.kind,
                "procedure": c.procedure,
                "stage": c.stage,
                "cause": c.cause,
            }
            for c in qs
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(f"{r['number']:<20} {r['stage']:<14} {r['agency']} · {r['cause']}")
