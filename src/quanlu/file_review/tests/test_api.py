from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from quanlu.file_review import sheets
from quanlu.file_review.models import Campaign
from quanlu.file_review.tests.conftest import ReviewWorld, committed
from quanlu.org.models import Officer
from quanlu.org.services import api_token_create
from quanlu.supervision.models import RectificationOrder

pytestmark = pytest.mark.tampers  # cases are closed behind the services; committed() checks the rest


class Api:
    def __init__(self, officer: Officer) -> None:
        _, raw = api_token_create(actor=officer, officer=officer, label="t")
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        self.client = Client()

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", **self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **self.headers
        )


def test_a_review_from_sampling_to_scores_to_rectification_and_closure(rw: ReviewWorld):
    sup = Api(rw.w.superior_supervisor)
    r = sup.post("/file-reviews", {"title": "年度评查", "method": "random", "per_agency": 1, "seed": "s1"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["sheet_version"] == 1
    assert body["params"]["seed"] == "s1"
    assert len(body["samples"]) == 2
    cid = body["id"]
    sample = next(s for s in body["samples"] if s["agency"]["name"] == rw.w.agency.name)

    sheet = sup.get(f"/file-reviews/{cid}/cases/{sample['id']}").json()
    broken = next(i for i in sheet["items"] if i["prefill_applicable"] and float(i["prefill_awarded"]) == 0)
    assert broken["prefill_finding"].startswith("系统检查不符合")
    assert broken["quote"]
    assert broken["awarded"] is None  # not scored yet

    r = sup.post(
        f"/file-reviews/{cid}/cases/{sample['id']}/scores",
        {"entries": [{"item": broken["item"], "awarded": 3}]},
    )
    assert r.status_code == 422
    assert "调整理由" in r.json()["message"]
    r = sup.post(
        f"/file-reviews/{cid}/cases/{sample['id']}/scores",
        {
            "entries": [
                {"item": broken["item"], "awarded": 3, "reason": "卷中另有记录", "finding": "记录不全"}
            ]
        },
    )
    assert r.status_code == 201, r.content
    scored = next(i for i in r.json()["items"] if i["item"] == broken["item"])
    assert (float(scored["awarded"]), scored["change_reason"]) == (3, "卷中另有记录")

    r = sup.post(f"/file-reviews/{cid}/close", {"conclusion": "结束"})
    assert r.status_code == 409
    assert r.json()["code"] == "unscored_cases"
    other = next(s for s in body["samples"] if s["id"] != sample["id"])
    assert sup.post(f"/file-reviews/{cid}/cases/{other['id']}/scores", {}).status_code == 201

    res = sup.get(f"/file-reviews/{cid}/results").json()
    assert len(res["agencies"]) == 2
    assert float(res["total"]["lost"]) == sum(float(a["lost"]) for a in res["agencies"]) > 0
    lost = [i for i in res["lost_items"] if i["agency"]["name"] == rw.w.agency.name]
    r = sup.post(
        f"/file-reviews/{cid}/rectifications",
        {
            "agency": str(rw.w.agency.public_id),
            "items": [lost[0]["id"]],
            "requirements": "补齐记录。",
            "due_at": (timezone.now() + dt.timedelta(days=10)).isoformat(),
        },
    )
    assert r.status_code == 201, r.content
    order = RectificationOrder.objects.get(public_id=r.json()["order"])
    assert lost[0]["title"] in order.findings
    assert sup.post(f"/file-reviews/{cid}/close", {"conclusion": "总体合格。"}).status_code == 200

    # The reviewed agency now sees its own results only; outsiders see nothing.
    own = Api(rw.w.approver).get(f"/file-reviews/{cid}/results").json()
    assert [a["name"] for a in own["agencies"]] == [rw.w.agency.name]
    assert [
        s["agency"]["name"] for s in Api(rw.w.approver).get(f"/file-reviews/{cid}").json()["samples"]
    ] == [rw.w.agency.name]
    assert Api(rw.w.approver).get(f"/file-reviews/{cid}/cases/{other['id']}").status_code == 404
    for path in (
        f"/file-reviews/{cid}",
        f"/file-reviews/{cid}/results",
        f"/file-reviews/{cid}/cases/{sample['id']}",
    ):
        assert Api(rw.w.outsider).get(path).status_code == 404
    assert Api(rw.w.outsider).get("/file-reviews").json() == []
    committed()


def test_outsiders_cannot_open_in_another_tree_or_score(rw: ReviewWorld):
    out = Api(rw.w.outsider)
    assert out.post("/file-reviews", {"title": "x", "method": "random", "per_agency": 1}).status_code == 403
    sup = Api(rw.w.superior_supervisor)
    r = sup.post(
        "/file-reviews",
        {"title": "x", "method": "random", "per_agency": 1, "agencies": [str(rw.w.other.public_id)]},
    )
    assert r.status_code == 404
    cid = sup.post("/file-reviews", {"title": "x", "method": "random", "per_agency": 1}).json()["id"]
    campaign = Campaign.objects.get(public_id=cid)
    sample = campaign.samples.first()
    assert out.post(f"/file-reviews/{cid}/cases/{sample.public_id}/scores", {}).status_code == 404
    assert (
        Api(rw.w.justice_supervisor)
        .post(f"/file-reviews/{cid}/cases/{sample.public_id}/scores", {})
        .status_code
        == 403
    )


def test_a_sheet_version_is_published_over_the_api(rw: ReviewWorld):
    sup = Api(rw.w.superior_supervisor)
    current = sup.get("/file-reviews/sheets/current").json()
    assert current["version"] == 0
    assert current["origin"] == "default"
    assert current["points"] == sheets.total_points(sheets.default_sheet())
    content = current["content"]
    content["title"] = "本局评查标准"
    content["sections"] = content["sections"][:1]
    r = sup.post("/file-reviews/sheets", {"content": content})
    assert r.status_code == 201, r.content
    assert (r.json()["version"], r.json()["points"]) == (
        1,
        sum(i["points"] for i in content["sections"][0]["items"]),
    )
    content["sections"][0]["items"][0]["points"] = 0
    r = sup.post("/file-reviews/sheets", {"content": content})
    assert r.status_code == 422
    assert "分值" in r.json()["message"]
    assert Api(rw.w.officer).post("/file-reviews/sheets", {"content": content}).status_code == 403
