"""Everything that can happen to an audio-visual record: ``grep -r "def media_\\|def upload_\\|def gap\\|def interruption_" media/services/``.

One module a section: ``intake`` (what the uploader says, checked before any byte),
``ingest`` (staged bytes become a record, in two halves: bytes, then rows),
``links`` (what a record covers, its case, who viewed it), ``gaps`` (pauses between
clips and why recording stopped), ``exemptions`` (steps that go without recording)
and ``resumable`` (tus uploads and staging). The services are re-exported here:
``from quanlu.media.services import media_ingest``.
"""

from quanlu.media.services.exemptions import exemption_record
from quanlu.media.services.gaps import (
    MIN_WRITTEN_SIGNERS,
    Signer,
    gaps_detect,
    interruption_record,
    written_signers,
)
from quanlu.media.services.ingest import media_ingest
from quanlu.media.services.intake import (
    CLOCK_TOLERANCE,
    MEDIA_WORKERS,
    Declared,
    clean_declared,
    clean_filename,
    require_uploader,
    upload_rule,
)
from quanlu.media.services.links import media_access_record, media_assign, media_link
from quanlu.media.services.resumable import (
    STAGING_GRACE,
    staging_sweep,
    upload_complete,
    upload_expire,
    upload_start,
    upload_terminate,
    uploads_clean,
)

__all__ = [
    "CLOCK_TOLERANCE",
    "MEDIA_WORKERS",
    "MIN_WRITTEN_SIGNERS",
    "STAGING_GRACE",
    "Declared",
    "Signer",
    "clean_declared",
    "clean_filename",
    "exemption_record",
    "gaps_detect",
    "interruption_record",
    "media_access_record",
    "media_assign",
    "media_ingest",
    "media_link",
    "require_uploader",
    "staging_sweep",
    "upload_complete",
    "upload_expire",
    "upload_rule",
    "upload_start",
    "upload_terminate",
    "uploads_clean",
    "written_signers",
]
