"""Everything that can happen to a document: ``grep -r "def document_\\|def signature_\\|def refusal_" records/services/``.

Each service is atomic, checks who may act, validates with Chinese messages and
appends its ledger event in the same transaction. Content enters the ledger by its
hashes: the canonical JSON of the fields, and the rendered PDF and DOCX.

One module a section: ``documents`` (filled in and corrected), ``uploaded`` (scans and
outside files), ``signatures``, ``refusals``; what they share, completion included, is
in ``common``. The services are re-exported here.
"""

from quanlu.records.services.common import OFFICER_METHODS, OFFICER_ROLE_NEEDS, WRITERS, content_sha256
from quanlu.records.services.documents import document_amend, document_create
from quanlu.records.services.refusals import refusal_attest, refusal_record
from quanlu.records.services.signatures import signature_capture, signature_sign
from quanlu.records.services.uploaded import document_upload
from quanlu.records.services.voiding import document_void

__all__ = [
    "OFFICER_METHODS",
    "OFFICER_ROLE_NEEDS",
    "WRITERS",
    "content_sha256",
    "document_amend",
    "document_create",
    "document_upload",
    "document_void",
    "refusal_attest",
    "refusal_record",
    "signature_capture",
    "signature_sign",
]
