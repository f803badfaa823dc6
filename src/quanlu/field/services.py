"""Everything that can happen in field capture: ``grep -n "^def " field/services.py``.

Enrolling a device key and taking a case out happen online. What a device captured
offline comes back one record at a time, in capture order, through
``field_record_receive``: it re-hashes the record, checks the device and the
officers' signatures, and hands the record to the services that make documents,
signatures and media links when online, so their events and checks are the usual
ones. Whatever happens, the record is kept as received in a receipt: a mismatch,
a failed signature, a case that moved on or a refused service call is a flag with
its Chinese explanation, never a silent acceptance and never a loss.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from quanlu.cases.models import Case, Party, Stage
from quanlu.cases.services import case_open, party_add
from quanlu.core.canonical import canonical_bytes
from quanlu.core.errors import Conflict, DomainError, InvalidInput, PermissionDenied, Refused
from quanlu.core.validation import clean_text, parse_uuid
from quanlu.field import events
from quanlu.field.keys import KeyError_, fingerprint, load_public_key, verify
from quanlu.field.models import (
    DeviceRevocation,
    FieldCredential,
    FieldDevice,
    Receipt,
    ReceiptStatus,
    RecordKind,
    Takeout,
)
from quanlu.ledger.services import record_event
from quanlu.media.models import MediaRecord
from quanlu.media.services import exemption_record, interruption_record, media_link
from quanlu.media.services.gaps import Signer
from quanlu.org.models import Officer, Role
from quanlu.org.permissions import require_admin
from quanlu.records.catalogue import DocType, catalogue
from quanlu.records.models import CaptureMethod, Document
from quanlu.records.services import (
    document_create,
    refusal_attest,
    refusal_record,
    signature_capture,
    signature_sign,
)

# The form the app opens with; the other on-site types follow in catalogue order.
FIRST_TYPE = "inspection_transcript"
FIELD_ROLES = (Role.OFFICER, Role.HANDLER)
# A clock this far from the server's is shown as such on the receipt.
CLOCK_FLAG_MS = 5 * 60 * 1000


def _require_field_officer(officer: Officer) -> None:
    if not officer.is_active or not officer.has_role(*FIELD_ROLES):
        raise PermissionDenied("现场离线采集需要「执法人员」或「承办人」角色。")


def _revoked(device: FieldDevice) -> DeviceRevocation | None:
    return DeviceRevocation.objects.filter(device=device).first()


def onsite_types(rulebook_id: str) -> list[DocType]:
    """The documents made on site (the catalogue marks them ``on_site``) that the
    case's regulation names: what a device may capture offline for the case."""
    source = f"{rulebook_id}.txt"
    found = [
        t
        for t in catalogue().types.values()
        if t.on_site and not t.uploaded and any(c.source == source for c in t.cited_by)
    ]
    return sorted(found, key=lambda t: t.code != FIRST_TYPE)


