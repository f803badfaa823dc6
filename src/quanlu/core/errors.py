"""Domain errors: a stable code for machines and a Chinese message for people.

Services raise these; the web layer shows the message, the API maps the class to an
HTTP status and returns ``{"code": ..., "message": ...}``.
"""

from __future__ import annotations

import errno
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar


@dataclass
class Finding:
    """Why something was refused, with the rule and the article that require it."""

    rule: str
    message: str
    rulebook: str = ""
    article: str = ""
    quote: str = ""
    source: str = ""  # the regulation's file
    satisfy: str = ""  # what would satisfy the rule, for the user
    field: str = ""  # the input field the refusal is about, when a form's

    def as_dict(self) -> dict[str, str]:
        body = {
            "rule": self.rule,
            "message": self.message,
            "rulebook": self.rulebook,
            "article": self.article,
            "quote": self.quote,
        }
        # Only what is known: a finding of a rule always has its source and what satisfies it.
        body.update({k: v for k, v in (("source", self.source), ("satisfy", self.satisfy)) if v})
        if self.field:
            body["field"] = self.field
        return body


@dataclass
class DomainError(Exception):
    message: str
    code: str = "error"
    status: int = 400
    details: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(DomainError):
    def __init__(self, message: str, *, code: str = "invalid_input", field_name: str = "") -> None:
        details = [{"field": field_name, "message": message}] if field_name else []
        super().__init__(message=message, code=code, status=422, details=details)


class NotFound(DomainError):
    def __init__(self, message: str = "未找到该对象，或您无权查看。", *, code: str = "not_found") -> None:
        super().__init__(message=message, code=code, status=404)


class PermissionDenied(DomainError):
    def __init__(self, message: str = "您无权执行此操作。", *, code: str = "permission_denied") -> None:
        super().__init__(message=message, code=code, status=403)


class Conflict(DomainError):
    def __init__(self, message: str, *, code: str = "conflict", field_name: str = "") -> None:
        details = [{"field": field_name, "message": message}] if field_name else []
        super().__init__(message=message, code=code, status=409, details=details)


class Refused(DomainError):
    """A legal or procedural rule refuses the action; findings cite the articles."""

    def __init__(
        self,
        message: str,
        findings: list[Finding],
        *,
        code: str = "refused",
        headline: str = "",
        status: int = 409,
    ) -> None:
        # 422 where what was entered is what the rule refuses (a form field it names).
        super().__init__(message=message, code=code, status=status, details=[f.as_dict() for f in findings])
        self.findings = findings
        # What a page shows above the list of findings (the message repeats them inline).
        self.headline = headline or message


class StorageFull(DomainError):
    """The server's disk (or the quota) is full: nothing of the request was kept, and
    retrying at once will not help. HTTP 507 Insufficient Storage."""

    MESSAGE = "服务器存储空间已满，本次上传的内容未能保存。请联系系统管理员清理空间后再上传。"

    def __init__(self, message: str = MESSAGE, *, code: str = "storage_full") -> None:
        super().__init__(message=message, code=code, status=507)


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


P = ParamSpec("P")
R = TypeVar("R")


def refuse_when_disk_full(func: Callable[P, R]) -> Callable[P, R]:
    """A full disk met while ``func`` stores bytes becomes ``StorageFull``; ``func``
    itself must leave nothing half-stored (abort its staging files)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            if is_disk_full(exc):
                raise StorageFull() from exc
            raise

    return wrapper
