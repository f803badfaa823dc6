"""The on-site flow on a phone (390×844, touch), in a real Chromium against the live
server: a new 现场检查笔录 with two officers signing on one device, the party signing
full screen, three photos and a video attached from the transcript's page and sent
with tus while the network is cut and restored, and the checks on it turning green.

The screens (page loads) and inputs (fields filled, boxes ticked, taps on controls
that ask something of the officer) are counted as the officer would spend them."""

import datetime as dt
import io
import os
import shutil

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import sync_playwright

from quanlu.cases import services as cases
from quanlu.media import samples
from quanlu.media.models import MediaLink, MediaRecord, Upload
from quanlu.records.models import Document, Signature
from quanlu.rulebooks.evaluator import evaluate
from quanlu.rulebooks.providers import gather
from quanlu.testing import factories as f

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
# The rules that look at an on-site inspection transcript: signed, and recorded on video.
RULES = ("inv.transcripts_signed", "inv.documents_signed", "av.onsite_inspection")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]


def _photo(n: int) -> bytes:
    if n == 0:  # a camera's JPEG, with its EXIF capture time
        return samples.photo(taken=timezone.now() - dt.timedelta(minutes=20))
    # Noise, so the JPEG is several tus chunks long and the cut lands mid-file.
    img = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    assert out.tell() > 600_000, "the photo must span several chunks"
    return out.getvalue()


def _findings(case, doc):
    return [
        r.rule.id
        for r in evaluate(gather(case))
        if r.rule.id in RULES and str(doc.public_id) in r.outcome.subjects
    ]


class Count:
    def __init__(self) -> None:
        self.screens = 0
        self.inputs = 0

    def load(self, n: int = 1) -> None:
        self.screens += n

    def input(self, n: int = 1) -> None:
        self.inputs += n


