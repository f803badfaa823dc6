"""The agency's 全宗号, 档号 codes and retention periods (ARC-06)."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from quanlu.archive import events
from quanlu.archive.models import ArchiveSettings, Retention
from quanlu.core.errors import InvalidInput, PermissionDenied
from quanlu.core.validation import clean_choice, clean_text
from quanlu.ledger.services import record_event
from quanlu.org.models import AgencyKind, Officer, Role

_CODE_RE = re.compile(r"^[A-Za-z0-9]{1,16}$")
_SHORT_CODE_RE = re.compile(r"^[A-Z0-9]{1,8}$")


@transaction.atomic
def archive_settings_set(
    *,
    actor: Officer,
    fonds_code: str,
    fonds_name: str,
    category_code: str = "ZF",
    unit_code: str = "AJ",
    retention_general: str = Retention.PERMANENT,
    retention_simplified: str = Retention.Y30,
    retention_major: str = Retention.PERMANENT,
    retention_terminated: str = Retention.Y10,
) -> ArchiveSettings:
    """Set the actor's agency's archive settings (a new row; the latest applies to dossiers
    assembled from now on, sealed ones keep theirs)."""
    agency = actor.agency
    if agency is None or agency.kind != AgencyKind.ENFORCEMENT:
        raise PermissionDenied("只有行政执法机关可以设置档案规则。")
    if not actor.is_active or not actor.has_role(Role.ARCHIVIST, Role.APPROVER):
        raise PermissionDenied("设置档案规则需要档案管理人员或机关负责人角色。")
    fonds_code = clean_text(fonds_code, label="全宗号", field="fonds_code", max_length=16)
    if not _CODE_RE.match(fonds_code):
        raise InvalidInput("「全宗号」只能由字母和数字组成（1—16 位）。", field_name="fonds_code")
    fonds_name = clean_text(fonds_name, label="全宗名称", field="fonds_name", max_length=100)
    category_code = clean_text(category_code, label="门类代码", field="category_code", max_length=8).upper()
    unit_code = clean_text(unit_code, label="机构（问题）代码", field="unit_code", max_length=8).upper()
    for value, field_name, label in (
        (category_code, "category_code", "门类代码"),
        (unit_code, "unit_code", "机构（问题）代码"),
    ):
        if not _SHORT_CODE_RE.match(value):
            raise InvalidInput(f"「{label}」只能由大写字母和数字组成（1—8 位）。", field_name=field_name)
    periods = {}
    for key, label in (
        ("retention_general", "一般程序案件保管期限"),
        ("retention_simplified", "简易程序案件保管期限"),
        ("retention_major", "重大行政执法决定案件保管期限"),
        ("retention_terminated", "未作出决定即终结的案件保管期限"),
    ):
        periods[key] = clean_choice(locals()[key], label=label, field=key, choices=Retention)
    row = ArchiveSettings.objects.create(
        agency=agency,
        fonds_code=fonds_code,
        fonds_name=fonds_name,
        category_code=category_code,
        unit_code=unit_code,
        changed_by=actor,
        changed_at=timezone.now(),
        **periods,
    )
    record_event(
        type=events.SETTINGS_CHANGED,
        actor=actor,
        agency=agency,
        payload={
            "settings": row.public_id,
            "fonds_code": fonds_code,
            "fonds_name": fonds_name,
            "category_code": category_code,
            "unit_code": unit_code,
            **periods,
        },
        rows=[row],
    )
    return row