@transaction.atomic
def credential_enroll(
    *, actor: Officer, officer: Officer, device_uid: Any, label: Any, public_key: Any
) -> FieldCredential:
    """Enroll ``officer``'s signing key on a device (the browser made the key pair;
    the server keeps the public half). ``actor`` is the signed-in officer whose
    device it is; a colleague enrolling on it has re-authenticated (the view's part)."""
    _require_field_officer(officer)
    if actor.agency is None or actor.agency_id != officer.agency_id:
        raise PermissionDenied("只能为本机关人员登记签名凭证。")
    uid = parse_uuid(device_uid, label="设备标识", field="device")
    label = clean_text(label, label="设备名称", field="label", max_length=100, required=False) or "现场终端"
    try:
        der = base64.b64decode(str(public_key), validate=True)
        load_public_key(der)
    except (binascii.Error, KeyError_) as exc:
        raise InvalidInput("签名公钥无效（应为 P-256 椭圆曲线公钥）。", field_name="public_key") from exc
    now = timezone.now()
    device = FieldDevice.objects.select_for_update().filter(public_id=uid).first()
    created = []
    if device is None:
        device = FieldDevice.objects.create(
            public_id=uid, agency=actor.agency, label=label, enrolled_by=actor, enrolled_at=now
        )
        created.append(device)
    elif device.agency_id != actor.agency_id:
        raise PermissionDenied("该设备已登记在其他机关。")
    elif _revoked(device) is not None:
        raise Conflict("该设备已被吊销，不能再登记签名凭证。", code="device_revoked")
    credential = FieldCredential.objects.create(
        device=device,
        officer=officer,
        public_key=base64.b64encode(der).decode(),
        fingerprint=fingerprint(der),
        enrolled_at=now,
    )
    record_event(
        type=events.CREDENTIAL_ENROLLED,
        actor=actor,
        agency=actor.agency,
        at=now,
        payload={
            "device": device.public_id,
            "device_label": device.label,
            "officer": officer.public_id,
            "credential": credential.public_id,
            "fingerprint": credential.fingerprint,
        },
        rows=[*created, credential],
    )
    return credential


@transaction.atomic
def device_revoke(*, actor: Officer, device: FieldDevice, reason: Any) -> DeviceRevocation:
    """The administrator revokes a lost device: its not yet synced records are refused
    from now on and listed (see ``receipts_refused``)."""
    require_admin(actor, device.agency)
    reason = clean_text(reason, label="吊销理由", field="reason", max_length=1000)
    if _revoked(device) is not None:
        raise Conflict("该设备已被吊销。", code="device_revoked")
    now = timezone.now()
    revocation = DeviceRevocation.objects.create(
        device=device, reason=reason, revoked_by=actor, revoked_at=now
    )
    record_event(
        type=events.DEVICE_REVOKED,
        actor=actor,
        agency=device.agency,
        at=now,
        payload={"device": device.public_id, "reason": reason},
        rows=[revocation],
    )
    return revocation


@transaction.atomic
def case_take_offline(*, actor: Officer, case: Case, device: FieldDevice) -> Takeout:
    """Mark a case as carried on a device (离线携带). Taking it again on the same
    device returns the takeout already made."""
    _require_field_officer(actor)
    if actor.agency_id != case.agency_id or device.agency_id != case.agency_id:
        raise PermissionDenied("只能离线携带本机关的案件。")
    if case.stage == Stage.CLOSED:
        raise Conflict("案件已结案，不能离线携带。", code="case_closed")
    if _revoked(device) is not None:
        raise Conflict("该设备已被吊销。", code="device_revoked")
    if not FieldCredential.objects.filter(device=device, officer=actor).exists():
        raise Conflict("请先在本设备登记您的签名凭证，再离线携带案件。", code="not_enrolled")
    existing = Takeout.objects.filter(case=case, device=device).first()
    if existing is not None:
        return existing
    now = timezone.now()
    takeout = Takeout.objects.create(case=case, device=device, officer=actor, stage=case.stage, taken_at=now)
    record_event(
        type=events.CASE_TAKEN_OFFLINE,
        actor=actor,
        agency=case.agency,
        case_uid=case.public_id,
        at=now,
        payload={"takeout": takeout.public_id, "device": device.public_id, "stage": case.stage},
        rows=[takeout],
    )
    return takeout


# ---------------------------------------------------------------- receiving what a device captured


def record_sha256(body: dict[str, Any]) -> str:
    """The digest the device took at capture: of the file's bytes for media (taken by
    the tus upload's ingest), of the record's canonical JSON (RFC 8785) otherwise."""
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def _flag(flags: list[dict[str, str]], code: str, message: str) -> None:
    flags.append({"code": code, "message": message})


def _parse_time(value: Any) -> dt.datetime:
    parsed = None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None or timezone.is_naive(parsed):
        raise InvalidInput("「采集时间」应为带时区的 ISO 8601 时间。", field_name="captured_at")
    return parsed


