"""The archive's promises carried into the object store's own lock (QUANLU_STORAGE=s3):
a sealed dossier's contents are kept under COMPLIANCE retention until the end of its
retention period (永久: the latest date the store keeps, quanlu.blobs.s3.PERMANENT_UNTIL),
and a legal hold on a case is an S3 legal hold on every content of the case.

The database stays the authority (disposal checks the period and the holds itself); this
is the second lock, the one that binds whoever holds the bucket's keys. It runs after the
transaction that sealed, held or released has committed; a failure is logged and leaves the
earlier lock in place (every upload is retained for QUANLU_S3_RETAIN_DAYS, the shortest
retention period). On the local folder both are no-ops.
"""

from __future__ import annotations

import logging

from quanlu.archive.disposal import case_blobs, shared_elsewhere
from quanlu.archive.models import Dossier, LegalHold, Retention
from quanlu.blobs.store import get_store
from quanlu.cases.models import Case

log = logging.getLogger("quanlu.archive")


def retain_sealed(dossier: Dossier) -> None:
    """Lengthen the retention of every content of the sealed dossier's case to its period."""
    until = None if dossier.retention == Retention.PERMANENT else dossier.retention_until()
    if until is None and dossier.retention != Retention.PERMANENT:
        return  # the period starts when the case closes; the upload's retention stands
    store = get_store()
    for sha in sorted(case_blobs(dossier.case, dossier)):
        try:
            store.retain(sha, until)
        except Exception:
            log.exception("archive: could not lengthen the retention of %s (%s)", sha, dossier.archive_number)


def retain_closed(case: Case) -> None:
    """After closing: the sealed dossier's period now has its end; lengthen to it."""
    from quanlu.archive.selectors import current_dossier

    dossier = current_dossier(case)
    if dossier is not None and dossier.sealed:
        retain_sealed(dossier)


def sync_holds(case: Case) -> None:
    """Put the case's contents under an S3 legal hold while the case has an active hold;
    take it off when none is left, except on contents another case also uses (kept on:
    erring towards keeping; that case's disposal lifts it)."""
    on = LegalHold.objects.filter(case=case, released_at__isnull=True).exists()
    shas = set(case_blobs(case, None))
    if not on:
        shas -= shared_elsewhere(shas, case)
    store = get_store()
    for sha in sorted(shas):
        try:
            store.hold(sha, on=on)
        except Exception:
            log.exception("archive: could not set the legal hold of %s to %s", sha, on)
