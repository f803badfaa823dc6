"""Confidentiality marks on every surface that returns content (part 3 of issue 11).

One case, built once for the module: a marked inquiry transcript (个人隐私) carrying a
party's ID number, a transcript sentence, a place and a name, corrected with a reason that
repeats the ID number; a marked video (商业秘密) filmed there and linked to it; a sealed
dossier holding both. Every persona asks every surface: the content roles see the
content, the others see the mark and a reason (403 for bytes), outsiders get 404 and
the anonymous are sent to log in (401 on the API). No denied response ever contains
one of the planted secrets."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from quanlu.access import services as access
from quanlu.access.models import ConfidentialityMark, ReleaseLine
from quanlu.access.redaction import event_payload
from quanlu.access.selectors import content_view, may_read_content
from quanlu.archive.models import Dossier, ItemKind
from quanlu.archive.tests import helpers as archive
from quanlu.cases.models import Stage
from quanlu.ledger import services as ledger
from quanlu.ledger import triggers
from quanlu.ledger.models import Event
from quanlu.media.models import MediaRecord
from quanlu.media.tests.helpers import device_for, ingest, video
from quanlu.org.models import Officer, Role
from quanlu.org.services import api_token_create
from quanlu.records import services as records
from quanlu.records.catalogue import catalogue
from quanlu.records.models import Document
from quanlu.records.sample import sample_fields, sign_all
from quanlu.supervision.compliance import compliance_rebuild
from quanlu.testing import factories as f

SECRET_ID = f.resident_id("19880707", "777")
SECRET_SENTENCE = "循环泵旁第三个阀门后另有一根未登记的排污暗管"
SECRET_PLACE = "遵化市保密路九十九号地下二层"
SECRET_NAME = "韦秘某"
SECRET_LATITUDE = "31.2345"  # where the video was filmed
SECRETS = (SECRET_ID, SECRET_SENTENCE, SECRET_PLACE, SECRET_NAME, SECRET_LATITUDE)

PRIVACY, TRADE = "个人隐私", "商业秘密"
READERS = ("handler", "reviewer", "legal", "head", "archivist", "lead")
MARK_ONLY = ("colleague", "superior", "justice")
PERSONAS = (*READERS, *MARK_ONLY, "outsider", "anonymous")


@dataclass
class Town:
    world: f.World
    people: dict[str, Officer]
    case: Any
    doc: Document
    clip: MediaRecord
    dossier: Dossier
    positions: dict[str, int]  # dossier files: document, media, index, metadata
    amended: Event  # the correction of the marked document (its reason quotes the ID number)
    web: dict[str, Client]
    api: dict[str, dict[str, str]]

    def get(self, who: str, url: str, *, api: bool) -> Any:
        if who == "anonymous":
            return Client().get(url)
        if api:
            return Client().get(url, **self.api[who])
        return self.web[who].get(url)


def _build() -> Town:
    w = f.world()
    lead = f.officer(w.agency, Role.OFFICER, name="主办人甲")
    colleague = f.officer(w.agency, Role.OFFICER, name="同事乙")
    people = {
        "handler": w.officer,
        "reviewer": w.reviewer,
        "legal": w.legal,
        "head": w.approver,
        "archivist": w.archivist,
        "lead": lead,
        "colleague": colleague,
        "superior": w.superior_supervisor,
        "justice": w.justice_supervisor,
        "outsider": w.outsider,
    }
    case = w.open_case(actor=lead)
    archive.party(w, case)
    w.grant_gate(case, "initiation")
    w.advance(case, Stage.INVESTIGATION)
    staff = archive.staff(w)
    doc_type = catalogue().get("inquiry_transcript")
    fields = sample_fields(doc_type, case, staff)
    fields["place"] = SECRET_PLACE
    fields["interviewee"] = {"name": SECRET_NAME, "id_number": SECRET_ID, "gender": "男"}
    fields["turns"] = [
        {"speaker": "question", "text": "现场还有什么情况需要说明？"},
        {"speaker": "answer", "text": f"{SECRET_SENTENCE}。"},
    ]
    doc = records.document_create(actor=w.officer, case=case, type_code=doc_type.code, fields=fields)
    records.document_amend(
        actor=w.officer,
        document=doc,
        changes={"read_back": "以上笔录我看过，与我说的相符，无补充。"},
        reason=f"补记核对意见；被询问人身份证号码{SECRET_ID}",
        signature_method="password",
    )
    sign_all(doc, staff)
    start = timezone.now() - dt.timedelta(hours=2)
    clip, _ = ingest(
        w,
        video(start, seconds=1.0, location=(float(SECRET_LATITUDE), 121.4567)),
        case=case,
        device=device_for(w).device_no,
        officer=str(w.officer.public_id),
        step_label="现场询问",
        document_uid=str(doc.public_id),
        filename="现场询问.mp4",
    )
    access.mark_add(actor=w.officer, item=doc, category="personal_privacy", reason="载有当事人身份证号码。")
    access.mark_add(actor=w.officer, item=clip, category="trade_secret", reason="拍摄到生产工艺。")
    case = archive.to_archiving(w, case)
    dossier = archive.seal(w, case)
    items = {i.kind: i for i in dossier.items.all() if i.kind not in (ItemKind.DOCUMENT, ItemKind.MEDIA)}
    positions = {
        "document": dossier.items.get(source_uid=doc.public_id).position,
        "media": dossier.items.get(source_uid=clip.public_id).position,
        "index": items[ItemKind.INDEX].position,
        "metadata": items[ItemKind.METADATA].position,
    }
    # A hearing transcript not yet signed: the rule check names the participant who has
    # still to sign (from the marked record's fields) in its finding.
    minutes_type = catalogue().get("hearing_transcript")
    minutes = {
        **sample_fields(minutes_type, case, staff),
        "place": SECRET_PLACE,
        "participants": [{"name": SECRET_NAME, "role": "证人", "id_number": SECRET_ID}],
    }
    unsigned = records.document_create(
        actor=w.officer, case=case, type_code=minutes_type.code, fields=minutes
    )
    for signer, slot in ((w.reviewer, "presiding"), (w.officer, "officers"), (w.officer2, "officers")):
        records.signature_sign(actor=signer, document=unsigned, slot=slot, signature_method="password")
    access.mark_add(
        actor=w.officer, item=unsigned, category="personal_privacy", reason="载有专家身份证号码。"
    )
    ledger.ledger_integrate()
    amended = Event.objects.get(type="records:version:amended", payload__document=str(doc.public_id))
    web = {}
    for who, officer in people.items():
        web[who] = Client()
        web[who].force_login(officer)
    api = {}
    for who, officer in people.items():
        _, raw = api_token_create(actor=officer, officer=officer, label="测试")
        api[who] = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    return Town(w, people, case, doc, clip, dossier, positions, amended, web, api)


@pytest.fixture(scope="module")
def blob_root(tmp_path_factory):
    return tmp_path_factory.mktemp("surfaces")


@pytest.fixture(autouse=True)
def _blob_dir(settings, blob_root):
    # The module's world stores its blobs once, here (not in a folder per test).
    settings.QUANLU_BLOB_DIR = blob_root / "blobs"


@pytest.fixture(scope="module")
def town(django_db_setup, django_db_blocker, blob_root) -> Iterator[Town]:
    """The world, built once and rolled back after the module; each test runs in a
    savepoint inside it, so a test that grants or lifts leaves the others untouched."""
    with django_db_blocker.unblock(), override_settings(QUANLU_BLOB_DIR=blob_root / "blobs"):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            triggers.install(connection)
            yield _build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# ---------------------------------------------------------------- the surfaces


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def text(response: Any) -> str:
    """What a person could read in the response: JSON decoded (no \\u escapes), the
    canonical ledger entry of a proof decoded too, pages and bytes as UTF-8."""
    raw = body(response)
    if response.get("Content-Type", "").startswith("application/json"):
        data = json.loads(raw)
        entry = data.get("entry") if isinstance(data, dict) else None
        extra = base64.b64decode(entry).decode("utf-8", "replace") if entry else ""
        return json.dumps(data, ensure_ascii=False) + extra
    return raw.decode("utf-8", "replace")


@dataclass(frozen=True)
class Surface:
    """``page``: readers and mark-only personas get 200, the latter with the mark and no
    secret. ``bytes``: readers 200, mark-only 403. ``shows``: secrets a reader finds here."""

    name: str
    path: str  # formatted with the town as ``t``
    kind: str = "page"
    shows: tuple[str, ...] = ()
    mark: str = ""
    anonymous: int = 0  # 0: 401 on the API, the login page on the web
    listing: bool = False  # a list of everything visible: outsiders get 200 without the record

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    def url(self, t: Town) -> str:
        return self.path.format(t=t)


D, V = "{t.doc.public_id}", "{t.clip.public_id}"
C, X = "{t.case.public_id}", "{t.dossier.public_id}"
ALL = (SECRET_ID, SECRET_SENTENCE, SECRET_PLACE, SECRET_NAME)
FILES = [
    Surface(f"{where}: dossier file ({kind})", path.format(X=X, kind=kind), "bytes")
    for kind in ("document", "media", "index", "metadata")
    for where, path in (
        ("web", "/archive/dossiers/{X}/files/{{t.positions[{kind}]}}/"),
        ("api", "/api/v1/dossiers/{X}/items/{{t.positions[{kind}]}}/content"),
    )
]

SURFACES = [
    # JSON
    Surface("api: document", f"/api/v1/documents/{D}", shows=ALL, mark=PRIVACY),
    Surface("api: case documents", f"/api/v1/cases/{C}/documents", shows=(SECRET_NAME,), mark=PRIVACY),
    Surface("api: my documents", "/api/v1/documents", shows=(SECRET_NAME,), mark=PRIVACY, listing=True),
    Surface("api: media record", f"/api/v1/media/records/{V}", mark=TRADE),
    Surface("api: case media", f"/api/v1/cases/{C}/media", mark=TRADE),
    Surface("api: case events", f"/api/v1/cases/{C}/events", shows=(SECRET_ID,), mark=PRIVACY),
    Surface("api: rule check", f"/api/v1/cases/{C}/check", shows=(SECRET_NAME,), mark=PRIVACY),
    Surface("api: dossier", f"/api/v1/dossiers/{X}", shows=(SECRET_PLACE,), mark=TRADE),
    Surface("api: case dossier", f"/api/v1/cases/{C}/dossier", shows=(SECRET_PLACE,), mark=TRADE),
    Surface(
        "api: event proof", "/api/v1/ledger/events/{t.amended.uid}/proof", shows=(SECRET_ID,), mark=PRIVACY
    ),
    # pages
    Surface("web: document", f"/documents/{D}/", shows=ALL, mark=PRIVACY),
    Surface("web: media record", f"/media/{V}/", shows=(SECRET_LATITUDE,), mark=TRADE),
    Surface("web: case media", f"/cases/{C}/media/", mark=TRADE),
    Surface("web: case page", f"/cases/{C}/", shows=(SECRET_ID, SECRET_NAME), mark=PRIVACY),
    Surface("web: dossier", f"/archive/cases/{C}/", shows=(SECRET_PLACE,), mark=TRADE),
    # the content itself
    Surface("web: document PDF", f"/documents/{D}/file/?format=pdf", "bytes"),
    Surface("web: document DOCX", f"/documents/{D}/file/?format=docx", "bytes"),
    Surface("web: correction form", f"/documents/{D}/amend/", "bytes", shows=(SECRET_SENTENCE,)),
    Surface("api: document rendering", f"/api/v1/documents/{D}/render?format=docx", "bytes"),
    Surface("web: media bytes", f"/media/{V}/content", "bytes"),
    Surface("api: media bytes", f"/api/v1/media/records/{V}/content", "bytes", anonymous=302),
    Surface("web: poster", f"/media/{V}/poster.jpg", "bytes"),
    *FILES,
]


def _expect_denied(surface: Surface, who: str, response: Any, t: Town) -> None:
    seen = text(response)
    leaked = [s for s in SECRETS if s in seen]
    assert not leaked, f"{surface.name}: {who} sees {leaked}"
    if surface.kind == "bytes":
        assert response.status_code == 403, f"{surface.name}: {who} got {response.status_code}"
        if surface.api:
            assert response.json()["code"] == "confidential"
    else:
        assert response.status_code == 200, f"{surface.name}: {who} got {response.status_code}"
        assert surface.mark in seen, f"{surface.name}: {who} is not shown the mark"


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_each_persona_sees_content_the_mark_or_nothing(town, db, surface):
    t = town
    url = surface.url(t)
    for who in PERSONAS:
        response = t.get(who, url, api=surface.api)
        if who in READERS:
            assert response.status_code == 200, f"{surface.name}: {who} got {response.status_code}"
            seen = text(response)
            missing = [s for s in surface.shows if s not in seen]
            assert not missing, f"{surface.name}: {who} does not see {missing}"
        elif who in MARK_ONLY:
            _expect_denied(surface, who, response, t)
        elif who == "outsider":
            if surface.listing:
                assert response.status_code == 200
                assert str(t.doc.public_id) not in text(response)
            else:
                assert response.status_code == 404, f"{surface.name}: outsider got {response.status_code}"
            assert not [s for s in SECRETS if s in text(response)]
        else:
            expected = surface.anonymous or (401 if surface.api else 302)
            assert response.status_code == expected, f"{surface.name}: anonymous got {response.status_code}"
            if expected == 302:
                assert response["Location"].startswith("/login/")


def test_searching_for_what_a_record_says_finds_nothing(town, db):
    # The case search looks at 案号, 案由 and parties; never inside a record.
    t = town
    for who in (*READERS, *MARK_ONLY, "outsider"):
        for secret in (SECRET_ID, SECRET_SENTENCE, SECRET_PLACE):
            assert t.get(who, f"/api/v1/cases?q={secret}", api=True).json() == [], who
            page = t.get(who, f"/cases/?q={secret}", api=False).content.decode()
            assert t.case.number not in page, who


def test_only_an_archivist_who_may_read_every_record_exports_the_package(town, db):
    t = town
    url = f"/api/v1/dossiers/{t.dossier.public_id}/export"
    for who in PERSONAS:
        response = Client().post(url, **t.api[who]) if who != "anonymous" else Client().post(url)
        expected = {"archivist": 409, "outsider": 404, "anonymous": 401}.get(who, 403)
        assert response.status_code == expected, f"{who}: {response.status_code}"
    # The archivist passes the content rule; only the open case stops the export here.
    assert Client().post(url, **t.api["archivist"]).json()["code"] == "case_open"


def test_a_copy_of_a_marked_record_is_handed_over_only_by_someone_who_may_read_it(town, db):
    # 004 has no confidentiality exclusion: the approved copies are released, but not by
    # a clerk of the agency who may not read them.
    t, w = town, town.world
    request = access.copy_request_register(
        actor=w.officer,
        case=t.case,
        requester_name="某化工有限公司",
        purpose="申请行政复议。",
        items=[t.doc, t.clip],
    )
    access.copy_request_decide(
        actor=w.approver, request=request, approve=True, basis="《中华人民共和国政府信息公开条例》第二十七条"
    )
    url = f"/api/v1/copy-requests/{request.public_id}/fulfil"
    refused = Client().post(url, **t.api["colleague"])
    assert refused.status_code == 403
    assert refused.json()["code"] == "confidential"
    assert "涉密" in refused.json()["message"]
    assert Client().post(url, **t.api["outsider"]).status_code == 404
    done = Client().post(url, **t.api["archivist"])
    assert done.status_code == 201
    assert {line.released for line in ReleaseLine.objects.filter(fulfilment__request=request)} == {True}


def _reads(t: Town, who: str) -> dict[str, bool]:
    """Whether ``who`` gets the marked document's and the video's content, on one JSON
    surface and one byte surface each."""
    doc = t.get(who, f"/api/v1/documents/{t.doc.public_id}", api=True).json()
    return {
        "document": doc["withheld"] is None and SECRET_SENTENCE in json.dumps(doc, ensure_ascii=False),
        "pdf": t.get(who, f"/documents/{t.doc.public_id}/file/", api=False).status_code == 200,
        "video": t.get(who, f"/api/v1/media/records/{t.clip.public_id}", api=True).json()["withheld"] is None,
        "bytes": t.get(who, f"/media/{t.clip.public_id}/content", api=False).status_code == 200,
    }


NOTHING = {"document": False, "pdf": False, "video": False, "bytes": False}


def test_the_heads_grant_opens_the_content_to_the_grantee_only(town, db):
    t, w = town, town.world
    assert _reads(t, "superior") == NOTHING
    url = f"/api/v1/cases/{t.case.public_id}/content-grants"
    grant = {
        "item": {"kind": "document", "id": str(t.doc.public_id)},
        "grantee": str(w.superior_supervisor.public_id),
    }
    body = json.dumps({**grant, "reason": "案卷评查。"})
    assert Client().post(url, body, content_type="application/json", **t.api["handler"]).status_code == 403
    assert Client().post(url, body, content_type="application/json", **t.api["head"]).status_code == 201
    assert _reads(t, "superior") == {**NOTHING, "document": True, "pdf": True}
    assert _reads(t, "justice") == NOTHING
    assert _reads(t, "colleague") == NOTHING
    access.grant_issue(actor=w.approver, item=t.clip, grantee=w.superior_supervisor, reason="案卷评查。")
    assert _reads(t, "superior") == {"document": True, "pdf": True, "video": True, "bytes": True}
    events = t.get("superior", f"/api/v1/cases/{t.case.public_id}/events", api=True).json()
    assert any(SECRET_ID in json.dumps(e, ensure_ascii=False) for e in events)


def test_lifting_the_mark_opens_the_content_again(town, db):
    t, w = town, town.world
    assert _reads(t, "colleague") == NOTHING
    mark = ConfidentialityMark.objects.get(document=t.doc)
    access.mark_lift(actor=w.reviewer, mark=mark, reason="已另行提交脱敏版本。")
    assert _reads(t, "colleague") == {**NOTHING, "document": True, "pdf": True}
    assert _reads(t, "superior") == {**NOTHING, "document": True, "pdf": True}
    mark = ConfidentialityMark.objects.get(media=t.clip)
    access.mark_lift(actor=w.approver, mark=mark, reason="工艺已公开。")
    assert _reads(t, "justice") == {"document": True, "pdf": True, "video": True, "bytes": True}


def test_the_check_command_shows_the_mark_unless_run_as_a_reader(town, db):
    t = town

    def run(*args: str) -> str:
        out = io.StringIO()
        with contextlib.suppress(SystemExit):  # exit 1: a blocking rule is unmet
            call_command("check", t.case.number, "--format", "json", *args, stdout=out)
        return out.getvalue()

    shell = run()
    assert SECRET_NAME not in shell
    assert PRIVACY in shell
    assert SECRET_NAME in run("--as", t.people["handler"].username)
    assert SECRET_NAME not in run("--as", t.people["superior"].username)
    with pytest.raises(CommandError):
        run("--as", "nobody-here")


def test_one_view_decides_for_a_whole_case_in_two_queries(town, db, django_assert_max_num_queries):
    t = town
    with django_assert_max_num_queries(2):
        view = content_view(t.people["superior"], cases=[t.case])
    assert view.withheld(t.doc).mark == PRIVACY
    assert view.withheld(str(t.clip.public_id)).mark == TRADE
    with django_assert_max_num_queries(1):  # a reader by role: no grants to look up
        assert content_view(t.people["handler"], cases=[t.case]).readable(t.doc)
    # The single-record check is the same rule.
    assert not may_read_content(t.people["superior"], t.doc)
    assert may_read_content(t.people["lead"], t.clip)


def test_the_supervision_overview_shows_findings_as_each_supervisor_may_see_them(town, db):
    t = town
    compliance_rebuild()  # the test's writes never commit, so nothing refreshed after them
    for who in ("superior", "justice"):
        page = t.get(who, "/supervision/", api=False)
        assert page.status_code == 200
        seen = page.content.decode()
        assert t.case.number in seen
        assert PRIVACY in seen
        assert not [s for s in SECRETS if s in seen], who
    assert t.get("outsider", "/supervision/", api=False).content.decode().count(t.case.number) == 0


def test_a_rectification_order_keeps_only_what_its_issuer_may_see(town, db):
    from quanlu.supervision import services as supervision

    t, w = town, town.world
    order = supervision.rectification_order_issue(
        actor=w.superior_supervisor,
        agency=w.agency,
        findings="抽查案卷发现听证笔录未签署完毕。",
        requirements="补齐签名。",
        due_at=timezone.now() + dt.timedelta(days=30),
        cases=[t.case],
    )
    kept = json.dumps(order.rule_findings, ensure_ascii=False)
    assert PRIVACY in kept
    assert not [s for s in SECRETS if s in kept]
    page = t.get("head", f"/supervision/orders/{order.public_id}/", api=False).content.decode()
    assert not [s for s in SECRETS if s in page]


def test_a_stage_moves_warnings_about_a_marked_record_show_its_mark(town, db):
    # A move past a warning records the finding in the ledger, naming its records.
    t = town
    warning = {"rule": "inv.documents_signed", "message": f"「其他听证参加人」{SECRET_NAME}尚未签名。"}
    payload = {"from": "investigation", "to": "decision", "reason": "", "warnings": [warning]}
    marked = {**warning, "subjects": str(t.doc.public_id)}
    for who, shown in (("superior", False), ("handler", True)):
        view = content_view(t.people[who], cases=[t.case])
        seen = json.dumps(event_payload(view, {**payload, "warnings": [marked]}), ensure_ascii=False)
        assert (SECRET_NAME in seen) is shown, who
        assert SECRET_NAME in json.dumps(event_payload(view, payload), ensure_ascii=False)