def _int(value: Any, label: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"「{label}」应为整数。", field_name=field)
    return value


def _sha(value: Any) -> str:
    text = str(value or "").lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise InvalidInput("设备摘要格式不正确（应为 64 位十六进制 SHA-256）。", field_name="sha256")
    return text


class _Held(Exception):
    """The record cannot become a document, signature or link: kept as received."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def field_record_receive(*, actor: Officer, device: FieldDevice, record: Any) -> tuple[Receipt, bool]:
    """Receive one record a device captured offline. Returns (receipt, created):
    a record already received (a repeated or resumed sync) returns its receipt."""
    if not isinstance(record, dict):
        raise InvalidInput("同步的记录格式不正确。", field_name="record")
    uid = parse_uuid(record.get("uid"), label="记录标识", field="uid")
    existing = Receipt.objects.filter(public_id=uid).first()
    if existing is not None:
        if existing.device_id != device.pk:
            raise Conflict("该记录标识已由其他设备使用。", code="uid_taken")
        return existing, False
    kind = record.get("kind")
    if kind not in RecordKind.values:
        raise InvalidInput("记录类别无法识别。", field_name="kind")
    body = record.get("body")
    if not isinstance(body, dict):
        raise InvalidInput("记录内容格式不正确。", field_name="body")
    captured_at = _parse_time(record.get("captured_at"))
    offset = _int(record.get("clock_offset_ms"), "设备时钟偏差", "clock_offset_ms")
    sequence = _int(record.get("sequence"), "采集顺序", "sequence")
    device_sha = _sha(record.get("sha256"))
    returned_at = _returned_at(record.get("returned_at"), offset)
    case = _case_of(device, record.get("case"))
    if actor.agency_id != device.agency_id:
        raise PermissionDenied("该设备不属于您的机关。")
    revocation = _revoked(device)
    if revocation is None and not FieldCredential.objects.filter(device=device, officer=actor).exists():
        raise PermissionDenied("您未在该设备登记签名凭证，不能代其同步。")
    flags: list[dict[str, str]] = []
    if abs(offset) >= CLOCK_FLAG_MS:
        hours = offset / 3_600_000
        _flag(
            flags,
            "clock_offset",
            f"设备时钟与服务器相差约{abs(hours):.1f}小时（设备{'偏慢' if offset > 0 else '偏快'}），"
            "采集时间已按最后一次联网时测得的偏差校正，原始时间一并保存。",
        )
    captured_server = captured_at + dt.timedelta(milliseconds=offset)
    with transaction.atomic():
        status, target, server_sha = ReceiptStatus.ACCEPTED, None, ""
        try:
            if revocation is not None:
                raise _Held(
                    "device_revoked",
                    f"该设备已于{timezone.localtime(revocation.revoked_at):%Y-%m-%d %H:%M}被管理员吊销"
                    f"（{revocation.reason}），其未同步的记录不予接收，已登记备查。",
                )
            if kind == RecordKind.CASE:
                server_sha = record_sha256(body)
                _same_hash(server_sha, device_sha)
                case = _case_open(actor, device, body, uid, captured_server)
                target = case.public_id
            else:
                takeout = Takeout.objects.filter(device=device, case=case).first() if case else None
                if takeout is None:
                    raise _Held("not_taken_out", "该案件未在本设备离线携带，记录未入卷，已按收到的内容保存。")
                if case is not None and case.stage != takeout.stage:
                    _flag(
                        flags,
                        "case_moved_on",
                        f"离线期间案件已由「{Stage(takeout.stage).label}」进入「{Stage(case.stage).label}」，"
                        "请核对该记录是否仍适用。",
                    )
                if kind == RecordKind.MEDIA:
                    target, server_sha = _media(actor, case, device_sha, body, flags)
                    returned_at = _upload_time(target, returned_at, flags)
                else:
                    server_sha = record_sha256(body)
                    _same_hash(server_sha, device_sha)
                    target = _make(actor, device, case, kind, body, uid)
        except _Held as held:
            status = ReceiptStatus.REFUSED if held.code == "device_revoked" else ReceiptStatus.HELD
            _flag(flags, held.code, held.message)
        if status == ReceiptStatus.ACCEPTED and any(f["code"] in FLAGGING for f in flags):
            status = ReceiptStatus.FLAGGED
        now = timezone.now()
        receipt = Receipt.objects.create(
            public_id=uid,
            device=device,
            case=case,
            kind=kind,
            sequence=sequence,
            status=status,
            device_sha256=device_sha,
            server_sha256=server_sha,
            captured_at=captured_at,
            clock_offset_ms=offset,
            captured_at_server=captured_server,
            received_at=now,
            returned_at=returned_at,
            received_by=actor,
            body=body,
            target_uid=target,
            flags=flags,
        )
        record_event(
            type=events.RECORD_RECEIVED,
            actor=actor,
            agency=device.agency,
            case_uid=case.public_id if case else None,
            at=now,
            payload={
                "receipt": receipt.public_id,
                "device": device.public_id,
                "kind": kind,
                "status": status,
                "device_sha256": device_sha,
                "server_sha256": server_sha,
                "captured_at": captured_at,
                "clock_offset_ms": offset,
                "returned_at": returned_at,
                "target": target,
                "flags": [f["code"] for f in flags],
            },
            rows=[receipt],
        )
    return receipt, True


# Flags that make an accepted record "accepted with a problem"; a clock offset alone is
# recorded and corrected, not a problem with the record.
FLAGGING = {"case_moved_on", "hash_mismatch", "upload_overdue"}


def _returned_at(value: Any, offset: int) -> dt.datetime | None:
    """The officer's return, by the device clock, corrected by its offset like every
    device time (the device notes it when the network comes back, or on 已返回)."""
    if value in (None, ""):
        return None
    try:
        return _parse_time(value) + dt.timedelta(milliseconds=offset)
    except InvalidInput as exc:
        raise InvalidInput("「返回时间」应为带时区的 ISO 8601 时间。", field_name="returned_at") from exc


def _case_of(device: FieldDevice, ref: Any) -> Case | None:
    """The case a record belongs to: a case of the device's agency, or a case the device
    opened offline under a provisional number, found through the receipt that opened it."""
    uid = parse_uuid(ref, label="案件", field="case")
    case = Case.objects.filter(public_id=uid, agency_id=device.agency_id).first()
    if case is None:
        opened = Receipt.objects.filter(public_id=uid, kind=RecordKind.CASE, device=device).first()
        case = opened.case if opened is not None else None
    return case


def _same_hash(server_sha: str, device_sha: str) -> None:
    if server_sha != device_sha:
        raise _Held(
            "hash_mismatch",
            "收到的内容与设备采集时计算的摘要不一致：记录在采集后被改动或传输中损坏。"
            "已按收到的内容保存并标记，未入卷。",
        )


def _held_from(exc: DomainError, what: str) -> _Held:
    """A service's refusal, with the articles its findings cite."""
    cited = ""
    if isinstance(exc, Refused) and exc.findings:
        cited = "（依据：" + "；".join(dict.fromkeys(f.article for f in exc.findings)) + "）"
    return _Held("service_refused", f"服务器未能{what}：{exc.message}{cited}已按收到的内容保存。")


