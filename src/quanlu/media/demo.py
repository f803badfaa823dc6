"""Demo devices and audio-visual records: recorders and cameras in every
enforcement agency, and real small media (made with FFmpeg through PyAV) on the
demo cases — clips with a gap and its explanation, a photo with GPS, an inquiry
recording, a late upload, a remote-work upload, and a docked clip awaiting its
case. Keyed by stable serials and client tokens, so `quanlu demo` stays idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from quanlu.blobs.store import get_store
from quanlu.cases.models import Case
from quanlu.core.seeds import token
from quanlu.devices import services as devices
from quanlu.devices.models import Device, DeviceStatus
from quanlu.media import samples
from quanlu.media.models import Gap, MediaRecord
from quanlu.media.services import Declared, clean_declared, interruption_record, media_ingest
from quanlu.org.models import Officer

PREFIXES = ("zh", "ys", "gc", "sl", "hc")
GPS = {
    "zh": (40.1891, 117.9652),
    "ys": (37.8056, 114.5262),
    "gc": (42.9513, 89.1895),
    "sl": (38.0428, 114.5149),
    "hc": (40.8823, 122.6852),
}


def _devices(people: dict[str, Officer], prefix: str) -> dict[str, Device]:
    keeper = people[f"{prefix}-keeper"]
    out = {}
    for key, kind, model in (
        ("BWC-1", "body_worn_recorder", "DSJ-V9 执法记录仪"),
        ("BWC-2", "body_worn_recorder", "DSJ-V9 执法记录仪"),
        ("CAM-1", "camera", "数码照相机 D750"),
    ):
        serial = f"DEMO-{prefix.upper()}-{key}"
        device = Device.objects.filter(serial_no=serial).first()
        if device is None:
            device = devices.device_register(
                actor=keeper,
                kind=kind,
                purpose="现场执法音像记录",
                brand_model=model,
                serial_no=serial,
                capabilities=["positioning"] if kind == "body_worn_recorder" else [],
            )
        out[key] = device
    bwc = out["BWC-1"]
    if bwc.status == DeviceStatus.AVAILABLE and not bwc.checkouts.exists():
        devices.device_checkout(
            actor=keeper,
            device=bwc,
            officer=people[f"{prefix}-officer1"],
            battery_percent=96,
            storage_free_mb=58000,
            purpose="现场检查",
            at=timezone.now() - dt.timedelta(hours=72),
        )
    return out


def _case(key: str) -> Case | None:
    return Case.objects.filter(client_token=token(key)).first()


def _add(
    people: dict[str, Officer],
    prefix: str,
    case: Case | None,
    key: str,
    data_maker: object,
    filename: str,
    **fields: str,
) -> MediaRecord | None:
    tok = token(f"media-{key}")
    existing = MediaRecord.objects.filter(client_token=tok).first()
    if existing is not None or case is None:
        return existing
    officer = people[f"{prefix}-officer1"]
    declared = clean_declared(agency=case.agency, data={**fields, "client_token": str(tok)})
    writer = get_store().writer()
    writer.write(data_maker())  # type: ignore[operator]
    record, _ = media_ingest(
        actor=officer,
        agency=case.agency,
        case=case,
        staged=writer,
        filename=filename,
        declared=declared,
        via="web",
    )
    return record


def load_media(people: dict[str, Officer]) -> None:
    now = timezone.now()
    kit = {prefix: _devices(people, prefix) for prefix in PREFIXES}

    # 遵化: an on-site inspection filmed in two clips with a pause, explained by voice;
    # a photo with its place; the inquiry recorded.
    case = _case("zh-1")
    bwc = kit["zh"]["BWC-1"].device_no
    t = now - dt.timedelta(hours=5)
    for i, start in enumerate((t, t + dt.timedelta(seconds=4 * 60))):
        _add(
            people,
            "zh",
            case,
            f"zh-1-clip-{i}",
            lambda s=start, i=i: samples.video(
                seconds=4,
                created=s,
                location=GPS["zh"],
                serial="DEMO-ZH-BWC-1",
                label=f"ZH-1 clip {i + 1}",
                with_audio=True,
            ),
            f"ZFJLY_{i + 1:04d}.mp4",
            device=bwc,
            step_label="现场检查（勘验）",
            stage="investigation",
        )
    if case is not None:
        gap = Gap.objects.filter(case=case, explanations__isnull=True).first()
        if gap is not None:
            interruption_record(
                actor=people["zh-officer1"],
                case=case,
                gap=gap,
                reason="equipment_failure",
                detail="记录仪电池电量不足自动关机，更换电池后继续记录。",
                form="spoken",
                spoken_at_second=1,
            )
    _add(
        people,
        "zh",
        case,
        "zh-1-photo",
        lambda: samples.photo(taken=t + dt.timedelta(minutes=2), gps=GPS["zh"], label="ZH-1 site photo"),
        "IMG_0031.jpg",
        step_label="现场检查（勘验）",
        stage="investigation",
    )
    _add(
        people,
        "zh",
        case,
        "zh-1-audio",
        lambda: samples.audio(seconds=3, created=t + dt.timedelta(minutes=30)),
        "询问录音.m4a",
        step_label="询问当事人",
        stage="investigation",
    )
    # 元氏: a clip stored 40 hours after it was made — flagged overdue.
    _add(
        people,
        "ys",
        _case("ys-1"),
        "ys-1-late",
        lambda: samples.video(
            seconds=3,
            created=now - dt.timedelta(hours=40),
            location=GPS["ys"],
            serial="DEMO-YS-BWC-1",
            label="YS-1",
        ),
        "ZFJLY_0007.mp4",
        device=kit["ys"]["BWC-1"].device_no,
        step_label="现场核查",
    )
    # 海城: 异地工作, stored within 24 hours of returning (004 第二十五条).
    _add(
        people,
        "hc",
        _case("hc-1"),
        "hc-1-remote",
        lambda: samples.video(
            seconds=3,
            created=now - dt.timedelta(hours=50),
            location=GPS["hc"],
            serial="DEMO-HC-BWC-1",
            label="HC-1",
        ),
        "ZFJLY_0002.mp4",
        device=kit["hc"]["BWC-1"].device_no,
        step_label="现场勘验",
        delay_reason="off_site_enforcement",
        returned_at=(now - dt.timedelta(hours=6)).isoformat(),
    )
    # 水利: photos of the sand-mining boat.
    _add(
        people,
        "sl",
        _case("sl-1"),
        "sl-1-photo",
        lambda: samples.photo(taken=now - dt.timedelta(hours=3), gps=GPS["sl"], label="SL-1 boat"),
        "IMG_2041.jpg",
        device=kit["sl"]["CAM-1"].device_no,
        step_label="河道巡查",
    )
    # 高昌: a clip docked from a recorder, not yet filed under a case.
    gc_bwc = kit["gc"]["BWC-1"]
    tok = token("media-gc-docked")
    if not MediaRecord.objects.filter(client_token=tok).exists():
        writer = get_store().writer()
        writer.write(
            samples.video(
                seconds=3,
                created=now - dt.timedelta(hours=4),
                location=GPS["gc"],
                serial="DEMO-GC-BWC-1",
                label="GC night",
            )
        )
        media_ingest(
            actor=None,
            agency=gc_bwc.agency,
            case=None,
            staged=writer,
            filename="ZFJLY_0100.mp4",
            declared=Declared(device=gc_bwc, client_token=tok),
            via="dock",
        )
