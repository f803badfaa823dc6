"""`quanlu documents types|list|render`: the catalogue, a case's documents, and
a document's PDF/A or DOCX written to a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quanlu.cases.cli import case_named
from quanlu.core.errors import DomainError
from quanlu.core.validation import parse_uuid
from quanlu.records.catalogue import catalogue
from quanlu.records.models import Document
from quanlu.records.render import rendering_get
from quanlu.records.selectors import current_version, document_missing


class Command(BaseCommand):
    help = "文书：types 列出文书目录；list 列出文书；render 输出 PDF/A 或 DOCX。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        types = sub.add_parser("types", help="文书目录")
        types.add_argument("--format", choices=["json", "text"], default="text")
        listing = sub.add_parser("list", help="列出文书")
        listing.add_argument("--case", help="案件标识（UUID）或案号")
        listing.add_argument("--format", choices=["json", "text"], default="text")
        rendering = sub.add_parser("render", help="输出文书")
        rendering.add_argument("document", help="文书标识（UUID）")
        rendering.add_argument("--format", choices=["pdf", "docx"], default="pdf")
        rendering.add_argument("--version", type=int, default=0, help="版本号（默认当前版本）")
        rendering.add_argument("-o", "--output", required=True, help="输出文件")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _types(self, options: dict[str, Any]) -> None:
        rows = [t.as_dict() for t in catalogue().types.values()]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(f"{r['code']:<34} {r['stage']:<14} {r['title']}")

    def _list(self, options: dict[str, Any]) -> None:
        qs = Document.objects.select_related("case", "case__agency").order_by(
            "case__opened_at", "created_at", "id"
        )
        if options.get("case"):
            qs = qs.filter(case=case_named(options["case"]))
        rows = []
        for doc in qs:
            version = current_version(doc)
            missing = document_missing(doc, version)
            rows.append(
                {
                    "id": str(doc.public_id),
                    "case": str(doc.case.public_id),
                    "case_number": doc.case.number,
                    "type": doc.type_code,
                    "title": doc.title,
                    "number": doc.number,
                    "stage": doc.stage,
                    "origin": doc.origin,
                    "version": version.number,
                    "content_sha256": version.content_sha256,
                    "pdf_sha256": version.signed_pdf_sha256 or version.pdf_sha256 or version.file_sha256,
                    "complete": not missing,
                    "missing": missing,
                }
            )
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            state = "签署完毕" if r["complete"] else "待签署"
            self.stdout.write(
                f"{r['id']} {r['case_number']:<18} {r['title']} {r['number']} v{r['version']} {state}"
            )

    def _render(self, options: dict[str, Any]) -> None:
        try:
            doc = Document.objects.select_related("case", "case__agency").get(
                public_id=parse_uuid(options["document"])
            )
        except (Document.DoesNotExist, DomainError) as exc:
            raise CommandError(f"找不到文书：{options['document']}") from exc
        try:
            data, name, _ = rendering_get(doc, options["format"], options["version"] or None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        Path(options["output"]).write_bytes(data)
        self.stdout.write(f"已写出 {options['output']}（{name}，{len(data)} 字节）")
