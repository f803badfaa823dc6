"""安全性 (security): GD-4-*."""

from __future__ import annotations

from quanlu.archive.checks.base import SealInput, _fail, _na, _ok, _origin_events, check
from quanlu.archive.models import CheckGroup
from quanlu.ledger import note
from quanlu.ledger.models import Leaf


@check("GD-4-1", CheckGroup.SECURITY, "系统环境中是否安装杀毒软件检测")
def _antivirus(inp: SealInput) -> tuple[str, str]:
    return _na("本系统未集成杀毒软件；由运行环境负责。")


@check("GD-4-2", CheckGroup.SECURITY, "病毒感染检测")
def _virus(inp: SealInput) -> tuple[str, str]:
    return _na("未配置病毒扫描服务。文件格式已逐一核验（GD-3-3、GD-3-4），不含压缩包和加密文件（GD-3-6）。")


@check("GD-4-3", CheckGroup.SECURITY, "归档载体安全性检测")
def _carrier(inp: SealInput) -> tuple[str, str]:
    return _na("在线归档，未使用离线载体；刻录光盘（DA/T 38）时另行检测。")


@check("GD-4-4", CheckGroup.SECURITY, "归档过程安全性检测")
def _process_security(inp: SealInput) -> tuple[str, str]:
    origins = _origin_events(inp)
    size = note.parse_checkpoint(note.parse_note(inp.checkpoint_note).text).size
    leaves = dict(Leaf.objects.filter(event_seq__in=list(origins.values())).values_list("event_seq", "index"))
    uncovered = [sha[:12] for sha, seq in origins.items() if seq not in leaves or leaves[seq] >= size]
    if uncovered:
        return _fail([f"{len(uncovered)} 个文件的入库事件未被检查点覆盖"])
    return _ok(
        f"卷内文件的摘要均已记入防篡改日志并被签名检查点（树大小 {size}）覆盖；封卷事件记录每个文件的摘要，导出后对档案包再行核验。"
    )
