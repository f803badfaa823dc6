"""Checking uploaded bytes: scans and outside PDFs, signature images, paper pages.

What is checked is the content, not the name or the declared type: a PDF must
parse and end with its trailer, an image must decode whole. A refused upload
leaves nothing behind (the blob store writes to a temporary file first).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from quanlu.core.errors import InvalidInput

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
IMAGE_TYPES = {"PNG": PNG, "JPEG": JPEG, "TIFF": "image/tiff"}
MAX_PIXELS = 80_000_000  # an A3 page at 600 dpi is ~70 Mpx; more is a decompression bomb


@dataclass(frozen=True)
class Checked:
    media_type: str
    pages: int
    width: int = 0
    height: int = 0


def sniff(head: bytes) -> str:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return ""


def check_pdf(path: Path) -> Checked:
    import pikepdf

    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    if b"%%EOF" not in tail:
        raise InvalidInput("PDF文件不完整（缺少文件结尾），可能上传中断，请重新上传。", field_name="file")
    try:
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
            if pdf.is_encrypted:
                raise InvalidInput("PDF文件已加密，无法归档，请上传未加密的文件。", field_name="file")
    except pikepdf.PdfError as exc:
        raise InvalidInput("PDF文件已损坏，无法打开，请重新上传。", field_name="file") from exc
    if pages < 1:
        raise InvalidInput("PDF文件没有页面。", field_name="file")
    return Checked(PDF, pages)


def check_image(data: bytes | Path, *, allowed: tuple[str, ...] = (PNG, JPEG, "image/tiff")) -> Checked:
    from PIL import Image, ImageFile, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    # WeasyPrint switches Pillow to tolerate truncated images process-wide; an
    # upload check must not, so it is switched back for the check (and verify()
    # reads every chunk's checksum regardless).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        with Image.open(source) as probe:
            probe.verify()
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        with Image.open(source) as img:
            media = IMAGE_TYPES.get(img.format or "", "")
            if media not in allowed:
                raise InvalidInput("图像格式不受支持，请使用 PNG 或 JPEG。", field_name="image")
            img.load()  # decodes every pixel: a truncated file fails here
            frames = getattr(img, "n_frames", 1)
            return Checked(media, frames, img.width, img.height)
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput("文件不是有效的图像，或图像不完整（可能上传中断）。", field_name="image") from exc


def check_signature_image(
    data: bytes, *, allowed: tuple[str, ...] = (PNG,), max_bytes: int | None = None, max_side: int = 4000
) -> Checked:
    """A handwritten mark: a real PNG (or JPEG for a photographed seal), not blank."""
    from PIL import Image

    if not data:
        raise InvalidInput("签名图像为空。", field_name="image")
    limit = max_bytes or settings.QUANLU_SIGNATURE_MAX_BYTES
    if len(data) > limit:
        raise InvalidInput(f"签名图像过大（{len(data)} 字节，上限 {limit} 字节）。", field_name="image")
    if sniff(data[:16]) not in allowed:
        wanted = "PNG 图片（触屏签名板生成）" if allowed == (PNG,) else "PNG 或 JPEG 图片"
        raise InvalidInput(f"签名图像应为{wanted}，所传文件不是有效的图像。", field_name="image")
    checked = check_image(data, allowed=allowed)
    if not (20 <= checked.width <= max_side and 20 <= checked.height <= max_side):
        raise InvalidInput(f"签名图像尺寸不正常（宽高应在20至{max_side}像素之间）。", field_name="image")
    with Image.open(io.BytesIO(data)) as img:
        if _blank(img.convert("RGBA")):
            raise InvalidInput("签名图像是空白的，请重新签名。", field_name="image")
    return checked


def _blank(img: object) -> bool:
    from PIL import Image

    assert isinstance(img, Image.Image)
    # Flatten onto white paper; any clearly dark pixel is ink.
    paper = Image.new("RGBA", img.size, (255, 255, 255, 255))
    paper.alpha_composite(img)
    extrema: Any = paper.convert("L").getextrema()  # (min, max) for a one-band image
    return bool(extrema[0] > 128)


def check_document_file(path: Path) -> Checked:
    """A scan or outside document: a whole PDF, or a whole PNG/JPEG/TIFF image."""
    with path.open("rb") as fh:
        head = fh.read(16)
    media = sniff(head)
    if media == PDF:
        return check_pdf(path)
    if media:
        return check_image(path)
    raise InvalidInput("只能上传 PDF 文件或 PNG、JPEG、TIFF 图像（扫描件）。", field_name="file")


def counted(chunks: Iterable[bytes], declared: int | None) -> Iterator[bytes]:
    """Pass chunks through; refuse when fewer bytes arrive than were declared
    (the connection dropped half-way)."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        yield chunk
    if declared is not None and total != declared:
        raise InvalidInput(
            f"上传不完整：应收到 {declared} 字节，实际收到 {total} 字节。请重新上传。", field_name="file"
        )


class LimitedUploadHandler(FileUploadHandler):
    """Stops a multipart upload as soon as it passes the size limit, so a 200 MB
    "scan" is never written to disk; the view then explains the limit."""

    def __init__(self, request: object = None, limit: int | None = None) -> None:
        super().__init__(request)  # type: ignore[arg-type]
        self.limit = limit if limit is not None else settings.QUANLU_DOCUMENT_MAX_BYTES
        self.received = 0
        self.too_large = False

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        # Known too large from the declared length: stop at the first chunk (the
        # parser only catches StopUpload while reading).
        if content_length and content_length > self.limit + 1024 * 1024:
            self.too_large = True
        return

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.too_large or self.received > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
