"""`quanlu archive export CASE DIR [--as USER]`, `quanlu archive verify [--bag-only] DIR
[--key VKEY] [--format text|json] [--completeness-only]`, `quanlu archive status CASE`,
`quanlu archive seal CASE --as USER [--retention permanent|y30|y10 --reason …]`.

``verify`` exits 0 when the bag (or package) is valid, 1 when it is not; every failure is named
with its file, line and rule. ``--bag-only`` judges any bag against BagIt (RFC 8493 / 0.97);
without it the quanlu package profile and its ledger layer are checked on top. The agency's log
key is trusted from ``--key`` (as printed on the 备考表), else from this site's ledger database
when it knows the package's log, else from the package itself (said so in the output).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quanlu.archive import bagit
from quanlu.archive.dossier import blocking, missing
from quanlu.archive.package import verify_package
from quanlu.archive.selectors import current_dossier
from quanlu.archive.services import dossier_assemble, dossier_export, dossier_seal
from quanlu.cases.cli import case_named, officer_named
from quanlu.core.errors import Conflict, DomainError, Refused
from quanlu.ledger.models import Key


def _db_keys(directory: str) -> tuple[str, ...]:
    """The log keys this site's ledger knows for the package's checkpoint origin, if any."""
    path = Path(directory) / "data" / "账本" / "checkpoint.txt"
    try:
        origin = path.read_text(encoding="utf-8").split("\n", 1)[0]
        return tuple(
            Key.objects.filter(log__origin=origin, algorithm="ed25519").values_list("vkey", flat=True)
        )
    except Exception:  # no package ledger, no database, no tables: verify offline
        return ()


class Command(BaseCommand):
    help = "档案：export 导出档案包；verify 校验档案包（--bag-only 只查 BagIt 层）；status 案卷状态；seal 组卷并封卷。"
    # Verifying a package reads only the package: it must work on a machine whose site is not
    # (or no longer) configured, so the project's system checks are not run first.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="校验包；无效时以非零状态退出并列出每一项问题")
        verify.add_argument("directory", help="包所在目录")
        verify.add_argument("--bag-only", action="store_true", help="只检查 BagIt 层（适用于任何 BagIt 包）")
        verify.add_argument(
            "--completeness-only",
            action="store_true",
            help="只检查完整性，不核对校验值（RFC 8493 §3 complete）",
        )
        verify.add_argument(
            "--key", action="append", default=[], help="可信的机关日志公钥（备考表所印，可重复）"
        )
        verify.add_argument("--no-db", action="store_true", help="不使用本系统数据库中的公钥，完全离线核验")
        verify.add_argument("--format", choices=["text", "json"], default="text")
        verify.add_argument("--workers", type=int, default=None, help="并行读取的线程数")
        export = sub.add_parser("export", help="把已结案、已封卷的案卷导出为 BagIt 1.0 档案包")
        export.add_argument("case", help="案号或案件标识")
        export.add_argument("directory", help="目标目录（不得已存在）")
        export.add_argument("--as", dest="as_user", help="以该档案管理人员的名义导出（默认记为命令行操作）")
        status = sub.add_parser("status", help="案卷状态、缺少的记录和归档期限")
        status.add_argument("case", help="案号或案件标识")
        status.add_argument("--format", choices=["text", "json"], default="text")
        seal = sub.add_parser("seal", help="组卷、四性检测并封卷（归档）")
        seal.add_argument("case", help="案号或案件标识")
        seal.add_argument("--as", dest="as_user", required=True, help="档案管理人员的用户名")
        seal.add_argument("--retention", choices=["permanent", "y30", "y10"])
        seal.add_argument("--reason", default="", help="保管期限与本机关设置不同时的说明")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "verify":
                self._verify(options)
            elif action == "export":
                self._export(options)
            elif action == "status":
                self._status(options)
            else:
                self._seal(options)
        except DomainError as exc:
            details = "".join(
                f"\n  依据：{d.get('article')}「{d.get('quote', '')}」"
                for d in exc.details
                if d.get("article")
            )
            raise CommandError(f"{exc.message}{details}") from exc

    def _verify(self, options: dict[str, Any]) -> None:
        if options["completeness_only"]:
            report = bagit.validate_bag(
                options["directory"], completeness_only=True, workers=options["workers"]
            )
            ok = report.complete
        else:
            keys = tuple(options["key"])
            if not keys and not options["bag_only"] and not options["no_db"]:
                keys = _db_keys(options["directory"])
            report = verify_package(
                options["directory"],
                bag_only=options["bag_only"],
                workers=options["workers"],
                trusted_keys=keys,
            )
            ok = report.valid
        if options["format"] == "json":
            body = report.as_dict()
            body["profile"] = "bagit" if options["bag_only"] else "quanlu"
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(bagit.format_report(report))
        if not ok:
            raise SystemExit(1)

    def _export(self, options: dict[str, Any]) -> None:
        case = case_named(options["case"])
        actor = officer_named(options.get("as_user"))
        dossier = current_dossier(case)
        if dossier is None:
            lacking = blocking(case) if case.stage == "archiving" else []
            if lacking:
                raise Refused(
                    "案件记录不全，不能导出：" + "；".join(m.message for m in lacking),
                    [m.finding for m in lacking],
                    code="dossier_incomplete",
                )
            raise Conflict("本案尚未组卷归档，不能导出档案包。", code="not_sealed")
        export = dossier_export(actor=actor, dossier=dossier, target_dir=options["directory"])
        self.stdout.write(
            f"已导出档案包 {export.path}：{export.files} 个文件，{export.bytes} 字节（Payload-Oxum {export.payload_oxum}），"
            f"检查点树大小 {export.checkpoint_size}。"
        )

    def _status(self, options: dict[str, Any]) -> None:
        case = case_named(options["case"])
        dossier = current_dossier(case)
        found = missing(case) if case.stage == "archiving" else []
        deadline = case.deadlines.filter(kind="archive").first()
        body = {
            "case": case.number,
            "stage": case.stage,
            "dossier": None
            if dossier is None
            else {
                "id": str(dossier.public_id),
                "status": dossier.status,
                "archive_number": dossier.archive_number,
                "retention": dossier.retention,
                "version": dossier.version,
                "sealed_at": dossier.sealed_at.isoformat() if dossier.sealed_at else None,
            },
            "deadline": None
            if deadline is None
            else {
                "due_at": deadline.due_at.isoformat(),
                "met_at": deadline.met_at.isoformat() if deadline.met_at else None,
            },
            "missing": [
                {"message": m.message, "article": m.finding.article, "blocking": m.blocking} for m in found
            ],
        }
        if options["format"] == "json":
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
            return
        state = (
            "未组卷"
            if dossier is None
            else f"{dossier.get_status_display()} {dossier.archive_number}".strip()
        )
        self.stdout.write(f"{case.number}：{state}")
        if deadline is not None:
            self.stdout.write(
                f"  归档期限 {deadline.due_at:%Y-%m-%d %H:%M}" + (" 已完成" if deadline.met_at else "")
            )
        for m in found:
            self.stdout.write(f"  {'缺少' if m.blocking else '提示'}：{m.message}（{m.finding.article}）")

    def _seal(self, options: dict[str, Any]) -> None:
        case = case_named(options["case"])
        actor = officer_named(options["as_user"])
        if actor is None:
            raise CommandError("封卷须用 --as 指明档案管理人员。")
        dossier = current_dossier(case)
        if dossier is None or (dossier.status == "assembled" and options.get("retention")):
            dossier = dossier_assemble(
                actor=actor, case=case, retention=options.get("retention"), retention_reason=options["reason"]
            )
        dossier = dossier_seal(actor=actor, dossier=dossier)
        self.stdout.write(
            f"已封卷归档：档号 {dossier.archive_number}（检查点树大小 {dossier.checkpoint_size}）。"
        )
