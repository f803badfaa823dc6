"""How a web page reports a refused service call: the Chinese message on the form field
it names (or on the page), then each citation as people read it — 《规定标题》第X条 and
the article's words — where the API keeps the regulation's file name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest

from quanlu.core.errors import DomainError, NotFound
from quanlu.rulebooks.loader import citation_label

T = TypeVar("T")


def attempt(form: forms.Form | None, request: HttpRequest, call: Callable[[], T]) -> T | None:
    """Run a service; show a refused one's Chinese message (and citations) instead.
    What the officer may not know of is a 404, as everywhere."""
    try:
        return call()
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        field = next((d.get("field") for d in exc.details if d.get("field")), None)
        if form is not None and field and field in form.fields:
            form.add_error(field, exc.message)
        elif form is not None:
            form.add_error(None, exc.message)
        else:
            messages.error(request, exc.message)
        for d in exc.details:
            if d.get("article"):
                messages.warning(request, f"依据：{_label(d)}「{d.get('quote', '')}」")
        return None


def _label(detail: dict[str, Any]) -> str:
    return citation_label(str(detail["article"]), str(detail.get("rulebook") or ""))
