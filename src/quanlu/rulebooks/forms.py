"""The exemption form on the case page; its choices come from the case's documents."""

from __future__ import annotations

from typing import Any

from django import forms

from quanlu.media.models import ExemptionKind
from quanlu.rulebooks.terms import AV_ACTIVITIES, WRITTEN_REASON_TYPE


class ExemptionForm(forms.Form):
    kind = forms.ChoiceField(label="除外情形", choices=ExemptionKind.choices)
    activity = forms.ChoiceField(label="执法环节", choices=list(AV_ACTIVITIES.items()))
    document = forms.ChoiceField(label="对应文字记录（该环节的笔录、回证等）")
    # Optional: only the means used instead (其他方式) must be said; a regulation that asks
    # the reason asks it in writing (the 原因说明 below).
    reason = forms.CharField(
        label="原因或其他记录方式（以其他方式记录的须填写）",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    written_reason = forms.ChoiceField(
        label="书面原因说明（规定要求书面记录原因的，先制作《不适宜音像记录原因说明》）", required=False
    )

    def __init__(self, *args: Any, documents: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        document, written_reason = self.fields["document"], self.fields["written_reason"]
        assert isinstance(document, forms.ChoiceField)
        assert isinstance(written_reason, forms.ChoiceField)
        document.choices = [
            (
                str(d.public_id),
                f"{d.title}{'（' + d.number + '）' if d.number else ''} · {d.created_at:%m-%d %H:%M}",
            )
            for d in documents
        ]
        written = [d for d in documents if d.type_code == WRITTEN_REASON_TYPE]
        written_reason.choices = [("", "（无）")] + [
            (str(d.public_id), f"{d.title} · {d.created_at:%m-%d %H:%M}") for d in written
        ]
