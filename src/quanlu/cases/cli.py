"""What the management commands share: the case or the person named on the command
line, or the command stops with a Chinese message saying which name was not found."""

from __future__ import annotations

from django.core.management.base import CommandError

from quanlu.cases.models import Case
from quanlu.cases.selectors import case_by_ref
from quanlu.org.models import Officer


def case_named(ref: str) -> Case:
    """The case whose 案号 or public id is ``ref``."""
    case = case_by_ref(ref)
    if case is None:
        raise CommandError(f"没有案号或标识为 {ref} 的案件。")
    return case


def officer_named(username: str | None) -> Officer | None:
    """The person with this username; None when no username was given."""
    if not username:
        return None
    officer = Officer.objects.filter(username=username).first()
    if officer is None:
        raise CommandError(f"没有用户名为 {username} 的人员。")
    return officer
