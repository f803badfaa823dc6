"""6. Records: every live row of every covered table against the latest event that
committed it (``quanlu.ledger.records``)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from quanlu.ledger import records
from quanlu.ledger.models import RowState
from quanlu.ledger.verify.report import Report


def _row_name(spec: records.Covered, key: str) -> str:
    verbose = spec.model._meta.verbose_name
    return f"{verbose}（{spec.label}）记录 {key.split('/', 1)[1]}"


def check_rows(report: Report, latest: dict[str, tuple[str | None, int]]) -> None:
    """Every live row against the latest event committing it (see records.py)."""
    for spec in records.covered():
        for row in records.rows_of(spec):
            report.rows += 1
            content = records.content_of(spec, row)
            key = records.key_of_row(spec, row)
            committed = latest.pop(key, None)
            if committed is None:
                report.add(
                    "row_unrecorded",
                    f"{_row_name(spec, key)}没有任何日志事件记录它的写入（可能是绕过服务直接写入数据库）。",
                    table=spec.model._meta.db_table,
                    row=key,
                )
                continue
            digest, seq = committed
            if digest is None:
                report.add(
                    "row_reappeared",
                    f"{_row_name(spec, key)}已由事件 #{seq} 记录为删除，现在却仍在数据库中。",
                    table=spec.model._meta.db_table,
                    row=key,
                    event_seq=seq,
                )
            elif records.digest_of(content) != digest:
                _row_changed(report, spec, key, content, digest, seq)
    for key, (digest, seq) in sorted(latest.items(), key=lambda kv: kv[1][1]):
        label = key.split("/", 1)[0]
        owner = records.spec_by_label(label)
        if owner is None:
            report.warnings.append(f"事件 #{seq} 记录的 {key} 不属于任何受保护的数据表（表已改名或停用）。")
        elif digest is not None:
            report.add(
                "row_deleted",
                f"{_row_name(owner, key)}（最近由事件 #{seq} 记录）已从数据库中删除，且没有记录删除的事件。",
                table=owner.model._meta.db_table,
                row=key,
                event_seq=seq,
            )


def _row_changed(
    report: Report, spec: records.Covered, key: str, content: dict[str, Any], digest: str, seq: int
) -> None:
    ident = {"table": spec.model._meta.db_table, "row": key, "event_seq": seq, "expected": digest}
    state = RowState.objects.filter(key=key, event_seq=seq).values_list("content", flat=True).first()
    fields: list[str] = []
    if state is not None and hashlib.sha256(state.encode("utf-8")).hexdigest() == digest:
        then = json.loads(state)
        fields = sorted(k for k in set(then) | set(content) if then.get(k) != content.get(k))
    names = "、".join(_field_label(spec, f) for f in fields) or "（记录内容的副本也被改动，无法指出具体字段）"
    report.add(
        "row_changed",
        f"{_row_name(spec, key)}与事件 #{seq} 记录的内容不符，被改动的字段：{names}。",
        fields=",".join(fields),
        actual=records.digest_of(content),
        **ident,
    )


def _field_label(spec: records.Covered, attname: str) -> str:
    for f in spec.model._meta.concrete_fields:
        if f.attname == attname:
            return f"{f.verbose_name}（{attname}）"
    return attname
