import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.utils import timezone

from quanlu.blobs.models import Blob
from quanlu.blobs.store import get_store
from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied, Refused
from quanlu.devices import services as devices
from quanlu.ledger.models import Event
from quanlu.media import samples, services
from quanlu.media.models import Gap, MediaRecord
from quanlu.media.tests.helpers import ago, device_for, ingest, stage, video
from quanlu.supervision.models import Deadline
from quanlu.testing import factories


def stored_files(settings):
    root = settings.QUANLU_BLOB_DIR / "sha256"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_video_metadata_poster_and_classification(world, settings):
    start = ago(hours=2)
    device = device_for(world, serial="BWC-77")
    case = world.open_case()
    from quanlu.cases import services as cases

    cases.party_add(
        actor=world.officer, case=case, kind="person", name="张某", id_type="passport", id_number="E1234567"
    )
    data = video(start, seconds=3, location=(39.9042, 116.4074), serial="BWC-77", with_audio=True)
    record, created = ingest(
        world, data, case=case, device=device.device_no, step_label="现场检查", stage="investigation"
    )
    assert created
    assert record.kind == "video"
    assert (record.codec, record.audio_codec, record.mime_type) == ("h264", "aac", "video/mp4")
    assert 2900 <= record.duration_ms <= 3200
    assert (record.width, record.height) == (320, 240)
    assert abs(record.captured_start - start) < dt.timedelta(seconds=1)
    assert record.captured_end - record.captured_start == dt.timedelta(milliseconds=record.duration_ms)
    assert record.capture_time_source == "metadata"
    assert (record.latitude, record.longitude) == (Decimal("39.904200"), Decimal("116.407400"))
    assert record.device_serial == "BWC-77"
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.sm3 == hashlib.new("sm3", data).hexdigest()
    assert record.poster is not None
    with get_store().open(record.poster_id) as fh:
        assert fh.read(3) == b"\xff\xd8\xff"  # a JPEG poster frame
    assert record.flags == []
    assert record.checkout is not None
    assert record.officer == world.officer
    keys = record.classification()
    assert keys["device_no"] == device.device_no
    assert keys["officer"].startswith(world.officer.full_name)
    assert keys["parties"] == "张某"
    assert keys["cause"] == case.cause
    assert keys["usage_time"].count("至") == 1
    (event,) = Event.objects.filter(type="media:record:ingested")
    assert event.payload["sha256"] == record.sha256
    assert event.case_uid == case.public_id
    assert list((settings.QUANLU_BLOB_DIR / "tmp").iterdir()) == []


def test_photo_exif_time_gps_and_serial(world):
    taken = ago(hours=1).replace(microsecond=0)
    data = samples.photo(taken=taken, gps=(31.2304, -121.4737), serial="CAM-5")
    record, _ = ingest(world, data, filename="现场照片.jpg")
    assert record.kind == "photo"
    assert record.captured_start == taken
    assert record.capture_time_source == "metadata"
    assert record.latitude == Decimal("31.230400")
    assert record.longitude == Decimal("-121.473700")
    assert record.device_serial == "CAM-5"
    assert record.device_make == "QuanluCam QL-1"
    assert record.name == "照片 现场照片"
    assert record.poster is not None


def test_audio_is_audio(world):
    record, _ = ingest(world, samples.audio(created=ago(minutes=10)), filename="询问录音.m4a")
    assert (record.kind, record.mime_type, record.codec) == ("audio", "audio/mp4", "aac")
    assert record.poster is None


