"""完整性 (integrity): GD-2-*."""

from __future__ import annotations

from quanlu.archive.checks.base import SealInput, _fail, _na, _ok, _origin_events, _records, check
from quanlu.archive.models import CheckGroup, ItemKind
from quanlu.blobs.models import Blob
from quanlu.cases.models import Stage
from quanlu.ledger import note
from quanlu.ledger.models import Event, Leaf


@check("GD-2-1", CheckGroup.INTEGRITY, "总件数相符性检测")
def _count(inp: SealInput) -> tuple[str, str]:
    records = _records(inp)
    numbered = [f for f in records if f.index_no is not None]
    if len(numbered) != len(records):
        return _fail(["有文件未编入卷内目录"])
    return _ok(
        f"卷内目录 {len(numbered)} 件，与组卷的文书和音像记录件数一致；连同封面、目录、备考表等共 {len(inp.files)} 个文件。"
    )


@check("GD-2-2", CheckGroup.INTEGRITY, "总字节数相符性检测")
def _bytes(inp: SealInput) -> tuple[str, str]:
    blobs = Blob.objects.in_bulk([f.sha256 for f in inp.files if f.path is not None])
    problems = [
        f"{f.bag_path} 著录 {f.size} 字节，存储登记 {blobs[f.sha256].size} 字节"
        for f in inp.files
        if f.path is not None and f.sha256 in blobs and blobs[f.sha256].size != f.size
    ]
    total = sum(f.size for f in inp.files)
    return (
        _fail(problems)
        if problems
        else _ok(f"总字节数 {total}，与各文件著录和存储登记之和一致（导出时即 Payload-Oxum 的前半部分）。")
    )


@check("GD-2-3", CheckGroup.INTEGRITY, "元数据项完整性检测")
def _metadata_complete(inp: SealInput) -> tuple[str, str]:
    problems = []
    for f in _records(inp):
        for key, label in (("title", "题名"), ("responsible", "责任者")):
            if not getattr(f, key):
                problems.append(f"{f.bag_path} 缺少{label}")
        if f.kind == ItemKind.MEDIA:
            for key, label in (
                ("matter", "事项"),
                ("time", "时间"),
                ("method", "方式"),
                ("officers", "执法人员"),
            ):
                if not f.av.get(key):
                    problems.append(f"{f.bag_path} 缺少{label}")
    return (
        _fail(problems)
        if problems
        else _ok("每份文件均著录题名、责任者、日期；音像记录均注明事项、时间、方式、执法人员。")
    )


@check("GD-2-4", CheckGroup.INTEGRITY, "必填著录项目检测")
def _required(inp: SealInput) -> tuple[str, str]:
    problems = [
        label
        for label, value in (
            ("档号", inp.archive_number),
            ("案卷题名", inp.title),
            ("保管期限", inp.retention),
        )
        if not value
    ]
    return (
        _fail([f"缺少{p}" for p in problems])
        if problems
        else _ok("档号、案卷题名、保管期限、起止日期均已著录。")
    )


@check("GD-2-5", CheckGroup.INTEGRITY, "过程信息完整性检测")
def _process(inp: SealInput) -> tuple[str, str]:
    case = inp.case
    opened = Event.objects.filter(case_uid=case.public_id, type="case:case:opened").values_list(
        "seq", flat=True
    )
    moves = list(
        Event.objects.filter(case_uid=case.public_id, type="case:stage:advanced").values_list(
            "seq", "payload"
        )
    )
    problems = []
    if not opened:
        problems.append("没有立案（程序启动）日志事件")
    entered = set(case.transitions.values_list("to_stage", flat=True)) - {Stage.INITIATION}
    logged = {p.get("to") for _, p in moves if isinstance(p, dict)}
    problems += [f"进入「{Stage(s).label}」阶段没有日志事件" for s in sorted(entered - logged)]
    size = note.parse_checkpoint(note.parse_note(inp.checkpoint_note).text).size
    seqs = list(opened) + [s for s, _ in moves] + list(_origin_events(inp).values())
    leaves = dict(Leaf.objects.filter(event_seq__in=seqs).values_list("event_seq", "index"))
    late = [s for s in seqs if s not in leaves or leaves[s] >= size]
    if late:
        problems.append(f"{len(late)} 条过程事件未被封卷所依据的检查点覆盖")
    if problems:
        return _fail(problems)
    return _ok(
        f"立案、{len(moves)} 次阶段变更及全部文件的入库事件均在日志中，且被树大小 {size} 的检查点覆盖。"
    )


@check("GD-2-6", CheckGroup.INTEGRITY, "连续性元数据项检测")
def _continuous(inp: SealInput) -> tuple[str, str]:
    records = [f for f in _records(inp) if f.index_no is not None]
    numbers = [f.index_no for f in records]
    problems = []
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"顺序号不连续：{numbers}")
    page = 1
    for f in (r for r in records if r.kind == ItemKind.DOCUMENT):
        if f.pages == 0:
            problems.append(f"{f.bag_path} 页数为 0")
            continue
        if f.page_from != page or f.page_to != page + f.pages - 1:
            problems.append(f"{f.bag_path} 的页号 {f.page_from}—{f.page_to} 不连续（应从 {page} 起）")
        page = (f.page_to or page) + 1
    return (
        _fail(problems)
        if problems
        else _ok(f"顺序号 1—{len(numbers)} 连续；文书页号 1—{page - 1} 连续，与 PDF 实际页数一致。")
    )


@check("GD-2-7", CheckGroup.INTEGRITY, "内容数据完整性检测")
def _content_complete(inp: SealInput) -> tuple[str, str]:
    problems = [
        f"{f.bag_path} 的内容缺失"
        for f in inp.files
        if f.data is None and (f.path is None or not f.path.is_file())
    ]
    return _fail(problems) if problems else _ok("每个文件的内容都在。")


@check("GD-2-8", CheckGroup.INTEGRITY, "附件数据完整性检测")
def _attachments(inp: SealInput) -> tuple[str, str]:
    return _na("文书的签名、印章、手印已合成在签署后的 PDF 中，不另作附件；音像记录无附件。")


@check("GD-2-9", CheckGroup.INTEGRITY, "归档范围检测")
def _scope(inp: SealInput) -> tuple[str, str]:
    if inp.missing:
        return _fail([m.message for m in inp.missing])
    return _ok(
        "本机关规则集要求的记录齐全：无阻断性的不符合项，文书签署完毕，音像记录均可注明事项、时间、执法人员。"
    )
