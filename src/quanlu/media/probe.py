"""What a stored file is: kind, format, codec, duration, capture time, place and
device, read with Pillow (photos, EXIF) and FFmpeg through PyAV (audio, video);
and a small poster image for the UI.

Only headers and one frame are decoded, so probing a multi-GB video costs about
what probing a small one does. PyAV is imported on first use: processes that
never probe (most requests) do not pay for FFmpeg's libraries.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

POSTER_SIZE = (480, 480)

# Containers we accept, by FFmpeg demuxer name, with the MIME type we serve them as.
# FFmpeg opens far more (even text files, as "tty" art); evidence must be media.
CONTAINERS = {
    "mov": "video/mp4",
    "mp4": "video/mp4",
    "3gp": "video/3gpp",
    "matroska": "video/x-matroska",
    "webm": "video/webm",
    "avi": "video/x-msvideo",
    "mpegts": "video/mp2t",
    "flv": "video/x-flv",
    "asf": "video/x-ms-asf",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "amr": "audio/amr",
}
AUDIO_ONLY_MIME = {
    "video/mp4": "audio/mp4",
    "video/x-matroska": "audio/x-matroska",
    "video/webm": "audio/webm",
}
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff"}

_ISO6709 = re.compile(r"^([+-]\d{1,2}(?:\.\d+)?)([+-]\d{1,3}(?:\.\d+)?)")


class NotMedia(Exception):
    """The file is not a photo, audio or video we can read; ``message`` is Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class MediaInfo:
    kind: str
    container: str
    mime_type: str
    codec: str = ""
    audio_codec: str = ""
    duration_ms: int | None = None
    width: int | None = None
    height: int | None = None
    captured_start: dt.datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    device_serial: str = ""
    device_make: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    # The first decoded picture of a video (a PIL image), kept for its poster.
    first_picture: Any = field(default=None, repr=False)

    @property
    def captured_end(self) -> dt.datetime | None:
        if self.captured_start is None:
            return None
        if self.duration_ms is None:
            return self.captured_start
        return self.captured_start + dt.timedelta(milliseconds=self.duration_ms)


def probe(path: Path) -> MediaInfo:
    """Read the file's facts; raise NotMedia for anything that is not media."""
    if path.stat().st_size == 0:
        raise NotMedia("文件为空（0 字节），不是有效的音像记录。")
    info = _probe_photo(path)
    if info is not None:
        return info
    return _probe_av(path)


def poster(path: Path, info: MediaInfo) -> bytes | None:
    """A JPEG thumbnail (photos) or poster frame (videos); None for audio."""
    from PIL import Image, ImageOps

    try:
        if info.kind == "photo":
            with Image.open(path) as img:
                image = ImageOps.exif_transpose(img).convert("RGB")
        elif info.kind == "video":
            # The frame probing decoded: a second open, or a seek (which decodes
            # from the last keyframe), would cost more than the rest of ingest.
            image = info.first_picture
            if image is None:
                return None
            image = image.convert("RGB")
        else:
            return None
        image.thumbnail(POSTER_SIZE)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()
    except Exception:
        return None


# ---------------------------------------------------------------- photos


def _probe_photo(path: Path) -> MediaInfo | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError, OSError):
        return None
    with img:
        if img.format not in PHOTO_FORMATS:
            return None
        try:
            img.load()  # a truncated or corrupted image fails here
        except (OSError, SyntaxError, ValueError) as exc:
            raise NotMedia("照片文件不完整或已损坏，无法读取。") from exc
        exif = img.getexif()
        info = MediaInfo(
            kind="photo",
            container=img.format.lower(),
            mime_type=PHOTO_FORMATS[img.format],
            codec=img.format.lower(),
            width=img.width,
            height=img.height,
        )
    ifd = exif.get_ifd(0x8769)  # Exif IFD
    taken = ifd.get(0x9003) or ifd.get(0x9004) or exif.get(0x0132)  # DateTimeOriginal / Digitized / DateTime
    offset = ifd.get(0x9011) or ifd.get(0x9010)
    info.captured_start = _exif_time(taken, offset)
    gps = exif.get_ifd(0x8825)
    if gps:
        info.latitude = _exif_coordinate(gps.get(2), gps.get(1), "S")
        info.longitude = _exif_coordinate(gps.get(4), gps.get(3), "W")
    make, model = _text(exif.get(0x010F)), _text(exif.get(0x0110))
    info.device_make = " ".join(p for p in (make, model) if p)[:100]
    info.device_serial = _text(ifd.get(0xA431))[:64]  # BodySerialNumber
    info.tags = {k: v for k, v in (("make", make), ("model", model), ("datetime", _text(taken))) if v}
    return info


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return "".join(ch for ch in str(value) if ch.isprintable()).strip()