def test_the_same_bytes_twice_are_one_record_and_one_blob(world, settings):
    case = world.open_case()
    data = video(ago(hours=1))
    first, created = ingest(world, data, case=case)
    again, created_again = ingest(world, data, case=case, filename="retry.mp4")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert MediaRecord.objects.count() == 1
    assert Blob.objects.filter(sha256=first.sha256).count() == 1
    assert len([f for f in stored_files(settings) if f == first.sha256]) == 1
    # Another case may hold the same evidence: a second record, still one blob.
    other, created_other = ingest(world, data, case=world.open_case())
    assert created_other
    assert other.blob_id == first.blob_id


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "empty.mp4", "0 字节"),
        (b"just some text, not a video\n" * 50, "notes.mp4", "不是可识别的照片、录音或录像文件"),
        (samples.photo()[:1500], "cut.jpg", "照片文件不完整或已损坏"),
        (samples.video(seconds=2)[:4000], "cut.mp4", "不是可识别"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "fake.png", "不支持的文件格式|不是可识别"),
    ],
)
def test_what_is_not_whole_media_is_refused_and_nothing_is_stored(world, settings, data, filename, message):
    with pytest.raises(InvalidInput, match=message):
        ingest(world, data, filename=filename)
    assert MediaRecord.objects.count() == 0
    assert Blob.objects.count() == 0
    assert stored_files(settings) == []
    assert list((settings.QUANLU_BLOB_DIR / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd",
        "a/b.mp4",
        "..\\evil.mp4",
        "clip\x00.mp4",
        "bad\nname.mp4",
        "x\u202ecod.mp4",
        "..",
        "",
    ],
)
def test_file_names_with_paths_or_control_characters_are_refused(world, settings, filename):
    with pytest.raises(InvalidInput, match="文件名"):
        ingest(world, video(ago(hours=1)), filename=filename)
    assert stored_files(settings) == []


def test_a_wrong_declared_checksum_is_refused(world, settings):
    data = video(ago(hours=1))
    with pytest.raises(InvalidInput, match="摘要与声明的不一致"):
        ingest(world, data, sha256="0" * 64)
    with pytest.raises(InvalidInput, match="SHA-256 摘要格式"):
        ingest(world, data, sha256="xyz")
    assert stored_files(settings) == []
    record, _ = ingest(world, data, sha256=hashlib.sha256(data).hexdigest())
    assert record.sha256 == hashlib.sha256(data).hexdigest()


def test_uploads_are_authorised_against_the_case(world):
    case = world.open_case()
    for who, error in (
        (world.outsider, PermissionDenied),
        (world.superior_supervisor, PermissionDenied),
        (world.archivist, PermissionDenied),
    ):
        with pytest.raises(error):
            ingest(world, video(ago(hours=1)), case=case, actor=who)
    assert MediaRecord.objects.count() == 0


def test_unknown_device_or_officer_is_refused_before_the_bytes(world):
    with pytest.raises(InvalidInput, match="记录设备"):
        services.clean_declared(agency=world.agency, data={"device": "NOPE-1"})
    with pytest.raises(InvalidInput, match="执法人员"):
        services.clean_declared(agency=world.agency, data={"officer": str(world.outsider.public_id)})
    with pytest.raises(InvalidInput, match="不能晚于当前时间"):
        services.clean_declared(agency=world.agency, data={"captured_at": "2999-01-01T00:00"})


# ---------------------------------------------------------------- upload deadline


def test_an_upload_within_24_hours_is_in_time_and_meets_its_deadline(world):
    start = ago(hours=5)
    record, _ = ingest(world, video(start))
    assert record.upload_rule == "av.upload_24h"
    assert abs(record.upload_due_at - (record.captured_end + dt.timedelta(hours=24))) < dt.timedelta(
        seconds=1
    )
    assert not record.upload_overdue
    deadline = Deadline.objects.get(kind=f"av_upload:{record.public_id.hex}")
    assert deadline.met_at == record.received_at
    assert deadline.level(timezone.now()) == "none"
    assert "第二十五条" in deadline.article


def test_a_late_upload_is_flagged_overdue_with_the_article(world):
    record, _ = ingest(world, video(ago(hours=30)))
    assert record.upload_overdue
    assert "upload_overdue" in record.flag_codes
    assert "第二十五条" in next(f["message"] for f in record.flags if f["code"] == "upload_overdue")
    deadline = Deadline.objects.get(kind=f"av_upload:{record.public_id.hex}")
    assert deadline.level(timezone.now()) == "red"
    assert deadline.status_label(timezone.now()) == "逾期完成"


