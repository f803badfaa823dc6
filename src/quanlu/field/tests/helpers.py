"""A field device in Python: keys made with ``cryptography`` as WebCrypto makes them,
records hashed and signed exactly as field.js does (RFC 8785, raw r‖s signatures)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.utils import timezone
from PIL import Image, ImageDraw

from quanlu.cases import services as cases
from quanlu.core.canonical import canonical_bytes
from quanlu.field import services
from quanlu.field.selectors import case_pack
from quanlu.testing import factories as f


def sign_raw(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()


def spki(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def png() -> bytes:
    img = Image.new("RGBA", (300, 120), (255, 255, 255, 0))
    ImageDraw.Draw(img).line([(20, 60), (120, 30), (200, 90), (280, 40)], fill=(0, 0, 0, 255), width=5)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@dataclass
class Device:
    world: Any
    case: Any
    uid: uuid.UUID = field(default_factory=uuid.uuid4)
    keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    offset_ms: int = 0
    seq: int = 0

    @property
    def model(self) -> Any:
        from quanlu.field.models import FieldDevice

        return FieldDevice.objects.get(public_id=self.uid)

    def enroll(self, officer: Any) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        services.credential_enroll(
            actor=self.world.officer,
            officer=officer,
            device_uid=self.uid,
            label="执法记录手机1",
            public_key=spki(key),
        )
        self.keys[str(officer.public_id)] = key

    def record(
        self, kind: str, body: dict[str, Any], *, sha256: str = "", captured: dt.datetime | None = None
    ) -> dict:
        self.seq += 1
        when = captured or (timezone.now() - dt.timedelta(milliseconds=self.offset_ms))
        return {
            "uid": str(uuid.uuid4()),
            "kind": kind,
            "case": str(self.case.public_id),
            "sequence": self.seq,
            "captured_at": when.isoformat(),
            "clock_offset_ms": self.offset_ms,
            "sha256": sha256 or hashlib.sha256(canonical_bytes(body)).hexdigest(),
            "body": body,
        }

    def transcript(self, **overrides: Any) -> dict:
        w, pack = self.world, case_pack(self.case)
        spec = {s["key"]: s for s in pack["document_types"][0]["fields"]}
        start = timezone.localtime() - dt.timedelta(hours=1)
        fields = {
            "started_at": start.isoformat(),
            "ended_at": (start + dt.timedelta(minutes=40)).isoformat(),
            "place": "某市经济开发区化工路8号厂区",
            "officers": [
                {"officer": str(w.officer.public_id), "certificate_shown": True},
                {"officer": str(w.officer2.public_id), "certificate_shown": True},
            ],
            "recorder": str(w.officer.public_id),
            "party": pack["parties"][0]["uid"],
            "rights": [{"right": r, "notified": True, "method": "oral"} for r, _ in spec["rights"]["rights"]],
            "findings": "1. 脱硫塔循环泵处于停运状态。",
            **overrides,
        }
        return self.record("document", {"type_code": "inspection_transcript", "fields": fields})

    def officer_signs(self, doc: dict, officer: Any, *, signed: str = "", slot: str = "officers") -> dict:
        content = signed or doc["sha256"]
        sig = sign_raw(self.keys[str(officer.public_id)], content.encode())
        return self.record(
            "officer_signature",
            {
                "document": doc["uid"],
                "slot": slot,
                "officer": str(officer.public_id),
                "content_sha256": content,
                "signature": sig,
            },
        )

    def document(self, type_code: str, **overrides: Any) -> dict:
        """Any on-site form, filled as the catalogue's samples fill it online."""
        from quanlu.records.catalogue import doc_type
        from quanlu.records.sample import Staff, sample_fields

        w = self.world
        staff = Staff(
            officer=w.officer, officer2=w.officer2, reviewer=w.reviewer, legal=w.legal, approver=w.approver
        )
        fields = {**sample_fields(doc_type(type_code), self.case, staff), **overrides}
        return self.record("document", {"type_code": type_code, "fields": fields})

    def statement(self, kind: str, statement: dict[str, Any], *officers: Any) -> dict:
        """A record the officers sign on the device: each signs its statement's digest."""
        digest = hashlib.sha256(canonical_bytes(statement)).hexdigest()
        signatures = [
            {"officer": str(o.public_id), "signature": sign_raw(self.keys[str(o.public_id)], digest.encode())}
            for o in officers
        ]
        return self.record(kind, {"statement": statement, "signatures": signatures})

    def party_signs(self, doc: dict, name: str = "刘建国", slot: str = "party") -> dict:
        image = base64.b64encode(png()).decode()
        return self.record(
            "party_signature", {"document": doc["uid"], "slot": slot, "signer_name": name, "image": image}
        )


def case_with_party(world: Any) -> Any:
    case = world.open_case(cause="某化工有限公司废气超标排放案")
    cases.party_add(
        actor=world.officer,
        case=case,
        kind="organisation",
        name="某化工有限公司",
        id_type="uscc",
        id_number=f.uscc(),
        legal_representative="刘建国",
        address="某市经济开发区化工路8号",
    )
    return case


def setup(world: Any) -> Device:
    case = case_with_party(world)
    device = Device(world=world, case=case)
    device.enroll(world.officer)
    device.enroll(world.officer2)
    services.case_take_offline(actor=world.officer, case=case, device=device.model)
    return device


def send(device: Device, record: dict, actor: Any = None) -> Any:
    receipt, _ = services.field_record_receive(
        actor=actor or device.world.officer, device=device.model, record=record
    )
    return receipt
