"""Plausible filled-in content and signatures for any catalogue type.

The demo data and the tests use this to make, sign and render a document of every
type through the real services; it knows nothing a type's YAML does not say.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from quanlu.cases.models import Case
from quanlu.org.models import Officer
from quanlu.records import services
from quanlu.records.catalogue import DocType, FieldSpec, catalogue
from quanlu.records.models import Document
from quanlu.records.selectors import current_version, signature_status


@dataclass
class Staff:
    """The agency's people a sample document is made and signed by."""

    officer: Officer
    officer2: Officer
    reviewer: Officer
    legal: Officer
    approver: Officer

    def pick(self, key: str) -> list[Officer]:
        return {
            "reviewers": [self.legal],
            "attendees": [self.approver, self.reviewer, self.officer],
            "presiding": [self.reviewer],
            "chair": [self.approver],
            "unit_reviewer": [self.reviewer],
            "recorder": [self.officer2],
            "drafter": [self.officer],
            "photographer": [self.officer2],
        }.get(key, [self.officer, self.officer2])


def _now() -> dt.datetime:
    return timezone.localtime(timezone.now()).replace(second=0, microsecond=0)


def sample_value(spec: FieldSpec, case: Case, staff: Staff) -> Any:
    t, ex = spec.type, spec.example
    now = _now()
    if t in ("text", "long_text"):
        return str(ex) if ex is not None else f"{spec.label}（示例）"
    if t == "date":
        return (now.date() + dt.timedelta(days=15 if "期限" in spec.label else 0)).isoformat()
    if t == "datetime":
        moment = now - dt.timedelta(hours=2) if spec.key != "ended_at" else now - dt.timedelta(hours=1)
        return moment.strftime("%Y-%m-%d %H:%M")
    if t == "integer":
        return ex if ex is not None else (spec.minimum or 1)
    if t == "money":
        return str(ex) if ex is not None else "1000.00"
    if t == "boolean":
        return bool(ex) if ex is not None else False
    if t == "choice":
        return ex if ex is not None else spec.options[0][0]
    if t == "multi_choice":
        return ex if ex is not None else [spec.options[0][0]]
    if t == "officer":
        return str(staff.pick(spec.key)[0].public_id)
    if t == "officers":
        people = staff.pick(spec.key)
        return [{"officer": str(o.public_id), "certificate_shown": True} for o in people]
    if t == "party":
        party = case.parties.order_by("added_at", "id").first()
        return str(party.public_id) if party else None
    if t == "person":
        return {
            "name": "王某某",
            "gender": "男",
            "phone": "139****5678",
            "address": "本市某区某街道",
            "position": "某公司员工",
        }
    if t == "persons":
        return ex if ex is not None else [{"name": "李某", "role": spec.label}]
    if t == "items":
        return (
            ex
            if ex is not None
            else [{c.key: ("1" if c.type == "integer" else "示例") for c in spec.columns}]
        )
    if t == "turns":
        if ex is not None:
            return ex
        return [{"speaker": v, "text": f"{label}的发言（示例）。"} for v, label in spec.speakers[:2]]
    if t == "rights":
        return [
            {"right": r, "notified": True, "method": "oral_and_written", "exercised": ""}
            for r in spec.rights_for(case.rulebook_id)
        ]
    return None  # pragma: no cover


def sample_fields(doc_type: DocType, case: Case, staff: Staff) -> dict[str, Any]:
    out = {}
    for spec in doc_type.fields:
        value = sample_value(spec, case, staff)
        if value is not None:
            out[spec.key] = value
    return out


# ---------------------------------------------------------------- marks


def _font(size: int) -> Any:
    from PIL import ImageFont

    from quanlu.records.render import seal_font

    path, index = seal_font()
    return ImageFont.truetype(path, size, index=index)