def test_remote_work_uploads_within_24_hours_of_return_where_the_rulebook_allows(world):
    # 004 第二十五条: 异地工作 … 自回到本单位后 24 小时内移交存储.
    returned = ago(hours=10)
    record, _ = ingest(
        world, video(ago(hours=60)), delay_reason="off_site_enforcement", returned_at=returned.isoformat()
    )
    assert not record.upload_overdue
    assert abs(record.upload_due_at - (returned + dt.timedelta(hours=24))) < dt.timedelta(seconds=1)
    # Returned more than 24 hours ago: late even with the exception.
    late, _ = ingest(
        world, video(ago(hours=61)), delay_reason="remote_area", returned_at=ago(hours=30).isoformat()
    )
    assert late.upload_overdue
    # 004 lists no 水上 case; 001 does.
    with pytest.raises(Refused, match="未规定「水上执法」") as refused:
        ingest(world, video(ago(hours=2)), delay_reason="on_water", returned_at=ago(hours=1).isoformat())
    (finding,) = refused.value.findings
    assert (finding.rule, finding.article, finding.field) == (
        "av.upload_24h",
        "004_b4c2f06b7eb1ab1e.txt 第二十五条第三款",
        "delay_reason",
    )
    assert finding.quote.startswith("音像记录制作完成后，行政执法人员不得自行保管")
    assert "连续工作" in finding.satisfy
    assert refused.value.status == 422


def test_the_exception_is_refused_where_the_rulebook_has_none_and_002_has_no_deadline(db):
    w000 = factories.world(factories.R000)
    with pytest.raises(Refused, match="第二十六条第三款未规定") as refused:
        ingest(
            w000,
            video(ago(hours=2)),
            delay_reason="off_site_enforcement",
            returned_at=ago(hours=1).isoformat(),
        )
    w001 = factories.world(factories.R001)
    record, _ = ingest(
        w001, video(ago(hours=50)), delay_reason="on_water", returned_at=ago(hours=3).isoformat()
    )
    assert not record.upload_overdue
    assert refused.value.findings[0].rule == "av.upload_24h"
    assert refused.value.findings[0].satisfy == "在记录完成后24小时内上传。"
    w002 = factories.world(factories.R002)
    record, _ = ingest(w002, video(ago(hours=72)))
    assert (record.upload_due_at, record.upload_overdue, record.upload_rule) == (None, False, "")
    assert not Deadline.objects.filter(case=record.case).exists()
    # 002 sets no time (its no_time_limit entry cites 第三十条): a stated circumstance of
    # late storage is neither demanded nor refused, and no lateness is flagged.
    late, _ = ingest(
        w002, video(ago(hours=72)), delay_reason="on_water", returned_at=ago(hours=1).isoformat()
    )
    assert (late.upload_due_at, late.upload_overdue, late.delay_reason) == (None, False, "on_water")
    assert "upload_overdue" not in late.flag_codes


def test_no_capture_time_means_no_deadline_and_a_flag(world):
    record, _ = ingest(world, samples.video(seconds=1))
    assert record.captured_start is None
    assert record.upload_due_at is None
    assert "capture_time_unknown" in record.flag_codes
    declared, _ = ingest(world, samples.video(seconds=1, label="b"), captured_at=ago(hours=3).isoformat())
    assert declared.capture_time_source == "declared"
    assert declared.upload_due_at is not None


# ---------------------------------------------------------------- devices and officers


