import hashlib
import json
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from quanlu.media import samples
from quanlu.media.models import MediaRecord
from quanlu.media.tests.helpers import ago, device_for


def run(*args):
    out = StringIO()
    call_command("media", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def card(tmp_path):
    root = tmp_path / "DCIM"
    (root / "100MEDIA").mkdir(parents=True)
    (root / ".Trashes").mkdir()
    files = {
        "100MEDIA/VID_0001.MP4": samples.video(seconds=2, created=ago(hours=3), label="1"),
        "100MEDIA/VID_0002.MP4": samples.video(seconds=2, created=ago(hours=3, seconds=-5), label="2"),
        "100MEDIA/IMG_0003.JPG": samples.photo(taken=ago(hours=2), gps=(40.0, 117.0)),
        "100MEDIA/REC_0004.M4A": samples.audio(created=ago(hours=2)),
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    (root / ".Trashes" / "junk").write_bytes(b"x")
    return root, files


def test_import_device_verifies_reports_safe_to_wipe_and_is_idempotent(world, card):
    root, files = card
    device = device_for(world, world.officer, since=ago(hours=6))
    case = world.open_case()
    rows = json.loads(
        run(
            "import-device",
            str(root),
            "--device",
            device.device_no,
            "--case",
            case.number,
            "--format",
            "json",
        )
    )
    assert sorted(r["path"] for r in rows) == sorted(files)
    assert {r["status"] for r in rows} == {"imported"}
    assert all(r["safe_to_wipe"] for r in rows)
    for r in rows:
        assert r["sha256"] == hashlib.sha256(files[r["path"]]).hexdigest()
    records = MediaRecord.objects.filter(case=case)
    assert records.count() == 4
    # The holder at the time recorded them: the officer the device was checked out to.
    assert {r.officer for r in records} == {world.officer}
    assert {r.via for r in records} == {"dock"}
    again = json.loads(run("import-device", str(root), "--device", device.device_no, "--format", "json"))
    assert {r["status"] for r in again} == {"already"}
    assert all(r["safe_to_wipe"] for r in again)
    assert MediaRecord.objects.count() == 4
    text = run("import-device", str(root), "--device", device.device_no)
    assert "4 个已校验、可从设备清除" in text


def test_import_without_a_case_waits_for_assignment_and_bad_files_are_not_safe(world, card, tmp_path):
    root, _ = card
    device = device_for(world, world.officer, since=ago(hours=6))
    (root / "100MEDIA" / "BROKEN.MP4").write_bytes(b"\x00" * 500)
    (root / "100MEDIA" / "EMPTY.MP4").write_bytes(b"")
    out = StringIO()
    with pytest.raises(CommandError, match="部分文件未导入"):
        call_command(
            "media", "import-device", str(root), "--device", device.device_no, "--format", "json", stdout=out
        )
    rows = {r["path"]: r for r in json.loads(out.getvalue())}
    assert rows["100MEDIA/BROKEN.MP4"]["status"] == "refused"
    assert not rows["100MEDIA/BROKEN.MP4"]["safe_to_wipe"]
    assert "0 字节" in rows["100MEDIA/EMPTY.MP4"]["message"]
    assert MediaRecord.objects.filter(case__isnull=True).count() == 4
    from quanlu.media.services import media_assign

    record = MediaRecord.objects.filter(kind="video").first()
    case = world.open_case()
    media_assign(actor=world.officer, record=record, case=case)
    record.refresh_from_db()
    assert record.case == case
    # Re-import after assignment still finds it: nothing twice.
    os.remove(root / "100MEDIA" / "BROKEN.MP4")
    os.remove(root / "100MEDIA" / "EMPTY.MP4")
    rows = json.loads(run("import-device", str(root), "--device", device.device_no, "--format", "json"))
    assert {r["status"] for r in rows} == {"already"}


def test_media_list_cli_and_unknown_device(world, card):
    root, _ = card
    device = device_for(world, world.officer, since=ago(hours=6))
    case = world.open_case()
    run("import-device", str(root), "--device", device.device_no, "--case", str(case.public_id))
    rows = json.loads(run("list", "--case", case.number, "--format", "json"))
    assert len(rows) == 4
    assert set(rows[0]["classification"]) == {
        "name",
        "device_no",
        "officer",
        "usage_time",
        "parties",
        "cause",
    }
    assert rows[0]["device"] == device.device_no
    with pytest.raises(CommandError, match="没有编号为"):
        call_command("media", "import-device", str(root), "--device", "NOPE")