# What a case opened offline may say of itself and of its parties: the fields of the
# online forms, nothing else (the number is the server's to give).
CASE_FIELDS = (
    "kind",
    "procedure",
    "initiation_mode",
    "source",
    "cause",
    "reason",
    "source_detail",
    "summary",
)
PARTY_FIELDS = ("kind", "name", "id_type", "id_number", "legal_representative", "address", "phone")


def _case_open(
    actor: Officer, device: FieldDevice, body: dict[str, Any], uid: uuid.UUID, opened: dt.datetime
) -> Case:
    """Open the case a device started offline under a provisional number (临时编号),
    through the usual numbering; its parties keep the device's ids as their tokens, so
    records made under the provisional case find them. The case is taken out on the
    device at once: what was captured under it follows."""
    fields = body.get("case")
    parties = body.get("parties") or []
    try:
        with transaction.atomic():
            if not isinstance(fields, dict) or not isinstance(parties, list):
                raise InvalidInput("新立案件的内容格式不正确。", field_name="case")
            case = case_open(
                actor=actor, client_token=uid, at=opened, **{k: fields[k] for k in CASE_FIELDS if k in fields}
            )
            for p in parties:
                if not isinstance(p, dict):
                    raise InvalidInput("当事人格式不正确。", field_name="parties")
                party_add(
                    actor=actor,
                    case=case,
                    client_token=parse_uuid(p.get("uid"), label="当事人标识", field="parties"),
                    **{k: p[k] for k in PARTY_FIELDS if k in p},
                )
            case_take_offline(actor=actor, case=case, device=device)
            return case
    except DomainError as exc:
        raise _held_from(exc, "立案") from exc


