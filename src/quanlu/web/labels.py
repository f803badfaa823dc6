"""Chinese labels for the codes events and messages carry (a stage, a reason chosen
from a list, a kind of record): one table gathered from every model's choices and the
rulebooks' terms, so a page never shows ``investigation`` or ``equipment_failure``.

Free text is left as it is: only a value that is exactly a known code is replaced.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.apps import apps

from quanlu.records.doctypes import KINDS, ROLES
from quanlu.rulebooks import terms

# The rulebooks' vocabularies first: where a model's choice reuses a code, the words
# the regulations use win.
_TERMS = (
    terms.STAGES,
    terms.GATES,
    terms.CASE_FIELDS,
    terms.APPLICATION_EVENTS,
    terms.RIGHTS,
    terms.NOTICE_METHODS,
    terms.SERVICE_METHODS,
    terms.DEVICE_KINDS,
    terms.AV_ACTIVITIES,
    terms.EXEMPTION_KINDS,
)


@cache
def code_labels() -> dict[str, str]:
    table: dict[str, str] = {}
    for vocabulary in _TERMS:
        for code, label in vocabulary.items():
            if isinstance(label, str):
                table.setdefault(str(code), label)
    for code, (label, _) in ROLES.items():
        table.setdefault(code, label)
    for code, label in KINDS.items():
        table.setdefault(code, label)
    for model in apps.get_models():
        for f in model._meta.get_fields():
            for code, label in getattr(f, "flatchoices", None) or ():
                if isinstance(code, str) and code:
                    table.setdefault(code, str(label))
    return table


def label_of(value: Any) -> Any:
    """The Chinese label of a code; anything else unchanged."""
    if isinstance(value, str):
        return code_labels().get(value, value)
    return value
