"""The field app on a phone (390×844), in a real Chromium against the live server:
two officers enroll their PIN-protected keys, the case is taken offline, the network
is cut (the browser context offline), a 现场检查笔录 is drafted, both officers sign
with their PINs, the party signs on the pad, two photos and a video are attached; the
page is reloaded, the browser closed and opened again, offline, and everything is still
there; the network comes back, the device syncs by itself (cut once more in the middle
of the video, and resumed), the server's SHA-256 equals the device's for every record,
the server's checks agree with the device's, and the ledger verifies.

The video is a few MB here to keep the suite fast; docs/field-capture.md gives the
sizes measured by hand."""

import datetime as dt
import fractions
import hashlib
import io
import os
import shutil

import av
import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import sync_playwright

from quanlu.cases.models import Case
from quanlu.field.models import Receipt, ReceiptStatus, Takeout
from quanlu.field.tests.helpers import case_with_party
from quanlu.ledger.services import ledger_integrate
from quanlu.ledger.verify import verify
from quanlu.media import samples
from quanlu.media.models import MediaLink, MediaRecord, Upload
from quanlu.records.models import Document, Signature
from quanlu.rulebooks.evaluator import evaluate
from quanlu.rulebooks.providers import gather
from quanlu.testing import factories as f

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
PIN1, PIN2 = "135790", "246802"

pytestmark = [
    pytest.mark.browser,
    # The server side of the sync is field.services, tested on both engines in test_sync.py;
    # this walk is about the browser (service worker, IndexedDB, WebCrypto, tus).
    pytest.mark.engine_independent,
    pytest.mark.skipif(not shutil.which("chromium"), reason="make system-deps installs Debian's chromium"),
]