def _device_parties(case: Case, fields: dict[str, Any]) -> dict[str, Any]:
    """A form made under a provisional case names its parties by the device's ids: the
    server's ids replace them for the document (the receipt keeps the form as captured)."""
    tokens = {
        str(p.client_token): str(p.public_id)
        for p in Party.objects.filter(case=case).exclude(client_token=None)
    }
    if not tokens:
        return fields
    return {k: tokens.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}


def _made(uid: Any, kind: str, *, label: str = "对应文书", of: str = RecordKind.DOCUMENT) -> Receipt:
    """The receipt of the record (a document, or a file with ``of``) this one refers to
    by its device id; held when that record made nothing."""
    ref = parse_uuid(uid, label=label, field="document")
    receipt = Receipt.objects.filter(public_id=ref, kind=of).first()
    if receipt is None or receipt.target_uid is None:
        raise _Held(
            "document_missing", f"{RecordKind(kind).label}所依据的记录未能入卷，该记录按收到的内容保存。"
        )
    return receipt


def _target(uid: Any, kind: str, *, label: str = "对应文书", of: str = RecordKind.DOCUMENT) -> uuid.UUID:
    """What the server made of the record referred to (see ``_made``)."""
    target = _made(uid, kind, label=label, of=of).target_uid
    assert target is not None  # _made holds a record that made nothing
    return target


def _make(
    actor: Officer, device: FieldDevice, case: Case | None, kind: str, body: dict[str, Any], uid: uuid.UUID
) -> uuid.UUID:
    """Hand the record to the service that makes it when online, in a savepoint: a
    refusal (the certificate expired meanwhile, the slot is full, the case closed, a
    rule of the regulation) keeps the record as received, with the service's own
    message and the articles it cites."""
    assert case is not None
    try:
        with transaction.atomic():
            if kind == RecordKind.DOCUMENT:
                return _document(actor, case, body, uid)
            if kind == RecordKind.EXEMPTION:
                return _exemption(actor, case, body, uid)
            if kind == RecordKind.INTERRUPTION:
                return _interruption(actor, device, case, body)
            if kind == RecordKind.REFUSAL:
                return _refusal(device, body)
            made = _made(body.get("document"), kind)
            doc = Document.objects.get(public_id=_target(made.public_id, kind))
            if kind == RecordKind.OFFICER_SIGNATURE:
                if str(body.get("content_sha256") or "") != made.device_sha256:
                    raise _Held(
                        "signed_other_content", "签名所针对的内容摘要与文书采集时的摘要不一致，签名未入卷。"
                    )
                signer = _verified_signer(
                    device, body.get("officer"), made.device_sha256, body.get("signature")
                )
                sig = signature_sign(
                    actor=signer,
                    document=doc,
                    slot=str(body.get("slot") or ""),
                    signature_method=CaptureMethod.DEVICE_KEY,
                    recorded_by=actor,
                )
                return sig.public_id
            try:
                image = base64.b64decode(str(body.get("image") or ""), validate=True)
            except binascii.Error as exc:
                raise InvalidInput("签名图像不是有效的 Base64。", field_name="image") from exc
            sig = signature_capture(
                actor=actor,
                document=doc,
                slot=str(body.get("slot") or ""),
                signer_name=str(body.get("signer_name") or ""),
                image=image,
                method=CaptureMethod.TOUCH,
                client_token=uid,
            )
            return sig.public_id
    except DomainError as exc:
        raise _held_from(exc, "入卷") from exc


