"""`quanlu ledger ...`: the tamper-evident log from the command line.

integrate                      integrate queued events, sign checkpoints
checkpoint [LOG]               print the latest signed checkpoint(s)
prove EVENT                    print the event's tlog-proof receipt
consistency LOG OLD [NEW]      consistency proof between two checkpoints
verify [--format json]         recompute everything; exit 1 on any problem
verify-proof PROOF --vkey V --data ENTRY     offline check, no database
verify-consistency FILE --vkey V             offline check, no database
anchor export [LOG] --recipient R            checkpoint for an outside witness
anchor verify FILE             is the log still an extension of that checkpoint?
keys [--init]                  list public keys (and make keys for every agency)
covered [--format json]        the tables whose rows verify compares with their events
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quanlu.core.errors import DomainError
from quanlu.ledger import keys, merkle, note, tlogproof


class Command(BaseCommand):
    help = "防篡改日志：入树、检查点、证明、校验、锚定。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("integrate", help="把待入树的事件写入日志并签署检查点")
        p.add_argument("--batch", type=int, help="每个事务处理的事件数")

        p = sub.add_parser("checkpoint", help="显示最新的签名检查点")
        p.add_argument("log", nargs="?", help="日志（来源、机关代码、标识或 system）；省略则全部")
        p.add_argument("--format", choices=["text", "json"], default="text")

        p = sub.add_parser("prove", help="输出事件的包含证明（C2SP tlog-proof）")
        p.add_argument("event", help="事件序号或标识")
        p.add_argument("--size", type=int, help="针对该树大小的检查点（默认最新）")
        p.add_argument("-o", "--output", help="证明写入此文件（默认标准输出）")
        p.add_argument("--entry", help="事件原文（叶子数据）写入此文件")
        p.add_argument("--format", choices=["text", "json"], default="text")

        p = sub.add_parser("consistency", help="两个检查点之间的一致性证明")
        p.add_argument("log")
        p.add_argument("old", type=int, help="旧检查点的树大小")
        p.add_argument("new", type=int, nargs="?", help="新检查点的树大小（默认最新）")
        p.add_argument("-o", "--output")

        p = sub.add_parser("covered", help="列出受日志保护的数据表（逐条记录与事件比对）及不在其列的表和原因")
        p.add_argument("--format", choices=["text", "json"], default="text")

        p = sub.add_parser("verify", help="全面校验：事件、各条记录、存储内容、树、检查点、副署")
        p.add_argument("--format", choices=["text", "json"], default="text")
        p.add_argument("--no-blobs", dest="blobs", action="store_false", help="不重算存储内容的摘要")

        p = sub.add_parser("verify-proof", help="离线验证 tlog-proof（不需要数据库）")
        p.add_argument("proof")
        p.add_argument("--vkey", action="append", required=True, help="日志验证公钥（文字或文件），可重复")
        p.add_argument("--data", required=True, help="条目原文文件")
        p.add_argument("--witness", action="append", default=[])
        p.add_argument("--quorum", type=int, default=0)
        p.add_argument("--origin")

        p = sub.add_parser("verify-consistency", help="离线验证一致性证明文件（不需要数据库）")
        p.add_argument("bundle")
        p.add_argument("--vkey", action="append", required=True)

        p = sub.add_parser("anchor", help="外部锚定：导出检查点，或核验导出过的检查点")
        anchor = p.add_subparsers(dest="anchor_action", required=True)
        a = anchor.add_parser("export", help="导出最新检查点")
        a.add_argument("log", nargs="?", help="日志（默认：全部机关日志各导出一份）")
        a.add_argument("--recipient", required=True, help="接收方，如 某某市司法局")
        a.add_argument("-o", "--output", help="写入此文件（默认标准输出）")
        a = anchor.add_parser("verify", help="核验导出过的检查点：日志此后未被改写")
        a.add_argument("file")
        a.add_argument("--format", choices=["text", "json"], default="text")

        p = sub.add_parser("keys", help="列出日志与见证者的公钥")
        p.add_argument("--init", action="store_true", help="为每个机关建立日志和见证密钥")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        try:
            getattr(self, f"do_{action}")(options)
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        except keys.KeyFileError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        except (note.NoteError, merkle.MerkleError) as exc:
            raise CommandError(str(exc), returncode=1) from exc

    # --- writes ------------------------------------------------------------------------

    def do_integrate(self, options: dict[str, Any]) -> None:
        from quanlu.ledger.services import ledger_integrate

        result = ledger_integrate(batch_size=options.get("batch"))
        self.stdout.write(
            f"入树 {result.integrated} 个事件，签署 {len(result.checkpoints)} 个检查点，见证副署 {result.cosignatures} 个。"
        )
        for cp in result.checkpoints:
            self.stdout.write(f"  {cp.log.origin}  树大小 {cp.size}  根 {bytes(cp.root).hex()}")
        for warning in result.warnings:
            self.stderr.write(f"警告：{warning}")

    def do_anchor(self, options: dict[str, Any]) -> None:
        from quanlu.ledger.models import Log
        from quanlu.ledger.proofs import log_by_ref
        from quanlu.ledger.services import anchor_export, anchor_verify

        if options["anchor_action"] == "export":
            logs = [log_by_ref(options["log"])] if options.get("log") else list(Log.objects.order_by("pk"))
            texts = []
            for log in logs:
                if not log.checkpoints.exists():
                    continue
                _, text = anchor_export(actor=None, log=log, recipient=options["recipient"])
                texts.append(text)
            if not texts:
                raise CommandError(
                    "还没有任何已签署的检查点可导出（先运行 quanlu ledger integrate）。", returncode=1
                )
            self._emit("\n".join(texts), options.get("output"))
            return
        try:
            data = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取锚定文件：{options['file']}", returncode=2) from exc
        result = anchor_verify(actor=None, text=data)
        if options["format"] == "json":
            self.stdout.write(json.dumps(result.__dict__, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"日志：{result.origin}")
            self.stdout.write(f"锚定时：树大小 {result.anchored_size}  根 {result.anchored_root}")
            if result.current_size:
                self.stdout.write(f"现在：  树大小 {result.current_size}  根 {result.current_root}")
            for line in result.notes:
                self.stdout.write(line)
            for line in result.problems:
                self.stdout.write(f"问题：{line}")
            self.stdout.write("结论：日志自锚定以来未被改写。" if result.ok else "结论：核验未通过。")
        if not result.ok:
            raise CommandError("锚定核验未通过。", returncode=1)

    # --- reads -------------------------------------------------------------------------

    def do_checkpoint(self, options: dict[str, Any]) -> None:
        from quanlu.ledger.models import Log
        from quanlu.ledger.proofs import log_by_ref
        from quanlu.ledger.sequencer import checkpoint_note, latest_checkpoint

        logs = (
            [log_by_ref(options["log"])]
            if options.get("log")
            else list(Log.objects.select_related("agency").order_by("pk"))
        )
        out: list[dict[str, Any]] = []
        for log in logs:
            cp = latest_checkpoint(log)
            if cp is None:
                continue
            out.append(
                {
                    "log": str(log.public_id),
                    "origin": log.origin,
                    "agency": log.agency.name if log.agency else "（系统日志）",
                    "size": cp.size,
                    "root": bytes(cp.root).hex(),
                    "signed_at": cp.created_at.isoformat(),
                    "note": checkpoint_note(cp),
                    "vkeys": list(log.keys.values_list("vkey", flat=True)),
                }
            )
        if options["format"] == "json":
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
            return
        if not out:
            self.stdout.write("还没有任何已签署的检查点（先运行 quanlu ledger integrate）。")
        for row in out:
            self.stdout.write(f"# {row['agency']}  签署于 {row['signed_at']}")
            for vkey in row["vkeys"]:
                self.stdout.write(f"# 验证公钥 {vkey}")
            self.stdout.write(row["note"])

    def do_prove(self, options: dict[str, Any]) -> None:
        from quanlu.ledger.proofs import event_by_ref, event_prove

        proof = event_prove(event_by_ref(options["event"]), size=options.get("size"))
        if options.get("entry"):
            Path(options["entry"]).write_bytes(proof.entry)
        if options["format"] == "json":
            self._emit(
                json.dumps(proof.as_dict(), ensure_ascii=False, indent=2, default=str) + "\n",
                options.get("output"),
            )
        else:
            self._emit(proof.proof, options.get("output"))

    def do_consistency(self, options: dict[str, Any]) -> None:
        from quanlu.ledger.proofs import consistency_bundle, log_by_ref

        text = consistency_bundle(log_by_ref(options["log"]), options["old"], options.get("new"))
        self._emit(text + "\n", options.get("output"))

    def do_verify(self, options: dict[str, Any]) -> None:
        from quanlu.ledger.services import verification_run

        _, report = verification_run(actor=None, blobs=options["blobs"], parallel=True)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(
                f"校验了 {report.events} 个事件、{report.rows} 条记录、{report.logs} 个日志、{report.checkpoints} 个检查点、"
                f"{report.cosignatures} 个见证副署、{report.blobs} 个存储内容，用时 {report.seconds} 秒。"
                + (
                    f"另有 {report.disposed} 个存储内容已经批准按期销毁（保留摘要和日志事件）。"
                    if report.disposed
                    else ""
                )
            )
            for warning in report.warnings:
                self.stdout.write(f"提示：{warning}")
            for problem in report.problems:
                self.stdout.write(f"问题 [{problem.kind}]：{problem.message}")
            self.stdout.write(
                "结论：全部一致，未发现篡改。" if report.ok else f"结论：发现 {len(report.problems)} 处问题。"
            )
        if not report.ok:
            raise CommandError(f"校验未通过：发现 {len(report.problems)} 处问题。", returncode=1)

    def do_covered(self, options: dict[str, Any]) -> None:
        from quanlu.ledger import records

        covered = [
            {
                "table": c.model._meta.db_table,
                "model": c.label,
                "name": str(c.model._meta.verbose_name),
                "key": c.key,
            }
            for c in records.covered()
        ]
        exempt = [
            {"table": e.model._meta.db_table, "model": e.model._meta.label_lower, "reason": e.reason}
            for e in records.exempted()
        ]
        if options["format"] == "json":
            self.stdout.write(
                json.dumps({"covered": covered, "exempt": exempt}, ensure_ascii=False, indent=2)
            )
            return
        self.stdout.write(f"逐条与日志事件比对的数据表（{len(covered)} 个）：")
        for c in covered:
            self.stdout.write(f"  {c['table']:<32} {c['name']}")
        self.stdout.write(f"不逐条比对的数据表（{len(exempt)} 个）及原因：")
        for e in exempt:
            self.stdout.write(f"  {e['table']:<32} {e['reason']}")

    def do_verify_proof(self, options: dict[str, Any]) -> None:
        argv = [options["proof"], "--data", options["data"]]
        for v in options["vkey"]:
            argv += ["--vkey", v]
        for w in options["witness"]:
            argv += ["--witness", w]
        argv += ["--quorum", str(options["quorum"])]
        if options.get("origin"):
            argv += ["--origin", options["origin"]]
        code = _run_standalone(argv, self)
        if code:
            raise CommandError("验证未通过。", returncode=code)

    def do_verify_consistency(self, options: dict[str, Any]) -> None:
        try:
            data = Path(options["bundle"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件：{options['bundle']}", returncode=2) from exc
        old, new = tlogproof.verify_consistency_bundle(data, tlogproof._read_keys(options["vkey"]))
        self.stdout.write(
            f"验证通过：日志「{new.origin}」树大小 {new.size} 是树大小 {old.size} 的延续（一致）。"
        )

    def do_keys(self, options: dict[str, Any]) -> None:
        from quanlu.ledger import directory
        from quanlu.ledger.models import Key, Log
        from quanlu.ledger.sequencer import log_for_agency, supervisor_of, witness_for

        if options["init"]:
            from quanlu.ledger.sequencer import sequencer_lock

            with sequencer_lock():
                log_for_agency(None)
                for agency_id in directory.current().agency_ids():
                    log_for_agency(agency_id)
                    supervisor = supervisor_of(agency_id)
                    if supervisor is not None:
                        witness_for(supervisor)
            self.stdout.write(f"密钥目录：{keys.key_dir()}（私钥只在此目录，权限 0600）")
        for log in Log.objects.select_related("agency").order_by("pk"):
            self.stdout.write(f"日志 {log.origin}（{log.agency.name if log.agency else '系统日志'}）")
            for vkey in log.keys.values_list("vkey", flat=True):
                self.stdout.write(f"  {vkey}")
        for key in Key.objects.filter(witness__isnull=False).select_related("witness", "witness__agency"):
            self.stdout.write(f"见证者 {key.witness.name}（{key.witness.agency.name}）")  # type: ignore[union-attr]
            self.stdout.write(f"  {key.vkey}")

    def _emit(self, text: str, output: str | None) -> None:
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"已写入 {output}")
        else:
            self.stdout.write(text, ending="")


def _run_standalone(argv: list[str], command: BaseCommand) -> int:
    """Run the Django-free verifier, routing its output through the command's streams."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = tlogproof.main(argv)
    command.stdout.write(out.getvalue(), ending="")
    command.stderr.write(err.getvalue(), ending="")
    return code