def noisy_video(frames: int = 12, size: tuple[int, int] = (640, 360), fps: int = 4) -> bytes:
    """An H.264 MP4 of random frames (incompressible: ~4 MB for 3 s), made with FFmpeg (PyAV)."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "8"})
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = 1
        for i in range(frames):
            frame = av.VideoFrame.from_image(Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)))
            frame.pts = i
            frame.time_base = fractions.Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def _enroll(page, pin: str, username: str = "", password: str = "") -> None:
    page.fill("input[name=label]", "执法记录手机1")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=pin]", pin)
    page.fill("input[name=pin2]", pin)
    page.click(".enrol-form button[type=submit]")
    page.wait_for_selector("#status:has-text('已为')")


def test_field_capture_offline_and_sync_on_return(
    transactional_db, live_server, output_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    out = output_dir / "field"
    out.mkdir(exist_ok=True)
    w = f.world()
    case = case_with_party(w)
    files = []
    for n in range(2):
        path = tmp_path / f"现场照片{n + 1}.jpg"
        path.write_bytes(samples.photo(taken=timezone.now() - dt.timedelta(minutes=10 + n)))
        files.append(path)
    clip = tmp_path / "现场录像.mp4"
    # QUANLU_FIELD_VIDEO_FRAMES=150 makes the ~50 MB video of the issue (measured by hand).
    clip.write_bytes(noisy_video(frames=int(os.environ.get("QUANLU_FIELD_VIDEO_FRAMES", "12"))))
    assert clip.stat().st_size > 3_000_000
    files.append(clip)
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    base = live_server.url

    with sync_playwright() as p:
        # A browser with a profile on disk, so that it can be closed and opened again.
        def open_browser(offline: bool = False):
            context = p.chromium.launch_persistent_context(
                str(tmp_path / "profile"),
                executable_path=CHROMIUM,
                args=ARGS,
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                has_touch=True,
                is_mobile=True,
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                offline=offline,
            )
            page = context.pages[0] if context.pages else context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            return context, page

        errors: list[str] = []
        context, page = open_browser()

        # 1. Online: sign in, install (the service worker precaches the shell), enroll both keys.
        page.goto(f"{base}/field/")
        page.fill("#id_username", w.officer.username)
        page.fill("#id_password", f.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#enrol")
        page.wait_for_selector("body[data-offline-ready='1']")
        _enroll(page, PIN1)
        _enroll(page, PIN2, w.officer2.username, f.PASSWORD)
        enrolled = page.inner_text("#enrol")
        assert w.officer.full_name in enrolled
        assert w.officer2.full_name in enrolled
        assert "已登记" in enrolled
        page.screenshot(path=str(out / "1-enrolled.png"), full_page=True)

        # 2. Take the case out: the server records it (已离线 on its case page too).
        page.click(f"button[data-case='{case.public_id}']")
        page.wait_for_selector("#transcript")
        assert Takeout.objects.filter(case=case).count() == 1

        # 3. The network is cut; the page reloads from the service worker's cache.
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("#transcript")
        assert page.inner_text("#net") == "离线"
        page.fill("#f_place", "某市经济开发区化工路8号厂区")
        page.fill("#f_findings", "1. 脱硫塔循环泵处于停运状态。\n2. 在线监测显示二氧化硫小时均值超标。")
        page.check(f"input[name=f_officers][value='{w.officer2.public_id}']")
        page.check("#f_av_recorded")
        for box in page.locator("input[name=f_rights]").all():
            box.check()
        page.screenshot(path=str(out / "2-offline-transcript-form.png"), full_page=True)
        page.click("#transcript button[type=submit]")
        page.wait_for_selector("#doc")
        assert "✗" in page.inner_text("#checks"), "unsigned: the device's own check says so"

        # 4. Both officers sign with their PINs (a wrong PIN signs nothing); the party signs.
        page.select_option("#signer", str(w.officer.public_id))
        page.fill("#pin", PIN1)
        page.click("#slot-officers button[type=submit]")
        page.wait_for_selector(f"text=已签名：{w.officer.full_name}")
        page.select_option("#signer", str(w.officer2.public_id))
        page.fill("#pin", "000000")
        page.click("#slot-officers button[type=submit]")
        page.wait_for_selector("#status:has-text('PIN 不正确')")
        page.screenshot(path=str(out / "3-wrong-pin.png"), full_page=True)
        page.fill("#pin", PIN2)
        page.click("#slot-officers button[type=submit]")
        page.wait_for_selector(f"text=已签名：{w.officer2.full_name}")
        # The regulation's other on-site forms, and a refusal to sign or a witness, offered.
        assert "询问笔录" in page.inner_text("#doc-type")
        assert page.locator("#slot-refusal").count() == 1
        page.screenshot(path=str(out / "3b-other-forms-refusal-witness.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(out / "3c-other-forms-refusal-witness-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.locator("#slot-party canvas.sigpad").scroll_into_view_if_needed()
        box = page.locator("#slot-party canvas.sigpad").bounding_box()
        page.mouse.move(box["x"] + 30, box["y"] + 60)
        page.mouse.down()
        for i in range(1, 20):
            page.mouse.move(box["x"] + 30 + i * 14, box["y"] + 60 + (25 if i % 2 else -25))
        page.mouse.up()
        page.click("#slot-party button[type=submit]")
        page.wait_for_selector("text=已签名：刘建国")

        # 5. Two photos and a video, hashed and encrypted on the device.
        page.set_input_files("input.capture-input", [str(p) for p in files])
        page.wait_for_function("() => document.querySelectorAll('.media-item').length === 3", timeout=60_000)
        device_shas = page.eval_on_selector_all(".media-item", "els => els.map(e => e.dataset.sha)")
        assert sorted(device_shas) == sorted(digests.values()), "hash-wasm's SHA-256 is the file's"
        assert page.locator(".check-row.bad").count() == 0, page.inner_text("#checks")
        usage, quota = page.evaluate("navigator.storage.estimate().then(e => [e.usage, e.quota])")
        (out / "storage.txt").write_text(f"video={clip.stat().st_size} usage={usage} quota={quota}\n")
        device_checks = page.eval_on_selector_all(".check-row.ok", "els => els.map(e => e.dataset.rule)")
        page.screenshot(path=str(out / "4-offline-signed-and-attached.png"), full_page=True)

        # 6. Reloaded offline, then the browser closed and opened again, offline: everything
        # is still there, and nothing has reached the server.
        page.reload()
        page.wait_for_selector("#doc")
        assert page.locator(".media-item").count() == 3
        context.close()
        context, page = open_browser(offline=True)
        page.goto(f"{base}/field/#case={case.public_id}")
        page.wait_for_selector("#doc")
        assert page.locator(".media-item").count() == 3
        assert f"已签名：{w.officer2.full_name}" in page.inner_text("#slot-officers")
        assert not Document.objects.filter(case=case).exists()
        page.goto(f"{base}/field/")
        page.wait_for_selector("#pending")
        assert "7 条记录待同步" in page.inner_text("#pending")
        assert "尚未记录返回时间" in page.inner_text("#returned-at"), "not back while offline"
        page.screenshot(path=str(out / "5-offline-home-pending.png"), full_page=True)
        # A case opened here, offline, under a provisional number (numbered on sync).
        page.fill("#new-case-form input[name=cause]", "某矿业有限公司涉嫌无证开采案")
        page.fill("#new-case-form textarea[name=reason]", "巡查发现矿区有开采痕迹。")
        page.select_option("#new-case-form select[name=party_kind]", "organisation")
        page.select_option("#new-case-form select[name=id_type]", "uscc")
        page.fill("#new-case-form input[name=party_name]", "某矿业有限公司")
        page.fill("#new-case-form input[name=id_number]", f.uscc())
        page.fill("#new-case-form input[name=legal_representative]", "王某")
        page.click("#new-case-form button[type=submit]")
        page.wait_for_selector("#transcript")
        assert "临-" in page.inner_text("h1")
        page.screenshot(path=str(out / "5b-offline-new-case.png"), full_page=True)
        page.goto(f"{base}/field/")
        page.wait_for_selector("#pending")
        assert "8 条记录待同步" in page.inner_text("#pending")

        # 7. Back online: the device syncs by itself, in capture order, and wipes its copies.
        # The network drops again in the middle of the video (its second 1 MB chunk) and
        # comes back: tus asks the server's offset and sends the rest.
        patches: list[str] = []
        heads: list[str] = []

        def cut(route):
            if route.request.method == "HEAD":
                heads.append(route.request.url)
            if route.request.method == "PATCH":
                patches.append(route.request.url)
                if len(patches) == 4:
                    context.set_offline(True)
                    route.abort("internetdisconnected")
                    return
            route.continue_()

        page.route("**/api/v1/media/tus/**", cut)
        context.set_offline(False)
        page.wait_for_function("() => navigator.onLine === false")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(out / "6a-sync-cut.png"), full_page=True)
        context.set_offline(False)
        page.wait_for_selector("body[data-sync='done']", timeout=120_000)
        page.wait_for_selector(".sync-log")
        page.screenshot(path=str(out / "6-synced.png"), full_page=True)
        log = page.eval_on_selector_all(
            ".receipt", "els => els.map(e => [e.dataset.sha, e.dataset.deviceSha, e.className])"
        )
        left = page.evaluate(
            """() => new Promise(ok => { const r = indexedDB.open('quanlu-field');
                r.onsuccess = () => { const t = r.result.transaction(['records', 'chunks']);
                  const a = t.objectStore('records').count(), b = t.objectStore('chunks').count();
                  t.oncomplete = () => ok([a.result, b.result]); }; })"""
        )
        assert left == [0, 0], "wiped once the server confirmed"
        page.goto(f"{base}/cases/{case.public_id}/")
        page.wait_for_selector("#field")
        assert "已离线" in page.inner_text("#field")
        page.locator("#field").screenshot(path=str(out / "7-case-page-offline-tag.png"))
        assert not [e for e in errors if "Content Security Policy" in e or "Error" in e], errors
        context.close()

    assert len(log) == 8, log
    assert all(sha == dsha for sha, dsha, _ in log), log
    receipts = list(Receipt.objects.order_by("sequence"))
    assert [r.kind for r in receipts] == [
        "document",
        "officer_signature",
        "officer_signature",
        "party_signature",
        "media",
        "media",
        "media",
        "case",
    ]
    assert all(r.status == ReceiptStatus.ACCEPTED for r in receipts), [r.flags for r in receipts if r.flags]
    assert all(r.server_sha256 == r.device_sha256 for r in receipts)
    # The device noted its return when the server answered again, and sent it with each record.
    assert all(r.returned_at is not None for r in receipts)
    assert all(r.captured_at_server < r.returned_at <= r.received_at for r in receipts)
    opened = Case.objects.get(client_token=receipts[-1].public_id)
    assert opened.number.startswith(case.number[:3]), "numbered by the agency's sequence"
    assert Takeout.objects.filter(case=opened).exists()
    doc = Document.objects.get(case=case)
    assert doc.client_token == receipts[0].public_id
    assert Signature.objects.filter(document=doc).count() == 3
    records = MediaRecord.objects.filter(case=case)
    assert sorted(r.sha256 for r in records) == sorted(digests.values())
    # The cut upload was resumed, not started again: one upload per file, all completed.
    assert heads, "the device asked the server's offset to resume"
    assert Upload.objects.filter(case=case).count() == 3
    assert Upload.objects.filter(case=case, status="completed").count() == 3
    assert {link.document_uid for link in MediaLink.objects.filter(record__in=records)} == {doc.public_id}
    # The server runs the same rules on what it received, with the device's result: met.
    findings = [
        r.rule.id
        for r in evaluate(gather(case))
        if r.rule.id in device_checks and str(doc.public_id) in r.outcome.subjects
    ]
    assert device_checks
    assert findings == []
    ledger_integrate()
    report = verify()
    assert report.ok, [p.message for p in report.problems]