def _document(actor: Officer, case: Case, body: dict[str, Any], uid: uuid.UUID) -> uuid.UUID:
    codes = {t.code for t in onsite_types(case.rulebook_id)}
    if body.get("type_code") not in codes:
        raise InvalidInput("该文书类型不是本案适用规定中的现场文书，不能离线制作。", field_name="type_code")
    fields = body.get("fields")
    doc = document_create(
        actor=actor,
        case=case,
        type_code=body["type_code"],
        fields=_device_parties(case, fields) if isinstance(fields, dict) else fields,
        client_token=uid,
    )
    return doc.public_id


def _statement(device: FieldDevice, body: dict[str, Any]) -> tuple[dict[str, Any], list[Officer]]:
    """A record signed by officers on the device: ``statement`` is what they sign (its
    canonical JSON's SHA-256), ``signatures`` their raw ECDSA signatures over that
    digest. Returns the statement and its signers, each signature re-verified."""
    statement, signatures = body.get("statement"), body.get("signatures") or []
    if not isinstance(statement, dict) or not isinstance(signatures, list):
        raise InvalidInput("签名记录的格式不正确。", field_name="statement")
    if not all(isinstance(s, dict) for s in signatures):
        raise InvalidInput("签名格式不正确。", field_name="signatures")
    digest = record_sha256(statement)
    return statement, [
        _verified_signer(device, s.get("officer"), digest, s.get("signature")) for s in signatures
    ]


def _refusal(device: FieldDevice, body: dict[str, Any]) -> uuid.UUID:
    """A person refused to sign: the note is recorded by the first officer who signed it
    on the device and attested by the others (001 第十四条 asks two), each signature
    re-verified; a witness signs the document's own witness slot (a party signature)."""
    statement, signers = _statement(device, body)
    if not signers:
        raise InvalidInput("拒签记录应由在场执法人员签名确认。", field_name="signatures")
    doc = Document.objects.get(public_id=_target(statement.get("document"), RecordKind.REFUSAL))
    refusal = refusal_record(
        actor=signers[0],
        document=doc,
        slot=str(statement.get("slot") or ""),
        person_name=str(statement.get("person_name") or ""),
        reason=str(statement.get("reason") or ""),
        signature_method=CaptureMethod.DEVICE_KEY,
    )
    for other in signers[1:]:
        refusal_attest(actor=other, refusal=refusal, signature_method=CaptureMethod.DEVICE_KEY)
    return refusal.public_id


def _exemption(actor: Officer, case: Case, body: dict[str, Any], uid: uuid.UUID) -> uuid.UUID:
    """A step that went without audio-visual recording, and why: the rulebook's rules
    judge it at receipt exactly as online (the written reason where 004 asks it)."""
    written = body.get("written_reason")
    exemption = exemption_record(
        actor=actor,
        case=case,
        kind=str(body.get("kind") or ""),
        activity=str(body.get("activity") or ""),
        document=_target(body.get("document"), RecordKind.EXEMPTION),
        reason=str(body.get("reason") or ""),
        written_reason=_target(written, RecordKind.EXEMPTION, label="书面原因说明") if written else None,
        client_token=uid,
    )
    return exemption.public_id


