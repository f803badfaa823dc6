"""The device and the server judge a case alike: the checks the device runs (checks.js,
under Node, on the pack and the records it holds) give the verdicts the rulebook
evaluator gives on what the server received, rule by rule."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

import quanlu.field
from quanlu.field.selectors import case_pack
from quanlu.field.tests.helpers import send, setup
from quanlu.rulebooks.evaluator import rulebook_for
from quanlu.rulebooks.judgement import JUDGES, Status
from quanlu.rulebooks.providers import gather

pytestmark = pytest.mark.django_db

CHECKS = Path(quanlu.field.__file__).parent / "static" / "field" / "checks.js"
NODE = shutil.which("node")
RUN = (
    "const judge = require(process.argv[1]);"
    "const d = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
    "process.stdout.write(JSON.stringify(judge(d.pack, d.doc, d.records).map(r => [r.check.id, r.ok])));"
)


def device_verdicts(pack, doc, records):
    if NODE is None:
        pytest.skip("Node.js is not installed: the device's checks cannot run outside a browser")
    data = json.dumps({"pack": pack, "doc": doc, "records": records})
    out = subprocess.run(
        [NODE, "-e", RUN, str(CHECKS)], input=data, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout))


def server_verdicts(case, document_uid, ids):
    facts, now = gather(case), timezone.now()
    verdicts = {}
    for rule in rulebook_for(case).rules:
        if rule.id in ids:
            outcome = JUDGES[rule.kind](rule, facts, now)
            verdicts[rule.id] = not (outcome.status == Status.UNMET and str(document_uid) in outcome.subjects)
    return verdicts


def judged_alike(device, doc, records):
    """Sync the document and its records; both sides' verdicts on it, rule by rule."""
    pack = case_pack(device.case)
    made = send(device, doc)
    for r in records:
        send(device, r)
    on_device = device_verdicts(pack, doc, records)
    assert on_device, "the pack carries checks for this form"
    on_server = server_verdicts(device.case, made.target_uid, set(on_device))
    assert on_server == on_device
    return on_device


def test_a_complete_transcript_is_met_on_both(world):
    device = setup(world)
    doc = device.transcript()
    records = [device.officer_signs(doc, world.officer), device.officer_signs(doc, world.officer2)]
    records.append(device.party_signs(doc))
    verdicts = judged_alike(device, doc, records)
    assert all(verdicts.values()), verdicts


def test_a_certificate_not_shown_and_missing_signatures_are_unmet_on_both(world):
    device = setup(world)
    doc = device.transcript(officers=[{"officer": str(world.officer.public_id), "certificate_shown": False}])
    verdicts = judged_alike(device, doc, [device.officer_signs(doc, world.officer)])
    assert not any(verdicts.values()), verdicts


def test_a_refusal_attested_on_the_device_counts_alike(world):
    device = setup(world)
    doc = device.transcript()
    statement = {"document": doc["uid"], "slot": "party", "person_name": "刘建国", "reason": "拒绝签字。"}
    records = [device.officer_signs(doc, o) for o in (world.officer, world.officer2)]
    one = [*records, device.statement("refusal", statement, world.officer)]
    judged_alike(device, doc, one)
    other = device.transcript()
    two = [device.officer_signs(other, o) for o in (world.officer, world.officer2)]
    two.append(
        device.statement("refusal", {**statement, "document": other["uid"]}, world.officer, world.officer2)
    )
    assert all(judged_alike(device, other, two).values())


def test_another_form_is_judged_by_its_own_signature_set(world):
    # 询问笔录: the person questioned, the officers and the recorder sign.
    device = setup(world)
    doc = device.document("inquiry_transcript")
    officers = [o["officer"] for o in doc["body"]["fields"]["officers"]]
    staff = {str(o.public_id): o for o in (world.officer, world.officer2)}
    signed = [device.officer_signs(doc, staff[u]) for u in officers]
    verdicts = judged_alike(device, doc, signed)
    assert not all(verdicts.values()), "the person questioned and the recorder have not signed"
    again = device.document("inquiry_transcript")
    records = [device.officer_signs(again, staff[u]) for u in officers]
    records.append(device.officer_signs(again, staff[again["body"]["fields"]["recorder"]], slot="recorder"))
    records.append(device.party_signs(again, name="王某某", slot="interviewee"))
    assert all(judged_alike(device, again, records).values())
