"""Every catalogue type can be created, filled, signed and rendered, and its
renderings pass the offline PDF/A validator and show every font embedded."""

import io
import shutil
import subprocess
import zipfile

import pikepdf
import pikepdf.pdfa
import pytest

from quanlu.blobs.store import get_store
from quanlu.ledger.models import Event
from quanlu.records import events
from quanlu.records.catalogue import catalogue
from quanlu.records.sample import make_document, sign_all, upload_sample
from quanlu.records.selectors import current_version, document_is_complete, document_missing

FILLED = [t.code for t in catalogue().types.values() if not t.uploaded]
UPLOADED = [t.code for t in catalogue().types.values() if t.uploaded]


def blob(sha):
    with get_store().open(sha) as fh:
        return fh.read()


def assert_pdfa_with_embedded_fonts(data, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    report = pikepdf.pdfa.validate_written(path, "2b")
    assert report.findings == [], report.findings
    with pikepdf.open(path) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
    if shutil.which("pdffonts"):
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        rows = out.splitlines()[2:]
        assert rows, "no fonts at all"
        for row in rows:
            # columns: name type encoding emb sub uni object ID
            assert row.split()[-5] == "yes", f"font not embedded: {row}"


@pytest.mark.parametrize("code", FILLED)
def test_every_filled_type_is_made_signed_and_rendered(world, staff, case, code, tmp_path, output_dir):
    doc = make_document(case, code, staff)
    v1 = current_version(doc)
    assert v1.pdf_sha256
    assert v1.docx_sha256
    assert v1.page_count >= 1
    assert not document_is_complete(doc)
    assert document_missing(doc)

    sign_all(doc, staff)
    assert document_is_complete(doc), document_missing(doc)
    v1.refresh_from_db()
    assert v1.completed_at is not None
    signed_pdf = blob(v1.signed_pdf_sha256)
    assert_pdfa_with_embedded_fonts(signed_pdf, tmp_path)
    docx = blob(v1.signed_docx_sha256)
    assert zipfile.ZipFile(io.BytesIO(docx)).testzip() is None

    done = Event.objects.get(type=events.DOCUMENT_COMPLETED.name, payload__document=str(doc.public_id))
    assert done.payload["pdf_sha256"] == v1.signed_pdf_sha256
    assert done.payload["content_sha256"] == v1.content_sha256
    (output_dir / "records").mkdir(exist_ok=True)
    (output_dir / "records" / f"{code}.pdf").write_bytes(signed_pdf)
    (output_dir / "records" / f"{code}.docx").write_bytes(docx)


@pytest.mark.parametrize("code", UPLOADED)
def test_every_uploaded_type_is_registered_with_issuer_and_hash(world, staff, case, code):
    doc = upload_sample(case, code, staff)
    v = current_version(doc)
    assert doc.origin == "uploaded"
    assert doc.issuer
    assert document_is_complete(doc)
    ev = Event.objects.get(type=events.DOCUMENT_UPLOADED.name, payload__document=str(doc.public_id))
    assert ev.payload["file_sha256"] == v.file_sha256
    assert ev.payload["issuer"] == doc.issuer
    assert blob(v.file_sha256).startswith(b"%PDF-")