def test_a_clip_whose_device_was_not_checked_out_to_the_officer_is_flagged(world):
    device = device_for(world, world.officer2, since=ago(hours=8))
    record, _ = ingest(world, video(ago(hours=2)), device=device.device_no)
    assert "device_officer_mismatch" in record.flag_codes
    assert record.checkout is None
    assert world.officer2.full_name in record.flags[0]["message"]
    idle = devices.device_register(actor=world.keeper, kind="camera", purpose="取证")
    record, _ = ingest(world, video(ago(hours=2), label="idle"), device=idle.device_no)
    assert "device_not_checked_out" in record.flag_codes
    # Recorded before the checkout began: not covered either.
    mine = device_for(world, world.officer, since=ago(hours=1))
    record, _ = ingest(world, video(ago(hours=3), label="early"), device=mine.device_no)
    assert "device_not_checked_out" in record.flag_codes
    record, _ = ingest(world, video(ago(minutes=30), label="ok"), device=mine.device_no)
    assert record.flags == []
    assert record.checkout.officer == world.officer


def test_a_serial_in_the_file_that_is_not_the_devices_is_flagged(world):
    device = device_for(world, serial="REAL-1")
    record, _ = ingest(world, video(ago(hours=1), serial="OTHER-9"), device=device.device_no)
    assert "device_serial_mismatch" in record.flag_codes


# ---------------------------------------------------------------- gaps and interruptions


def clips(world, case, device, starts, step="现场检查（勘验）"):
    out = []
    for i, start in enumerate(starts):
        record, _ = ingest(
            world,
            video(start, seconds=2, label=f"{step}{i}"),
            case=case,
            device=device.device_no,
            step_label=step,
        )
        out.append(record)
    return out


def test_gaps_between_consecutive_clips_of_one_device_in_one_activity(world, settings):
    settings.QUANLU_AV_GAP_SECONDS = 10
    case = world.open_case()
    device = device_for(world)
    t = ago(hours=3)
    _a, b, c = clips(world, case, device, [t, t + dt.timedelta(seconds=3), t + dt.timedelta(seconds=60)])
    (gap,) = Gap.objects.filter(case=case)
    assert (gap.before, gap.after) == (b, c)
    assert gap.seconds == 55
    # Another activity (询问) with the same device is not this activity's gap.
    clips(world, case, device, [t + dt.timedelta(minutes=30)], step="询问")
    assert Gap.objects.filter(case=case).count() == 1
    assert Event.objects.filter(type="media:gap:detected").count() == 1
    # A clip uploaded later that fills the pause closes the gap (and opens two smaller ones? no: it covers it).
    ingest(
        world,
        video(t + dt.timedelta(seconds=5), seconds=60, label="fill"),
        case=case,
        device=device.device_no,
        step_label="现场检查（勘验）",
    )
    gap.refresh_from_db()
    assert gap.closed_at is not None
    assert Event.objects.filter(type="media:gap:closed").count() == 1