def handwriting_png(name: str) -> bytes:
    """A stand-in for a hand-drawn signature: the name in dark ink, slanted."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (60 + 70 * max(len(name), 2), 120), (0, 0, 0, 0))
    ImageDraw.Draw(img).text((20, 20), name, font=_font(64), fill=(20, 30, 90, 255))
    img = img.transform(
        img.size, Image.Transform.AFFINE, (1, 0.25, -15, 0, 1, 0), resample=Image.Resampling.BICUBIC
    )
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def fingerprint_png() -> bytes:
    """A red fingerprint-like mark (concentric ridges)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (160, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    for i in range(12):
        w, h = 12 + i * 11, 16 + i * 14
        box = [80 - w / 2, 100 - h / 2, 80 + w / 2, 100 + h / 2]
        start = 20 * math.sin(i)
        draw.arc(box, start=start, end=start + 320, fill=(190, 20, 30, 230), width=3)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def mark_png(kind: str, name: str) -> bytes:
    from quanlu.records.render import seal_png

    if kind == "fingerprint":
        return fingerprint_png()
    if kind in ("seal", "straddle_seal"):
        return seal_png(name[:14])
    return handwriting_png(name)


# ---------------------------------------------------------------- signing


def _signer_for(role: str, staff: Staff) -> Officer:
    return {
        "reviewer": staff.reviewer,
        "legal_reviewer": staff.legal,
        "approver": staff.approver,
        "agency": staff.approver,
        "recorder": staff.officer2,
        "presiding_officer": staff.reviewer,
    }.get(role, staff.officer)


def _person_name(doc: Document, roles: tuple[str, ...]) -> str:
    values = current_version(doc).fields
    for key in ("party", "recipient", "applicant", "holder", "respondent"):
        if isinstance(values.get(key), dict) and "party" in roles:
            return str(values[key].get("legal_representative") or values[key]["name"])
    if "interviewee" in roles and isinstance(values.get("interviewee"), dict):
        return str(values["interviewee"]["name"])
    return {"witness": "赵见证", "present_person": "钱某", "recipient": "孙某", "expert": "王教授"}.get(
        roles[0], "周某"
    )


def sign_all(doc: Document, staff: Staff, *, refuse: set[str] | None = None) -> Document:
    """Fill every required slot: officers sign for themselves, others on the touch
    screen; slots named in ``refuse`` get a refusal attested by two officers."""
    refuse = refuse or set()
    for _ in range(8):  # later slots (straddle seal, confirmations) appear as earlier ones fill
        pending = [st for st in signature_status(doc) if not st.satisfied]
        if not pending:
            break
        for st in pending:
            for e in st.expected:
                if e.done:
                    continue
                if st.officer_slot:
                    signed = {sig.officer_id for sig in st.signatures}
                    signer = _named(doc, st.key, e.officer_id) or _signer_for(st.roles[0], staff)
                    if signer.pk in signed:
                        signer = next(
                            o for o in (staff.officer, staff.officer2, staff.reviewer) if o.pk not in signed
                        )
                    services.signature_sign(
                        actor=signer, document=doc, slot=st.key, signature_method="password"
                    )
                elif st.key in refuse and st.refusal_allowed:
                    name = e.person_name or _person_name(doc, st.roles)
                    refusal = services.refusal_record(
                        actor=staff.officer,
                        document=doc,
                        slot=st.key,
                        person_name=name,
                        reason="当事人对记录内容有异议，拒绝签字。",
                        signature_method="password",
                    )
                    services.refusal_attest(
                        actor=staff.officer2, refusal=refusal, signature_method="password"
                    )
                else:
                    name = e.person_name or _person_name(doc, st.roles)
                    kind = (
                        "fingerprint"
                        if "fingerprint" in st.kinds and "signature" not in st.kinds
                        else st.kinds[0]
                    )
                    services.signature_capture(
                        actor=staff.officer,
                        document=doc,
                        slot=st.key,
                        signer_name=name,
                        image=mark_png(kind, name),
                        kind=kind,
                    )
                break  # re-read the status: one mark can change what is expected
    doc.refresh_from_db()
    return doc


def _named(doc: Document, slot: str, officer_id: str) -> Officer | None:
    if officer_id:
        return Officer.objects.get(public_id=officer_id)
    value = current_version(doc).fields.get(slot)
    if isinstance(value, dict) and "officer" in value and "certificate_no" in value:
        return Officer.objects.get(public_id=value["officer"])
    return None


def make_document(case: Case, type_code: str, staff: Staff, *, client_token: Any = None) -> Document:
    doc_type = catalogue().get(type_code)
    return services.document_create(
        actor=staff.officer,
        case=case,
        type_code=type_code,
        fields=sample_fields(doc_type, case, staff),
        client_token=client_token,
    )


def sample_pdf(title: str, issuer: str, body: str = "") -> bytes:
    """A born-digital PDF as an outside institution would send it."""
    from quanlu.records.render import SERIF_FAMILY, html_to_pdfa

    html = (
        f'<html><body style="font-family:\'{SERIF_FAMILY}\'"><h1 style="text-align:center">{title}</h1>'
        f"<p>出具机构：{issuer}</p><p>{body or '（正文略）'}</p></body></html>"
    )
    return html_to_pdfa(html, title=title, author=issuer)[0]


def upload_sample(case: Case, type_code: str, staff: Staff, *, client_token: Any = None) -> Document:
    doc_type = catalogue().get(type_code)
    fields = sample_fields(doc_type, case, staff)
    pdf = sample_pdf(doc_type.title, str(fields.get("issuer", "")), str(fields.get("conclusion", "")))
    return services.document_upload(
        actor=staff.officer,
        case=case,
        type_code=type_code,
        chunks=[pdf],
        file_name=f"{doc_type.title}.pdf",
        fields=fields,
        declared_size=len(pdf),
        client_token=client_token,
    )
