"""ACC-03: confidentiality marks, append-only, and who gets a marked record's bytes."""

import json

import pytest
from django.test import Client

from quanlu.access import selectors as acs
from quanlu.access import services
from quanlu.access.tests.conftest import bearer, logged_in, scan
from quanlu.core.errors import Conflict, PermissionDenied
from quanlu.ledger.models import Event
from quanlu.media import samples
from quanlu.media.tests.helpers import ingest

REASON = "笔录载有当事人的身份证号码和家庭住址。"


def test_it_marks_and_lifts_by_new_rows_each_ledgered(world, case):
    doc = scan(world, case)
    mark = services.mark_add(actor=world.officer2, item=doc, category="personal_privacy", reason=REASON)
    assert Event.objects.filter(type="access:mark:added", case_uid=case.public_id).count() == 1
    with pytest.raises(Conflict):
        services.mark_add(actor=world.officer, item=doc, category="personal_privacy", reason=REASON)
    with pytest.raises(PermissionDenied):  # the archivist keeps records, does not classify them
        services.mark_add(actor=world.archivist, item=doc, category="trade_secret", reason=REASON)
    with pytest.raises(PermissionDenied):
        services.mark_add(actor=world.superior_supervisor, item=doc, category="trade_secret", reason=REASON)
    with pytest.raises(PermissionDenied):  # opening content up again is for the reviewer or head
        services.mark_lift(actor=world.officer2, mark=mark, reason="已脱敏。")
    lift = services.mark_lift(actor=world.reviewer, mark=mark, reason="已另行提交脱敏版本。")
    with pytest.raises(Conflict):
        services.mark_lift(actor=world.approver, mark=mark, reason="重复。")
    mark.refresh_from_db()
    assert mark.action == "marked"
    assert lift.lifts == mark
    assert acs.live_marks(doc) == []
    assert Event.objects.filter(type="access:mark:lifted", case_uid=case.public_id).count() == 1


def test_it_serves_a_marked_documents_bytes_only_to_staff_who_need_them(world, case):
    doc = scan(world, case)
    plain = scan(world, case, "inspection_transcript")
    services.mark_add(actor=world.officer, item=doc, category="trade_secret", reason=REASON)
    web = f"/documents/{doc.public_id}/file/?format=pdf"
    api = f"/api/v1/documents/{doc.public_id}/render"
    for who in (world.officer, world.reviewer, world.legal, world.approver, world.archivist):
        assert logged_in(who).get(web).status_code == 200, who.full_name
        assert Client().get(api, **bearer(who)).status_code == 200, who.full_name
    # A plain officer of the agency who is not on the case, and supervisors above:
    # they see the record and its mark, not its content.
    for who in (world.officer2, world.superior_supervisor, world.justice_supervisor):
        assert logged_in(who).get(web).status_code == 403, who.full_name
        response = Client().get(api, **bearer(who))
        assert response.status_code == 403
        assert response.json()["code"] == "confidential"
    sup = Client()
    marks = sup.get(
        f"/api/v1/cases/{case.public_id}/confidentiality-marks", **bearer(world.superior_supervisor)
    )
    assert [m["category_label"] for m in marks.json()] == ["商业秘密"]
    assert logged_in(world.superior_supervisor).get(f"/documents/{doc.public_id}/").status_code == 200
    # Unmarked records stay readable to supervisors; outsiders still get 404.
    assert logged_in(world.superior_supervisor).get(f"/documents/{plain.public_id}/file/").status_code == 200
    assert logged_in(world.outsider).get(web).status_code == 404
    assert Client().get(api, **bearer(world.outsider)).status_code == 404
    # The head's approval opens it to one named supervisor.
    services.grant_issue(
        actor=world.approver, item=doc, grantee=world.superior_supervisor, reason="案卷评查。"
    )
    assert logged_in(world.superior_supervisor).get(web).status_code == 200
    assert logged_in(world.justice_supervisor).get(web).status_code == 403
    assert Event.objects.filter(type="access:grant:issued").count() == 1


def test_it_serves_a_marked_media_records_bytes_only_to_staff_who_need_them(world, case):
    record, _ = ingest(world, samples.photo(label="marked"), case=case, filename="a.jpg")
    other, _ = ingest(world, samples.photo(label="plain"), case=case, filename="b.jpg")
    services.mark_add(actor=world.officer, item=record, category="state_secret", reason="拍摄到涉密设施。")
    url = f"/media/{record.public_id}/content"
    api = f"/api/v1/media/records/{record.public_id}/content"
    assert logged_in(world.officer).get(url).status_code == 200
    assert logged_in(world.archivist).get(url).status_code == 200
    assert logged_in(world.superior_supervisor).get(url).status_code == 403
    assert Client().get(api, **bearer(world.superior_supervisor)).status_code == 403
    assert (  # a poster is a frame of the content
        logged_in(world.superior_supervisor).get(f"/media/{record.public_id}/poster.jpg").status_code == 403
    )
    assert logged_in(world.superior_supervisor).get(f"/media/{other.public_id}/content").status_code == 200
    assert logged_in(world.outsider).get(url).status_code == 404
    assert Client().get(api, **bearer(world.outsider)).status_code == 404


def test_the_marks_api_checks_personas(world, case):
    doc = scan(world, case)
    url = f"/api/v1/cases/{case.public_id}/confidentiality-marks"
    body = json.dumps(
        {
            "item": {"kind": "document", "id": str(doc.public_id)},
            "category": "personal_privacy",
            "reason": REASON,
        }
    )
    post = lambda who: Client().post(url, body, content_type="application/json", **bearer(who))  # noqa: E731
    assert post(world.outsider).status_code == 404
    assert post(world.superior_supervisor).status_code == 403
    created = post(world.officer)
    assert created.status_code == 201
    assert created.json()["live"] is True
    assert post(world.officer).status_code == 409
    assert Client().get(url, **bearer(world.outsider)).status_code == 404
    lift_url = f"/api/v1/confidentiality-marks/{created.json()['id']}/lift"
    lift = json.dumps({"reason": "已脱敏。"})
    assert (
        Client().post(lift_url, lift, content_type="application/json", **bearer(world.outsider)).status_code
        == 404
    )
    assert (
        Client().post(lift_url, lift, content_type="application/json", **bearer(world.approver)).status_code
        == 201
    )
    listed = Client().get(url, **bearer(world.officer)).json()
    assert [m["action"] for m in listed] == ["marked", "lifted"]
    assert listed[0]["live"] is False
