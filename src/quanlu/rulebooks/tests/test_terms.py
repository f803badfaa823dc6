"""The rules engine's words and the domain apps' choices say the same thing: where an
app keeps its own list (device kinds, the case record's field names, the catalogue's
service methods, delay reasons, secret categories), it agrees with the engine's."""

from __future__ import annotations

from quanlu.access.models import SecretCategory
from quanlu.cases.models import ApplicationEventKind, ApprovalGate, Case, Stage
from quanlu.devices.models import DeviceKind
from quanlu.media.models import DelayReason, ExemptionKind
from quanlu.records.catalogue import STAGES as DOC_STAGES
from quanlu.records.catalogue import catalogue
from quanlu.rulebooks import terms


def test_the_case_choices_are_the_engines():
    assert dict(Stage.choices) == terms.STAGES
    assert dict(ApprovalGate.choices) == terms.GATES
    assert dict(ApplicationEventKind.choices) == terms.APPLICATION_EVENTS
    assert {k: v for k, v in terms.STAGES.items() if k != "closed"} == DOC_STAGES


def test_the_apps_own_lists_agree_with_the_engine():
    assert dict(DeviceKind.choices) == terms.DEVICE_KINDS
    assert {f: str(Case._meta.get_field(f).verbose_name) for f in terms.CASE_FIELDS} == terms.CASE_FIELDS
    assert dict(catalogue().get("service_receipt").field("method").options) == terms.SERVICE_METHODS
    assert tuple(DelayReason.values) == terms.AV_DELAY_REASONS
    assert tuple(SecretCategory.values) == terms.SECRET_CATEGORIES
    assert dict(ExemptionKind.choices) == terms.EXEMPTION_KINDS