def _interruption(actor: Officer, device: FieldDevice, case: Case, body: dict[str, Any]) -> uuid.UUID:
    """Recording stopped and could not resume on site (001 第二十二条): the written
    statement, signed on the device by the officers present; the regulation's number
    of signers is checked at receipt as online."""
    statement, signers = _statement(device, body)
    last = _target(
        statement.get("last_record"), RecordKind.INTERRUPTION, label="中断前的记录", of=RecordKind.MEDIA
    )
    record = MediaRecord.objects.filter(public_id=last, case=case).first()
    document = statement.get("document")
    interruption = interruption_record(
        actor=actor,
        case=case,
        reason=str(statement.get("reason") or ""),
        detail=str(statement.get("detail") or ""),
        form="written",
        last_record=record,
        statement=str(statement.get("statement") or ""),
        signers=[Signer(officer=o, method=CaptureMethod.DEVICE_KEY) for o in signers],
        document_uid=_target(document, RecordKind.INTERRUPTION) if document else None,
    )
    return interruption.public_id


def _verified_signer(device: FieldDevice, officer_ref: Any, signed: str, signature: Any) -> Officer:
    """The officer whose key on this device signed ``signed`` (a digest, hex)."""
    officer = Officer.objects.filter(
        public_id=parse_uuid(officer_ref, label="签名人", field="officer"), agency=device.agency
    ).first()
    credential = (
        FieldCredential.objects.filter(device=device, officer=officer).order_by("-enrolled_at", "-id").first()
        if officer
        else None
    )
    if officer is None or credential is None:
        raise _Held("not_enrolled", "签名人未在该设备登记签名凭证，签名无法核验，未入卷。")
    try:
        raw = base64.b64decode(str(signature or ""), validate=True)
        verify(base64.b64decode(credential.public_key), raw, signed.encode())
    except (binascii.Error, KeyError_) as exc:
        raise _Held(
            "signature_invalid",
            f"{officer.full_name}的签名未能用其登记的公钥验证（内容被改动或签名不是本人密钥所签），未入卷。",
        ) from exc
    return officer


def _media(
    actor: Officer, case: Case | None, device_sha: str, body: dict[str, Any], flags: list[dict[str, str]]
) -> tuple[uuid.UUID, str]:
    """A photo or video came over tus and the usual ingest made its record; here its
    digest is compared with the device's and, when equal, it is linked to its document."""
    ref = parse_uuid(body.get("media_record"), label="音像记录", field="media_record")
    record = MediaRecord.objects.filter(public_id=ref, case=case).first()
    if record is None:
        raise _Held("media_missing", "未找到该文件上传后生成的音像记录，未入卷。")
    if record.sha256 != device_sha:
        _flag(
            flags,
            "hash_mismatch",
            f"服务器收到的文件摘要（{record.sha256[:12]}…）与设备拍摄时计算的摘要（{device_sha[:12]}…）"
            "不一致：文件在拍摄后被改动或传输中损坏。文件已按收到的内容保存并标记，未关联到笔录。",
        )
        return record.public_id, record.sha256
    if body.get("document"):
        made = _made(body.get("document"), RecordKind.MEDIA)
        try:
            with transaction.atomic():
                media_link(actor=actor, record=record, document_uid=made.target_uid)
        except DomainError as exc:
            raise _Held("service_refused", f"服务器未能关联到笔录：{exc.message}") from exc
    return record.public_id, record.sha256


def _upload_time(
    target: uuid.UUID, returned_at: dt.datetime | None, flags: list[dict[str, str]]
) -> dt.datetime | None:
    """The ingest judged the upload's time by the rulebook (24 h, or 24 h after return
    where the regulation allows it, with the return time the device declared): a late
    record is flagged on the receipt with the ingest's words and article."""
    record = MediaRecord.objects.get(public_id=target)
    for f in record.flags or []:
        if f.get("code") in ("upload_overdue", "returned_at_missing"):
            _flag(flags, f["code"], f["message"])
    return record.returned_at or returned_at