def test_a_spoken_or_two_signed_written_explanation_is_recorded_against_the_gap(db):
    world = factories.world(factories.R001)
    case = world.open_case()
    device = device_for(world)
    t = ago(hours=3)
    _, after = clips(world, case, device, [t, t + dt.timedelta(minutes=5)])
    gap = Gap.objects.get(case=case)
    spoken = services.interruption_record(
        actor=world.officer,
        case=case,
        gap=gap,
        reason="equipment_failure",
        detail="电池耗尽，更换后恢复。",
        form="spoken",
        spoken_at_second=1,
    )
    assert spoken.spoken_in == after
    with pytest.raises(InvalidInput, match="超出了该记录的时长"):
        services.interruption_record(
            actor=world.officer,
            case=case,
            gap=gap,
            reason="severe_weather",
            detail="暴雨",
            form="spoken",
            spoken_at_second=999,
        )
    sign = services.Signer
    statement = "现场执法结束后说明：因当事人阻挠无法继续录像。"
    with pytest.raises(Refused, match="应由2名以上执法人员签字") as short:
        services.interruption_record(
            actor=world.officer,
            case=case,
            last_record=after,
            reason="human_obstruction",
            detail="阻挠",
            form="written",
            statement=statement,
            signers=[sign(world.officer, factories.PASSWORD)],
        )
    (finding,) = short.value.findings
    assert (finding.rule, finding.article, finding.field) == (
        "av.gaps_explained",
        "001_985a08834cda7543.txt 第二十二条",
        "signers",
    )
    assert "并由两名以上执法人员签字" in finding.quote
    assert short.value.as_dict()["details"][0]["satisfy"].startswith("由2名以上")
    with pytest.raises(InvalidInput, match="密码不正确"):
        services.interruption_record(
            actor=world.officer,
            case=case,
            last_record=after,
            reason="human_obstruction",
            detail="阻挠",
            form="written",
            statement=statement,
            signers=[sign(world.officer, factories.PASSWORD), sign(world.officer2, "wrong")],
        )
    with pytest.raises(InvalidInput, match="执法证件"):
        services.interruption_record(
            actor=world.officer,
            case=case,
            last_record=after,
            reason="human_obstruction",
            detail="阻挠",
            form="written",
            statement=statement,
            signers=[sign(world.officer, factories.PASSWORD), sign(world.archivist, factories.PASSWORD)],
        )
    written = services.interruption_record(
        actor=world.officer,
        case=case,
        last_record=after,
        reason="human_obstruction",
        detail="阻挠",
        form="written",
        statement=statement,
        signers=[sign(world.officer, factories.PASSWORD), sign(world.officer2, factories.PASSWORD)],
    )
    assert written.signatures.count() == 2
    assert written.statement_sha256 == hashlib.sha256(statement.encode()).hexdigest()
    assert Event.objects.filter(type="media:interruption:recorded").count() == 2
    with pytest.raises(PermissionDenied):
        services.interruption_record(
            actor=world.outsider, case=case, gap=gap, reason="equipment_failure", detail="x", form="spoken"
        )


def test_one_officer_signs_a_written_interruption_statement_where_the_text_is_silent(world):
    # 004 has no article on interrupted recording: nothing asks two signers (001 does).
    assert services.written_signers(world.open_case()) == (1, [])
    case = world.open_case()
    _, after = clips(world, case, device_for(world), [ago(hours=3), ago(hours=2)])
    written = services.interruption_record(
        actor=world.officer,
        case=case,
        last_record=after,
        reason="human_obstruction",
        detail="阻挠",
        form="written",
        statement="当事人阻挠，无法继续录像。",
        signers=[services.Signer(world.officer, factories.PASSWORD)],
    )
    assert written.signatures.count() == 1


def test_relinking_a_clip_moves_it_between_activities_and_recomputes_gaps(world):
    case = world.open_case()
    device = device_for(world)
    t = ago(hours=3)
    _a, b = clips(world, case, device, [t, t + dt.timedelta(minutes=2)])
    assert Gap.objects.filter(case=case, closed_at__isnull=True).count() == 1
    link = services.media_link(actor=world.officer, record=b, step_label="询问当事人", stage="investigation")
    assert link.replaces is not None
    assert Gap.objects.filter(case=case, closed_at__isnull=True).count() == 0
    with pytest.raises(InvalidInput, match="至少填写"):
        services.media_link(actor=world.officer, record=b)
    with pytest.raises(PermissionDenied):
        services.media_link(actor=world.outsider, record=b, step_label="x")


# The stage is set behind the services: closing for real (dossier sealed) takes ~8 s here.
@pytest.mark.tampers
def test_a_closed_case_takes_no_more_media(world):
    case = world.open_case()
    case.stage = "closed"
    case.save(update_fields=["stage"])
    with pytest.raises(Conflict, match="已结案"):
        ingest(world, video(ago(hours=1)), case=case)


def test_a_client_token_makes_a_resubmission_one_record(world):
    token = "7d0f3a1e-1111-4222-8333-944455556666"
    case = world.open_case()
    first, _ = ingest(world, video(ago(hours=1)), case=case, client_token=token)
    again, created = ingest(world, video(ago(hours=1), label="other bytes"), case=case, client_token=token)
    assert (again.pk, created) == (first.pk, False)


def test_stage_helper_aborts_cleanly(world, settings):
    writer = stage(b"abc")
    writer.abort()
    assert list((settings.QUANLU_BLOB_DIR / "tmp").iterdir()) == []
