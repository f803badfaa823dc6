"""Small real media made on the spot with FFmpeg (PyAV) and Pillow, for the demo
and the tests: a video with a creation time, place and device serial, an audio
clip, and a photo with EXIF time and GPS. Output is deterministic for the same
arguments, so the demo stays idempotent."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from fractions import Fraction


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def video(
    *,
    seconds: float = 2.0,
    created: dt.datetime | None = None,
    location: tuple[float, float] | None = None,
    serial: str = "",
    label: str = "",
    size: tuple[int, int] = (320, 240),
    fps: int = 10,
    with_audio: bool = False,
) -> bytes:
    """An H.264 MP4 of coloured frames with a running counter."""
    import av
    from PIL import Image, ImageDraw

    out = io.BytesIO()
    with av.open(out, "w", format="mp4", options={"movflags": "use_metadata_tags"}) as container:
        if created is not None:
            container.metadata["creation_time"] = _iso(created)
        if location is not None:
            container.metadata["location"] = f"{location[0]:+.4f}{location[1]:+.4f}/"
        if serial:
            container.metadata["com.quanlu.device_serial"] = serial
        stream = container.add_stream(
            "libx264", rate=fps, options={"preset": "ultrafast", "tune": "zerolatency"}
        )
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = 1
        audio = None
        if with_audio:
            audio = container.add_stream("aac", rate=16000, layout="mono")
        frames = max(1, int(seconds * fps))
        for i in range(frames):
            img = Image.new("RGB", size, ((i * 7) % 255, 90, 150))
            ImageDraw.Draw(img).text((12, 12), f"{label} {i / fps:05.1f}s", fill=(255, 255, 255))
            frame = av.VideoFrame.from_image(img)
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio is not None:
            _tone(container, audio, seconds)
    return out.getvalue()


def audio(*, seconds: float = 1.0, created: dt.datetime | None = None) -> bytes:
    """An AAC tone in an M4A (MP4) container."""
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        if created is not None:
            container.metadata["creation_time"] = _iso(created)
        stream = container.add_stream("aac", rate=16000, layout="mono")
        _tone(container, stream, seconds)
    return out.getvalue()


def _tone(container: object, stream: object, seconds: float) -> None:
    import math
    import struct

    import av

    rate = 16000
    samples = int(seconds * rate)
    pcm = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(samples)
    )
    step = 1024
    for start in range(0, samples, step):
        chunk = pcm[start * 2 : (start + step) * 2]
        frame = av.AudioFrame(format="s16", layout="mono", samples=len(chunk) // 2)
        frame.planes[0].update(chunk)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        for packet in stream.encode(frame):  # type: ignore[attr-defined]
            container.mux(packet)  # type: ignore[attr-defined]
    for packet in stream.encode():  # type: ignore[attr-defined]
        container.mux(packet)  # type: ignore[attr-defined]


def photo(
    *,
    taken: dt.datetime | None = None,
    gps: tuple[float, float] | None = None,
    make: str = "QuanluCam",
    model: str = "QL-1",
    serial: str = "",
    size: tuple[int, int] = (640, 480),
    label: str = "",
) -> bytes:
    """A JPEG with EXIF: DateTimeOriginal (+ offset), GPS, make, model, serial."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (70, 120, 90))
    ImageDraw.Draw(img).text((16, 16), label or "quanlu", fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    ifd = exif.get_ifd(0x8769)
    if taken is not None:
        local = taken.astimezone(dt.timezone(dt.timedelta(hours=8)))
        ifd[0x9003] = local.strftime("%Y:%m:%d %H:%M:%S")
        ifd[0x9011] = "+08:00"
    if serial:
        ifd[0xA431] = serial
    if gps is not None:
        gps_ifd = exif.get_ifd(0x8825)
        lat, lon = gps
        gps_ifd[1] = "N" if lat >= 0 else "S"
        gps_ifd[2] = _dms(abs(lat))
        gps_ifd[3] = "E" if lon >= 0 else "W"
        gps_ifd[4] = _dms(abs(lon))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes_full = (Decimal(str(value)) - degrees) * 60
    minutes = int(minutes_full)
    seconds = float(round((minutes_full - minutes) * 60, 4))
    return (float(degrees), float(minutes), seconds)
