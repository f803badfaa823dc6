"""What every app's pages share: the signed-in officer; what they may see, else 404; what
they may do, else 403; the one-time token that makes a repeated submission do one thing;
and how a refused service call is reported — the Chinese message on the form field it
names (or on the page), then each citation as people read it, 《规定标题》第X条 and the
article's words, where the API keeps the regulation's file name."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.timezone import localtime

from quanlu.cases import selectors as cs
from quanlu.cases.models import Case
from quanlu.core.errors import DomainError, NotFound, Refused
from quanlu.org import services as org_services
from quanlu.org.models import Officer
from quanlu.rulebooks.loader import citation_label

T = TypeVar("T")

# ---------------------------------------------------------------- who, and what they may see


def current_officer(request: HttpRequest) -> Officer:
    """The signed-in officer (the views are behind ``login_required``)."""
    assert isinstance(request.user, Officer)
    return request.user


def or_404(call: Callable[[], T]) -> T:
    """A selector's answer; what the officer may not know of is a 404, as everywhere."""
    try:
        return call()
    except NotFound as exc:
        raise Http404(exc.message) from exc


def case_or_404(request: HttpRequest, case_id: Any) -> Case:
    return or_404(lambda: cs.case_get_for(current_officer(request), case_id))


# ---------------------------------------------------------------- what they may do (403)

SUPERVISING = "您以监督身份查看本案，仅可查阅。"


def require_writer(request: HttpRequest, case: Case, message: str = SUPERVISING) -> None:
    """Only the case's own agency writes to it, and not once it is closed: anyone else
    who sees it (a supervisor) reads only."""
    if not cs.can_write(current_officer(request), case):
        raise PermissionDenied(message)


def require_own_agency(request: HttpRequest, case: Case, message: str = SUPERVISING) -> None:
    """Only the case's own agency acts on it (a closed case too, as the archive does)."""
    if current_officer(request).agency_id != case.agency_id:
        raise PermissionDenied(message)


def password_ok(request: HttpRequest, password: str | None = None) -> bool:
    """Signing asks for the officer's password again (the posted ``password`` unless a
    form's cleaned one is given); a wrong one signs nothing."""
    if password is None:
        password = request.POST.get("password", "")
    officer = current_officer(request)
    # Wrong passwords here count towards the account's lockout as at the login page, so
    # an unattended signed-in session does not give unlimited guesses.
    if (until := org_services.lock_in_force(officer.username)) is not None:
        messages.error(request, f"账号因多次密码错误已锁定至 {localtime(until):%H:%M}，未签署。")
        return False
    if officer.check_password(password):
        return True
    org_services.login_failure_record(username=officer.username)
    messages.error(request, "密码不正确，未签署。")
    return False


# ---------------------------------------------------------------- repeated submissions


class TokenForm(forms.Form):
    """Carries a one-time submission token so a double submit does one thing."""

    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not self.is_bound:
            self.initial.setdefault("client_token", uuid.uuid4())


def submitted_token(request: HttpRequest) -> uuid.UUID | None:
    """The ``client_token`` a hand-written form posted (a page without a TokenForm puts
    ``uuid.uuid4()`` in a hidden field); the service returns what the first submission
    with it made."""
    try:
        return uuid.UUID(str(request.POST.get("client_token")))
    except (ValueError, TypeError):
        return None


# ---------------------------------------------------------------- refused calls


def attempt(form: forms.Form | None, request: HttpRequest, call: Callable[[], T]) -> T | None:
    """Run a service; show a refused one's Chinese message (and citations) instead.
    What the officer may not know of is a 404, as everywhere."""
    try:
        return or_404(call)
    except DomainError as exc:
        field = next((d.get("field") for d in exc.details if d.get("field")), None)
        if form is not None and field and field in form.fields:
            form.add_error(field, exc.message)
        elif form is not None:
            form.add_error(None, exc.message)
        elif isinstance(exc, Refused) and exc.findings:
            # A list, one finding a line with its article, not one sentence joined by "；".
            if [f.message for f in exc.findings] != [exc.headline]:  # else the one finding says it
                messages.error(request, exc.headline)
            for line in dict.fromkeys(_finding_line(f.as_dict()) for f in exc.findings):
                messages.error(request, line)
            return None
        else:
            messages.error(request, exc.message)
        for d in exc.details:
            if d.get("article"):
                messages.warning(request, f"依据：{_label(d)}「{d.get('quote', '')}」{_satisfy(d)}")
        return None


def _finding_line(detail: dict[str, Any]) -> str:
    message = str(detail.get("message") or "")
    if not detail.get("article"):
        return message
    return f"{message}（依据：{_label(detail)}「{detail.get('quote', '')}」）{_satisfy(detail)}"


def _satisfy(detail: dict[str, Any]) -> str:
    satisfy = str(detail.get("satisfy") or "")
    return f"应当：{satisfy}" if satisfy else ""


def _label(detail: dict[str, Any]) -> str:
    return citation_label(str(detail["article"]), str(detail.get("rulebook") or ""))


def form_errors(request: HttpRequest, form: forms.Form) -> None:
    """A form that did not parse, on a page that redirects: each error as a message,
    after its field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else str(error))
