"""How a case stands against the rulebook's audio-visual upload deadline
(``av_upload_deadline``), for the rulebook evaluator's findings."""

from __future__ import annotations

from quanlu.media.models import MediaRecord
from quanlu.rulebooks.evaluator import Context, Outcome, evaluates
from quanlu.rulebooks.loader import Rule


@evaluates("av_upload_deadline")
def _av_upload_deadline(rule: Rule, ctx: Context) -> Outcome:
    records = MediaRecord.objects.filter(case=ctx.case)
    total = records.count()
    if not total:
        return Outcome.not_applicable("本案尚无音像记录。")
    late = list(records.filter(upload_overdue=True).values_list("name", flat=True)[:5])
    if late:
        return Outcome.unmet(
            f"{len(late)} 条音像记录逾期储存：{'、'.join(late)}。",
            "逾期无法补救；请在记录中说明原因，今后在记录完成后按期上传。",
        )
    return Outcome.met(f"{total} 条音像记录均按期储存。")