def _exif_time(value: Any, offset: Any) -> dt.datetime | None:
    text = _text(value)
    try:
        naive = dt.datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007 - zone added below
    except ValueError:
        return None
    off = _text(offset)
    match = re.match(r"^([+-])(\d{2}):(\d{2})$", off)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        tz = dt.timezone(sign * dt.timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
        return naive.replace(tzinfo=tz)
    # EXIF without an offset is the camera's local time: the agency's zone.
    return timezone.make_aware(naive)


def _exif_coordinate(value: Any, ref: Any, negative: str) -> Decimal | None:
    try:
        degrees, minutes, seconds = (Decimal(str(float(v))) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if _text(ref).upper() == negative:
        result = -result
    return result.quantize(Decimal("0.000001"))


# ---------------------------------------------------------------- audio and video


def _probe_av(path: Path) -> MediaInfo:
    import av

    try:
        container = av.open(str(path), metadata_errors="replace")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise NotMedia("不是可识别的照片、录音或录像文件（或文件不完整、已损坏）。") from exc
    with container:
        names = container.format.name.split(",")
        mime = next((CONTAINERS[n] for n in names if n in CONTAINERS), None)
        if mime is None:
            raise NotMedia(
                f"不支持的文件格式（{container.format.long_name}），请上传常见的照片、录音或录像文件。"
            )
        video = [
            s for s in container.streams.video if not (s.disposition & av.stream.Disposition.attached_pic)
        ]
        audio = list(container.streams.audio)
        if not video and not audio:
            raise NotMedia("文件中没有音频或视频内容。")
        duration_ms = None
        if container.duration:
            duration_ms = int(container.duration * 1000 // av.time_base)
        elif video and video[0].duration and video[0].time_base:
            duration_ms = int(video[0].duration * video[0].time_base * 1000)
        tags = {str(k): _text(v) for k, v in container.metadata.items()}
        for stream in [*video, *audio]:
            for k, v in stream.metadata.items():
                tags.setdefault(str(k), _text(v))
        info = MediaInfo(
            kind="video" if video else "audio",
            container=names[0],
            mime_type=mime if video else AUDIO_ONLY_MIME.get(mime, mime),
            codec=video[0].codec_context.name if video else audio[0].codec_context.name,
            audio_codec=audio[0].codec_context.name if audio else "",
            duration_ms=duration_ms,
            width=video[0].codec_context.width if video else None,
            height=video[0].codec_context.height if video else None,
        )
        try:
            # Decoding the first frame or packet tells a readable file from a damaged one.
            stream = video[0] if video else audio[0]
            got = next(container.decode(stream), None)
        except (av.FFmpegError, StopIteration) as exc:
            raise NotMedia("录音或录像文件已损坏，无法解码。") from exc
        if got is None:
            raise NotMedia("录音或录像文件不完整，没有可播放的内容。")
        if video and isinstance(got, av.VideoFrame):
            info.first_picture = got.to_image()
    info.captured_start = _av_time(tags.get("creation_time") or tags.get("date") or "")
    location = tags.get("location") or tags.get("com.apple.quicktime.location.ISO6709") or ""
    match = _ISO6709.match(location)
    if match:
        info.latitude = Decimal(match.group(1)).quantize(Decimal("0.000001"))
        info.longitude = Decimal(match.group(2)).quantize(Decimal("0.000001"))
    info.device_serial = next((v for k, v in tags.items() if "serial" in k.lower() and v), "")[:64]
    make = (
        tags.get("make") or tags.get("com.apple.quicktime.make") or tags.get("com.android.manufacturer") or ""
    )
    model = tags.get("model") or tags.get("com.apple.quicktime.model") or tags.get("com.android.model") or ""
    info.device_make = " ".join(p for p in (make, model) if p)[:100]
    keep = ("creation_time", "date", "location", "make", "model", "encoder", "title", "comment")
    info.tags = {k: v[:200] for k, v in tags.items() if k in keep or "serial" in k.lower()}
    return info


def _av_time(text: str) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.year < 1990:  # an unset camera clock (1970, 1904) is no capture time
        return None
    return value if value.tzinfo else timezone.make_aware(value)
