"""Archive writes: ``grep -r "def archive_\\|def dossier_\\|def legal_hold_\\|def disposition_\\|def package_" archive/services/``.

- ``archive_settings_set``: the agency's 全宗号, 档号 codes and retention periods (ARC-06).
- ``dossier_assemble``: the case's documents and audio-visual records, in order, as a dossier
  (a new version each time, until it is sealed).
- ``dossier_seal``: 档号, cover, file index, 备考表 printing the ledger checkpoint it is sealed
  against, the DA/T 48 metadata, the 四性检测 (DA/T 70) — refused unless every check passes and
  nothing is missing — and the seal event listing every file's SHA-256. Meets the 30-day
  archiving deadline; only a sealed case may close.
- ``dossier_export``: a closed case's sealed dossier as a BagIt 1.0 package with its ledger
  events, inclusion proofs and signed checkpoints; every digest from ingest, bytes copied by the
  kernel; the digest of the package as one tar (``tarstream``). ``package_download`` records a
  browser download of it (``download_plan``: may this officer, is the folder unchanged).
- ``legal_hold_place`` / ``legal_hold_release``; ``disposition_request`` → two
  ``disposition_approve`` by different approvers → ``disposition_execute`` (tombstones, bytes
  removed, hashes and events kept, 销毁清册).
- ``package_write``: blobs to a package (phase 1; the building block of exports).

Sealing and exporting are not one transaction on purpose: the ledger's sequencer signs
checkpoints in its own transactions, and copying gigabytes inside one would hold the database's
write lock for minutes. Each writes its files first (all or nothing) and records its event in a
short transaction afterwards, undoing the files if that fails.

One module a section: ``configuration``, ``assembly``, ``seal`` (with the close gate),
``export``, ``holds``, ``disposition`` and ``packages``; what they share is in ``common``.
The services are re-exported here: ``from quanlu.archive.services import dossier_seal``.
"""

from quanlu.archive.services.assembly import dossier_assemble
from quanlu.archive.services.common import MAX_ITEMS
from quanlu.archive.services.configuration import archive_settings_set
from quanlu.archive.services.disposition import (
    REQUIRED_APPROVALS,
    disposition_approve,
    disposition_execute,
    disposition_reject,
    disposition_request,
)
from quanlu.archive.services.export import LEDGER_PREFIX, dossier_export, download_plan, package_download
from quanlu.archive.services.holds import legal_hold_place, legal_hold_release
from quanlu.archive.services.packages import package_write
from quanlu.archive.services.seal import (
    archive_number_format,
    archive_number_pattern,
    closing_findings,
    dossier_seal,
)

__all__ = [
    "LEDGER_PREFIX",
    "MAX_ITEMS",
    "REQUIRED_APPROVALS",
    "archive_number_format",
    "archive_number_pattern",
    "archive_settings_set",
    "closing_findings",
    "disposition_approve",
    "disposition_execute",
    "disposition_reject",
    "disposition_request",
    "dossier_assemble",
    "dossier_export",
    "dossier_seal",
    "download_plan",
    "legal_hold_place",
    "legal_hold_release",
    "package_download",
    "package_write",
]
