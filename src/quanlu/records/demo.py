"""Demo documents: at least one filled-in and signed document of every catalogue
type, spread over the demo cases of the five agencies (idempotent: each document
is keyed by a stable client token)."""

from __future__ import annotations

import uuid

from quanlu.cases import services as cases
from quanlu.cases.models import Case, Party
from quanlu.core.idnumbers import resident_id_check_digit, uscc_check_char
from quanlu.core.seeds import token as case_token
from quanlu.org.models import Officer
from quanlu.records import services
from quanlu.records.catalogue import catalogue
from quanlu.records.models import Document
from quanlu.records.sample import Staff, make_document, mark_png, sign_all, upload_sample
from quanlu.records.selectors import current_version

_NS = uuid.UUID("2d0c4b7e-61f3-4c4e-8f0a-5b1f7d3e9a21")
# (agency prefix, demo case token) the documents go to, in turn.
CASES = [("zh", "zh-1"), ("ys", "ys-1"), ("gc", "gc-1"), ("sl", "sl-1"), ("hc", "hc-1")]
PARTIES = {
    "sl-1": ("organisation", "石家庄某砂石有限公司", "uscc", "91130100MA0B2C3D4", "韩某"),
    "hc-1": ("organisation", "海城市某矿业有限公司", "uscc", "91210381MA0C3D4E5", "邓某"),
}


def token(name: str) -> uuid.UUID:
    return uuid.uuid5(_NS, name)


def _case(key: str) -> Case | None:
    return Case.objects.filter(client_token=case_token(key)).first()


def _ensure_party(case: Case, key: str, people: dict[str, Officer], prefix: str) -> None:
    if case.parties.exists() or key not in PARTIES:
        return
    kind, name, id_type, body, rep = PARTIES[key]
    number = body + uscc_check_char(body) if id_type == "uscc" else body + resident_id_check_digit(body)
    cases.party_add(
        actor=people[f"{prefix}-officer1"],
        case=case,
        kind=kind,
        name=name,
        id_type=id_type,
        id_number=number,
        legal_representative=rep,
        client_token=token(f"party-{key}"),
    )


def _staff(people: dict[str, Officer], prefix: str) -> Staff:
    return Staff(
        officer=people[f"{prefix}-officer1"],
        officer2=people[f"{prefix}-officer2"],
        reviewer=people[f"{prefix}-reviewer"],
        legal=people[f"{prefix}-legal"],
        approver=people[f"{prefix}-approver"],
    )


def load(people: dict[str, Officer]) -> None:
    targets = []
    for prefix, key in CASES:
        case = _case(key)
        if case is None:
            continue
        _ensure_party(case, key, people, prefix)
        if case.parties.exists():
            targets.append((prefix, key, case))
    if not targets:
        return
    for n, doc_type in enumerate(catalogue().types.values()):
        prefix, key, case = targets[n % len(targets)]
        tok = token(f"{key}-{doc_type.code}")
        if Document.objects.filter(client_token=tok).exists():
            continue
        staff = _staff(people, prefix)
        if doc_type.uploaded:
            upload_sample(case, doc_type.code, staff, client_token=tok)
        else:
            sign_all(make_document(case, doc_type.code, staff, client_token=tok), staff)
    _showcase_001(people)


def _showcase_001(people: dict[str, Officer]) -> None:
    """元氏 (001 第十四条): a party refuses to sign an inquiry record (two officers
    attest), and a corrected record the party confirms with a fingerprint."""
    case = _case("ys-1")
    if case is None or not case.parties.exists():
        return
    staff = _staff(people, "ys")
    tok = token("ys-1-refusal-inquiry")
    if not Document.objects.filter(client_token=tok).exists():
        doc = make_document(case, "inquiry_transcript", staff, client_token=tok)
        sign_all(doc, staff, refuse={"interviewee", "straddle_seal"})
    tok = token("ys-1-amended-inspection")
    if not Document.objects.filter(client_token=tok).exists():
        doc = make_document(case, "inspection_transcript", staff, client_token=tok)
        sign_all(doc, staff)
        services.document_amend(
            actor=staff.officer,
            document=doc,
            changes={
                "findings": "1. 新建房屋位于基本农田保护区内，占地面积约880平方米（经现场复核更正）。\n2. 现场拍摄照片8张。"
            },
            reason="占地面积笔误，经当事人现场复核后更正。",
            signature_method="password",
            base_version=current_version(doc).number,
        )
        first = case.parties.first()
        party_name = first.name if isinstance(first, Party) else ""
        name = current_version(doc).fields["party"].get("legal_representative") or party_name
        services.signature_capture(
            actor=staff.officer,
            document=doc,
            slot="amendment_2",
            signer_name=name or party_name,
            image=mark_png("fingerprint", name),
            kind="fingerprint",
        )
        sign_all(doc, staff)
