"""Each finding's link leads to the exact form that resolves it: the unsigned slot of
that document version, the upload of that transcript's photos and videos, its
correction, the link of that audio-visual record, the approval request on its gate."""

from django.test import Client

from quanlu.rulebooks.judgement import Outcome, RuleResult
from quanlu.rulebooks.loader import all_rulebooks
from quanlu.rulebooks.providers import gather
from quanlu.rulebooks.tests.walk import Walk
from quanlu.testing import factories as f
from quanlu.web.fixes import fix_for


def finding(kind, *subjects):
    """An unmet finding of a real rule of ``kind`` about ``subjects``."""
    for books in all_rulebooks().values():
        for book in books:
            for rule in book.rules_of(kind):
                return RuleResult(rule, book, Outcome.unmet("待办", subjects=subjects))
    raise AssertionError(f"no rulebook has a rule of kind {kind}")


def form_at(client, url):
    """The page answers 200 and the element the anchor names is there; its HTML."""
    path, _, anchor = url.partition("#")
    response = client.get(path)
    assert response.status_code == 200, url
    text = response.content.decode()
    if not anchor:
        return text
    start = text.index(f'id="{anchor}"')
    return text[start : start + 6000]


def test_each_finding_links_to_the_form_that_fixes_it(db):
    walk = Walk(f.world(f.R002))
    case_id = str(walk.case.public_id)
    client = Client()
    client.force_login(walk.w.officer)
    transcript = walk.b.make("inspection_transcript", sign=False)
    clip = walk.b.film(None)
    facts = gather(walk.case)
    doc = facts.doc(str(transcript.public_id))

    # A missing signature: the first unsigned slot of that document, with its form.
    fix = fix_for(case_id, finding("documents_signed", doc.uid), facts)
    assert doc.open_slots
    assert fix.url == f"/documents/{doc.uid}/#slot-{doc.open_slots[0]}"
    assert "签署" in fix.label
    slot = form_at(client, fix.url)
    assert f'name="slot" value="{doc.open_slots[0]}"' in slot
    # A missing photo or video: the transcript's own upload.
    fix = fix_for(case_id, finding("av_required", doc.uid), facts)
    assert fix.url == f"/documents/{doc.uid}/#media"
    assert 'class="attach-input"' in form_at(client, fix.url)
    # Every field there but unsigned: signing, not correcting, fixes it.
    assert fix_for(case_id, finding("document_fields_required", doc.uid), facts).url == fix.url.replace(
        "#media", f"#slot-{doc.open_slots[0]}"
    )
    # What the record says: its correction form.
    fix = fix_for(case_id, finding("officers_present", doc.uid), facts)
    assert fix.url == f"/documents/{doc.uid}/amend/"
    assert 'name="base_version"' in form_at(client, fix.url)
    # A record tied to no transcript: its link form, open.
    fix = fix_for(case_id, finding("av_linked", str(clip.public_id)), facts)
    assert fix.url == f"/media/{clip.public_id}/#link"
    link = form_at(client, fix.url)
    assert f'action="/media/{clip.public_id}/link/"' in link
    assert "<details open>" in link
    # A missing approval: the request form, open on its gate; once asked, the approval.
    result = finding("approval_required")
    gate = result.rule.params["gate"]
    fix = fix_for(case_id, result, facts)
    assert fix.url == f"/cases/{case_id}/?gate={gate}#approval-request"
    request = form_at(client, fix.url)
    assert request.startswith('id="approval-request" open')
    assert f'<option value="{gate}" selected>' in request
    approval = walk.w.request(walk.case, gate)
    fix = fix_for(case_id, result, gather(walk.case))
    assert fix.url == f"/cases/{case_id}/#approval-{approval.public_id}"
    form_at(client, fix.url)