def test_onsite_inspection_on_a_phone(transactional_db, live_server, output_dir, tmp_path, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the checks between
    # steps read the database from it, synchronously (Django's documented switch).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    out = output_dir / "records"
    out.mkdir(exist_ok=True)
    w = f.world()
    case = w.open_case(cause="某化工有限公司废气超标排放案")
    cases.party_add(
        actor=w.officer,
        case=case,
        kind="organisation",
        name="某化工有限公司",
        id_type="uscc",
        id_number=f.uscc(),
        legal_representative="刘建国",
        address="某市经济开发区化工路8号",
    )
    files = []
    for n in range(3):
        path = tmp_path / f"现场照片{n + 1}.jpg"
        path.write_bytes(_photo(n))
        files.append(str(path))
    clip = tmp_path / "现场录像.mp4"
    clip.write_bytes(samples.video(seconds=1.0, created=timezone.now() - dt.timedelta(minutes=30)))
    files.append(str(clip))
    base = live_server.url
    count = Count()
    patches: list[str] = []
    heads: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            has_touch=True,
            is_mobile=True,
            locale="zh-CN",
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        # 1. Straight to the form from the case (the link on the case page): the login page
        # brings the officer back to it.
        form_url = f"{base}/cases/{case.public_id}/documents/new/?type=inspection_transcript"
        page.goto(form_url)
        count.load()
        page.fill("#id_username", w.officer.username)
        page.fill("#id_password", f.PASSWORD)
        count.input(2)
        page.click("button[type=submit]")
        page.wait_for_url(form_url)
        count.load()
        assert page.input_value("#f_started_at").startswith(timezone.localtime().strftime("%Y-%m-%d"))
        assert page.is_checked(f"input[name=f_officers][value='{w.officer.public_id}']")
        page.screenshot(path=str(out / "1-form-defaults.png"), full_page=True)

        # 2. What only the officer knows: the place, what was found, the co-officer.
        page.fill("#f_place", "某市经济开发区化工路8号厂区")
        page.fill("#f_findings", "1. 脱硫塔循环泵处于停运状态。\n2. 在线监测显示二氧化硫小时均值超标。")
        page.check(f"input[name=f_officers][value='{w.officer2.public_id}']")
        page.check("input[name=f_av_recorded]")
        count.input(4)
        page.wait_for_timeout(600)
        assert "某市经济开发区化工路8号厂区" in page.evaluate("JSON.stringify(localStorage)")

        # The session expires while the officer writes (not part of the count): the
        # login page brings them back to the form, which restores the draft.
        kept = [c for c in context.cookies() if c["name"] != "sessionid"]
        context.clear_cookies()
        context.add_cookies(kept)
        page.click("button.primary[type=submit]")
        page.wait_for_selector("#id_username")
        page.fill("#id_username", w.officer.username)
        page.fill("#id_password", f.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector(".draft-note:not([hidden])")
        assert "已恢复" in page.inner_text(".draft-note")
        assert page.input_value("#f_place") == "某市经济开发区化工路8号厂区"
        assert page.is_checked(f"input[name=f_officers][value='{w.officer2.public_id}']")
        page.screenshot(path=str(out / "1b-draft-restored-after-login.png"))
        assert not Document.objects.filter(case=case).exists()

        page.click("button.primary[type=submit]")
        count.input()
        page.wait_for_selector("h1[data-document-made]")
        count.load()
        doc = Document.objects.get(case=case)
        assert set(_findings(case, doc)) == set(RULES)
        assert (
            page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('quanlu-draft')).length") == 0
        )

        # 3. Both officers sign on this phone, each with their own password.
        page.fill("#pw-officers", f.PASSWORD)
        count.input()
        page.click("#slot-officers button[type=submit]")
        count.input()
        page.wait_for_selector(f"text=已签名：{w.officer.full_name}")
        count.load()
        page.select_option("#who-officers", str(w.officer2.public_id))
        page.fill("#pw-officers", "wrong-password")
        page.click("#slot-officers button[type=submit]")
        page.wait_for_selector("text=用户名或密码不正确")
        assert Signature.objects.filter(officer=w.officer2).count() == 0
        page.screenshot(path=str(out / "2-second-officer-wrong-password.png"), full_page=True)
        page.fill("#pw-officers", f.PASSWORD)
        count.input(2)  # pick self, password (the wrong try above is not part of the flow)
        page.click("#slot-officers button[type=submit]")
        count.input()
        page.wait_for_selector(f"text=已签名：{w.officer2.full_name}")
        count.load()
        assert Signature.objects.get(officer=w.officer2).recorded_by == w.officer

        # 4. The party signs full screen, the phone turned sideways.
        page.click("#slot-party .sigpad-full")
        count.input()
        page.set_viewport_size({"width": 844, "height": 390})
        box = page.locator("#slot-party .sigpad-box.fullscreen canvas.sigpad").bounding_box()
        assert box["width"] > 800, box
        assert box["height"] > 250, box
        page.screenshot(path=str(out / "3-party-signs-full-screen-landscape.png"))
        page.mouse.move(box["x"] + 80, box["y"] + 150)
        page.mouse.down()
        for i in range(1, 30):
            page.mouse.move(box["x"] + 80 + i * 22, box["y"] + 150 + (40 if i % 2 else -40))
        page.mouse.up()
        count.input()
        page.screenshot(path=str(out / "3b-party-signed-landscape.png"))
        page.click("#slot-party .sigpad-box.fullscreen button[type=submit]")
        count.input()
        page.wait_for_selector("text=已记录")
        count.load()
        page.set_viewport_size({"width": 390, "height": 844})

        # 5. Three photos and a video from the transcript's own page, over tus; the
        # network is cut on the way and comes back.
        cut = {"done": False}

        def route(r):
            req = r.request
            if req.method == "HEAD":
                heads.append(req.url)
            if req.method == "PATCH":
                patches.append(req.url)
                # The third PATCH is the second chunk of the second photo: cut mid-file.
                if len(patches) == 3 and not cut["done"]:
                    cut["done"] = True
                    context.set_offline(True)
                    r.abort("internetdisconnected")
                    return
            r.continue_()

        page.route("**/api/v1/media/tus/**", route)
        page.set_input_files("input.attach-input", files)
        count.input()
        page.wait_for_function("() => navigator.onLine === false || document.querySelector('.attach-item')")
        page.wait_for_function("() => /网络中断/.test(document.querySelector('.attach-list').innerText)")
        sent = page.evaluate("document.querySelectorAll('.attach-item progress')[1].value")
        assert 0 < sent < 100, sent
        page.locator(".attach-list").scroll_into_view_if_needed()
        page.screenshot(path=str(out / "4-upload-network-cut.png"))
        context.set_offline(False)
        page.wait_for_function(
            "() => document.querySelector('.attach').dataset.finished === '4'", timeout=120_000
        )
        page.screenshot(path=str(out / "5-uploaded-and-linked.png"), full_page=True)
        states = page.locator(".attach-state").all_inner_texts()
        assert states == ["已上传并关联"] * 4, states
        # The section's count follows the uploads without a reload.
        page.wait_for_function("() => document.querySelector('.doc-media-count').textContent === '4'")
        page.reload()
        count.load()
        assert page.inner_text(".doc-media-list h2") == "照片和音像（4）"
        page.screenshot(path=str(out / "6-transcript-complete.png"), full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e], errors
        browser.close()

    assert cut["done"], "the network was cut mid-upload"
    assert heads, "the client asked the server's offset to resume"
    records = MediaRecord.objects.filter(case=case)
    assert records.count() == 4
    assert {link.document_uid for link in MediaLink.objects.filter(record__in=records)} == {doc.public_id}
    # Four uploads, all completed: the cut one was resumed, not started again.
    assert Upload.objects.filter(case=case).count() == 4
    assert Upload.objects.filter(case=case, status="completed").count() == 4
    assert _findings(case, doc) == [], "the checks on the transcript are green"
    print(f"\n现场检查笔录 on a phone: {count.screens} screens, {count.inputs} inputs (was 12 / 35)")
    (out / "flow-count.txt").write_text(f"screens={count.screens} inputs={count.inputs}\n")
