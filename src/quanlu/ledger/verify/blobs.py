"""5. Blobs: every content an event names, re-hashed in the store and its size and SM3
checked against the event that stored it; authorised disposals counted, not named."""

from __future__ import annotations

import hashlib
from typing import Any

from quanlu.ledger import contents
from quanlu.ledger.verify.events import DISPOSED_KEY
from quanlu.ledger.verify.report import Report


def check_blobs(report: Report, refs: dict[str, int], stored: dict[str, dict[str, Any]]) -> None:
    store = contents.current()
    disposed = stored.pop(DISPOSED_KEY, {})
    if store is None:
        report.warnings.append("没有登记内容存储，未重算存储内容的摘要。")
        return
    rows = store.registered(list(refs)) if refs else {}
    for sha, seq in sorted(refs.items(), key=lambda kv: kv[1]):
        row = rows.get(sha)
        event = stored.get(sha)
        ident = {"blob": sha, "event_seq": event["event_seq"] if event else seq}
        if sha in disposed and not store.exists(sha):
            # Removed at the end of its retention, approved twice and ledgered: the hashes
            # and events stay, the bytes are gone by design.
            report.disposed += 1
            continue
        if row is None and event is None and not store.exists(sha):
            report.warnings.append(
                f"事件 #{seq} 提到的内容 {sha} 不在本系统的存储中（可能是外部内容的摘要）。"
            )
            continue
        report.blobs += 1
        size_row, sm3_row = row if row is not None else (None, "")
        if (
            row is not None
            and event is not None
            and (size_row != event.get("size") or (event.get("sm3") or "") != (sm3_row or ""))
        ):
            report.add(
                "blob_row_changed",
                f"存储内容 {sha} 的登记（{size_row} 字节，SM3 {sm3_row or '无'}）与存储事件 #{event['event_seq']} "
                f"记录的（{event.get('size')} 字节，SM3 {event.get('sm3') or '无'}）不符。",
                **ident,
            )
        sizes = {s for s in (size_row, (event.get("size") if event else None)) if s is not None}
        sm3_expected = (event.get("sm3") if event else None) or sm3_row
        try:
            fh = store.open(sha)
        except FileNotFoundError:
            report.add(
                "blob_missing", f"存储内容 {sha}（事件 #{ident['event_seq']} 引用）的文件缺失。", **ident
            )
            continue
        h256 = hashlib.sha256()
        hsm3 = hashlib.new("sm3") if sm3_expected and "sm3" in hashlib.algorithms_available else None
        size = 0
        with fh:
            while chunk := fh.read(1 << 20):
                size += len(chunk)
                h256.update(chunk)
                if hsm3 is not None:
                    hsm3.update(chunk)
        actual = h256.hexdigest()
        if actual != sha:
            report.add(
                "blob_changed",
                f"存储内容 {sha}（事件 #{ident['event_seq']} 引用）的文件已被改动或替换：现在的 SHA-256 为 {actual}，"
                f"大小 {size} 字节。",
                **ident,
                expected=sha,
                actual=actual,
            )
            continue
        if sizes and size not in sizes:
            report.add(
                "blob_changed", f"存储内容 {sha} 的大小为 {size} 字节，登记为 {sorted(sizes)}。", **ident
            )
        if hsm3 is not None and hsm3.hexdigest() != sm3_expected:
            report.add(
                "blob_changed",
                f"存储内容 {sha} 的 SM3 摘要为 {hsm3.hexdigest()}，登记为 {sm3_expected}。",
                **ident,
                expected=sm3_expected,
                actual=hsm3.hexdigest(),
            )
