"""The officer's return and the storage time of audio-visual records: 24 h after the
record, or, where the regulation allows it (001 第二十三条, 004 第二十五条第三款), 24 h
after the return for remote and continuous work; late otherwise, with the article."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from quanlu.field.models import ReceiptStatus
from quanlu.field.selectors import case_pack
from quanlu.field.tests.helpers import send, setup
from quanlu.media import samples
from quanlu.media.tests.helpers import ingest
from quanlu.testing import factories as f

pytestmark = pytest.mark.django_db


def photo_synced(device, *, taken_hours_ago: int, returned_hours_ago: int, reason: str = ""):
    """A photo taken on site days ago, uploaded now with the return the device noted."""
    w = device.world
    taken = timezone.now() - dt.timedelta(hours=taken_hours_ago)
    returned = timezone.now() - dt.timedelta(hours=returned_hours_ago)
    data = samples.photo(taken=taken)
    declared = {"captured_at": taken.isoformat()}
    if reason:
        declared |= {"delay_reason": reason, "returned_at": returned.isoformat()}
    media, _ = ingest(w, data, case=device.case, filename="现场照片.jpg", **declared)
    body = {
        "filename": "现场照片.jpg",
        "type": "image/jpeg",
        "size": len(data),
        "media_record": str(media.public_id),
    }
    record = device.record("media", body, sha256=hashlib.sha256(data).hexdigest(), captured=taken)
    record["returned_at"] = returned.isoformat()
    return send(device, record), media, returned


def test_the_pack_carries_the_upload_time_and_its_after_return_exception(world):
    upload = case_pack(setup(world).case)["upload"]
    assert upload["within"] == upload["after_return"] == "24小时"
    assert "remote_area" in [r for r, _ in upload["reasons"]]
    assert "第二十五条" in upload["article"]
    none = f.world(f.R000)
    plain = case_pack(none.open_case())["upload"]
    assert plain["after_return"] == ""
    assert plain["reasons"] == []


def test_a_record_stored_within_24_hours_of_return_is_on_time(world):
    device = setup(world)
    receipt, media, returned = photo_synced(
        device, taken_hours_ago=72, returned_hours_ago=2, reason="remote_area"
    )
    assert receipt.status == ReceiptStatus.ACCEPTED, receipt.flags
    assert not media.upload_overdue
    assert media.upload_due_at == returned + dt.timedelta(hours=24)
    assert receipt.returned_at == returned
    assert receipt.captured_at_server < receipt.returned_at < receipt.received_at


def test_a_record_stored_more_than_24_hours_after_return_is_late_with_the_article(world):
    device = setup(world)
    receipt, media, _ = photo_synced(device, taken_hours_ago=72, returned_hours_ago=30, reason="remote_area")
    assert media.upload_overdue
    assert receipt.status == ReceiptStatus.FLAGGED
    late = [x for x in receipt.flags if x["code"] == "upload_overdue"]
    assert late
    assert "第二十五条第三款" in late[0]["message"]


def test_a_regulation_without_the_exception_counts_24_hours_from_the_record():
    # 000 第二十六条第三款 has no after-return exception: the pack offers no circumstance,
    # so the device declares none, and a record three days old is late whatever the return.
    w = f.world(f.R000)
    device = setup(w)
    receipt, media, returned = photo_synced(device, taken_hours_ago=72, returned_hours_ago=2)
    assert media.upload_overdue
    assert media.upload_due_at < returned
    assert receipt.status == ReceiptStatus.FLAGGED
    assert "第二十六条第三款" in next(x for x in receipt.flags if x["code"] == "upload_overdue")["message"]
    assert receipt.returned_at == returned, "the return is recorded even where it changes nothing"


def test_the_return_time_is_corrected_by_the_device_clock_offset(world):
    device = setup(world)
    device.offset_ms = 2 * 3600 * 1000  # the device runs two hours slow
    record = device.transcript()
    device_return = timezone.now() - dt.timedelta(hours=3)
    record["returned_at"] = device_return.isoformat()
    receipt = send(device, record)
    assert receipt.returned_at == device_return + dt.timedelta(hours=2)
    record = device.transcript()
    record["returned_at"] = "昨天"
    from quanlu.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="返回时间"):
        send(device, record)
