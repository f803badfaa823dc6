"""An archive on S3 (a real Ceph RADOS Gateway): a case is sealed, closed and exported from
the object store, the package verifies with bagit-python and quanlu, and the store's own
lock follows the archive — retention to the end of the dossier's period, legal holds."""

from __future__ import annotations

import datetime as dt

import bagit as bagit_python
import pytest

from quanlu.archive import services
from quanlu.archive.disposal import case_blobs
from quanlu.archive.package import verify_package
from quanlu.archive.tests import helpers as h
from quanlu.blobs.s3 import S3BlobStore
from quanlu.blobs.store import get_store
from quanlu.testing.rgw import use_s3

pytestmark = pytest.mark.s3


def _hold(store: S3BlobStore, sha: str) -> str:
    answer = store.client.get_object_legal_hold(Bucket=store.bucket, Key=store.key(sha))
    return str(answer["LegalHold"]["Status"])


def test_a_dossier_sealed_and_exported_from_s3_verifies_and_stays_locked(
    world, s3_config, settings, tmp_path, django_capture_on_commit_callbacks
):
    use_s3(settings, s3_config)
    store = get_store()
    assert isinstance(store, S3BlobStore)
    case = h.to_archiving(world, h.case_with_records(world))  # a signed document and a video
    dossier = h.seal(world, case)
    with django_capture_on_commit_callbacks(execute=True):  # what runs once closing commits
        h.close(world, case)
    dossier.refresh_from_db()
    until = dossier.retention_until()
    assert until is not None  # closed: the period has its end
    contents = case_blobs(case, dossier)
    assert store.local_path(next(iter(contents))) is None  # nothing read from a local path
    for sha in contents:
        assert store.retention(sha) >= dt.datetime.combine(until, dt.time(), tzinfo=dt.UTC)
    h.export(world, dossier, tmp_path / "package")
    bagit_python.Bag(str(tmp_path / "package")).validate()
    report = verify_package(str(tmp_path / "package"))
    assert report.valid, [i.as_dict() for i in report.errors]
    assert not list((tmp_path / "blobs" / "tmp").iterdir())  # the local copies are gone

    with django_capture_on_commit_callbacks(execute=True):
        hold = services.legal_hold_place(actor=world.archivist, case=case, reason="行政诉讼中")
    assert {_hold(store, sha) for sha in contents} == {"ON"}
    with django_capture_on_commit_callbacks(execute=True):
        services.legal_hold_release(actor=world.archivist, hold=hold, reason="诉讼终结")
    assert {_hold(store, sha) for sha in contents} == {"OFF"}
