"""Accounts: passwords (administrator reset forcing a change, the officer's own change),
sign-in failures and lockout (等保 2.0 登录失败处理), and API tokens with expiry."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quanlu.core.errors import Conflict, InvalidInput, PermissionDenied
from quanlu.core.validation import clean_text
from quanlu.ledger.services import record_event
from quanlu.org import events
from quanlu.org.models import AccountLock, ApiToken, LoginFailure, Officer
from quanlu.org.permissions import administers, require_admin
from quanlu.org.services.agencies import clean_password

# ---------------------------------------------------------------- passwords


@transaction.atomic
def officer_password_reset(*, actor: Officer, officer: Officer, password: str) -> Officer:
    """An administrator sets a temporary password; the officer must change it at the
    next sign-in."""
    if officer.agency is None:
        raise PermissionDenied("只有本机关的系统管理员可以进行此操作。")
    require_admin(actor, officer.agency)
    if actor.pk == officer.pk:
        raise InvalidInput("请在「修改密码」页面修改本人密码。")
    clean_password(password, officer)
    officer = Officer.objects.select_for_update().get(pk=officer.pk)
    if not officer.is_active:
        raise Conflict("该人员账号已停用。")
    officer.set_password(password)
    officer.must_change_password = True
    officer.save(update_fields=["password", "must_change_password"])
    record_event(
        type=events.PASSWORD_RESET,
        actor=actor,
        agency=officer.agency,
        payload={"officer": officer.public_id},
        rows=[officer],
    )
    return officer


@transaction.atomic
def officer_password_change(*, actor: Officer, old_password: str, new_password: str) -> Officer:
    officer = Officer.objects.select_for_update().get(pk=actor.pk)
    if not officer.check_password(old_password or ""):
        raise InvalidInput("原密码不正确。", field_name="old_password")
    try:
        clean_password(new_password, officer)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field_name="new_password") from exc
    if old_password == new_password:
        raise InvalidInput("新密码不能与原密码相同。", field_name="new_password")
    officer.set_password(new_password)
    officer.must_change_password = False
    officer.save(update_fields=["password", "must_change_password"])
    record_event(
        type=events.PASSWORD_CHANGED,
        actor=officer,
        agency=officer.agency,
        payload={"officer": officer.public_id},
        rows=[officer],
    )
    return officer


# ---------------------------------------------------------------- lockout


def lock_in_force(username: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """Until when ``username`` may not sign in, or None. The same answer for a name
    that matches nobody (counted from its failures), so the page does not reveal
    which usernames exist."""
    now = now or timezone.now()
    officer = Officer.objects.filter(username=username).first()
    if officer is not None:
        lock = (
            AccountLock.objects.filter(officer=officer, unlocked_at__isnull=True, until__gt=now)
            .order_by("-until")
            .first()
        )
        return lock.until if lock else None
    window = dt.timedelta(minutes=settings.QUANLU_LOGIN_WINDOW_MINUTES)
    recent = list(
        LoginFailure.objects.filter(username=username, at__gt=now - window - _lock_length())
        .order_by("-at")
        .values_list("at", flat=True)[: settings.QUANLU_LOGIN_MAX_FAILURES]
    )
    if len(recent) == settings.QUANLU_LOGIN_MAX_FAILURES and recent[0] - recent[-1] <= window:
        until = recent[0] + _lock_length()
        return until if until > now else None
    return None


def _lock_length() -> dt.timedelta:
    return dt.timedelta(minutes=settings.QUANLU_LOGIN_LOCK_MINUTES)


@transaction.atomic
def login_failure_record(*, username: str) -> AccountLock | None:
    """Count a failed sign-in; the failure that reaches the limit within the window
    locks the account (an event). Failures before the last lock or unlock do not count."""
    username = username[:150]
    LoginFailure.objects.create(username=username)
    officer = Officer.objects.select_for_update().filter(username=username).first()
    if officer is None:
        return None
    now = timezone.now()
    since = now - dt.timedelta(minutes=settings.QUANLU_LOGIN_WINDOW_MINUTES)
    last = AccountLock.objects.filter(officer=officer).order_by("-locked_at").first()
    if last is not None:
        if last.unlocked_at is None and last.until > now:
            return None  # already locked
        since = max(since, last.unlocked_at or last.until, last.locked_at)
    failures = LoginFailure.objects.filter(username=username, at__gt=since).count()
    if failures < settings.QUANLU_LOGIN_MAX_FAILURES:
        return None
    lock = AccountLock.objects.create(officer=officer, until=now + _lock_length(), failures=failures)
    record_event(
        type=events.ACCOUNT_LOCKED,
        actor=None,
        agency=officer.agency,
        payload={"officer": officer.public_id, "until": lock.until, "failures": failures},
        rows=[lock],
    )
    return lock


@transaction.atomic
def account_unlock(*, actor: Officer, officer: Officer, reason: str) -> AccountLock:
    if officer.agency is None:
        raise PermissionDenied("只有本机关的系统管理员可以进行此操作。")
    require_admin(actor, officer.agency)
    reason = clean_text(reason, label="解锁原因", field="reason", max_length=500)
    now = timezone.now()
    lock = (
        AccountLock.objects.select_for_update()
        .filter(officer=officer, unlocked_at__isnull=True, until__gt=now)
        .order_by("-until")
        .first()
    )
    if lock is None:
        raise Conflict("该账号未被锁定。")
    lock.unlocked_at = now
    lock.unlocked_by = actor
    lock.unlock_reason = reason
    lock.save(update_fields=["unlocked_at", "unlocked_by", "unlock_reason"])
    record_event(
        type=events.ACCOUNT_UNLOCKED,
        actor=actor,
        agency=officer.agency,
        payload={"officer": officer.public_id, "lock": lock.public_id, "reason": reason},
        rows=[lock],
    )
    return lock


# ---------------------------------------------------------------- API tokens


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Officer, officer: Officer, label: str) -> tuple[ApiToken, str]:
    """Returns the token row and the secret, which is shown once and never stored. It
    expires QUANLU_TOKEN_DAYS after issue."""
    if actor.pk != officer.pk and not actor.is_superuser:
        raise PermissionDenied("只能为本人签发接口令牌。")
    if not officer.is_active:
        raise Conflict("该人员账号已停用。")
    label = clean_text(label, label="用途", field="label", max_length=64)
    raw = "ql_" + secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(days=settings.QUANLU_TOKEN_DAYS)
    token = ApiToken.objects.create(
        officer=officer, label=label, digest=token_digest(raw), expires_at=expires_at
    )
    record_event(
        type=events.TOKEN_CREATED,
        actor=actor,
        agency=officer.agency,
        payload={
            "token": token.public_id,
            "officer": officer.public_id,
            "label": label,
            "expires_at": expires_at,
        },
        rows=[token],
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Officer, token: ApiToken) -> ApiToken:
    """The holder revokes their own token; an administrator those of their agency."""
    agency = token.officer.agency
    if actor.pk != token.officer_id and not (agency is not None and administers(actor, agency)):
        raise PermissionDenied("只能吊销本人的接口令牌。")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict("该令牌已吊销。")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        type=events.TOKEN_REVOKED,
        actor=actor,
        agency=agency,
        payload={"token": token.public_id},
        rows=[token],
    )
    return token


# Writing last_used_at on every request would be one UPDATE per API call; a minute's
# resolution is what an administrator reading the token list needs.
_TOUCH_EVERY = dt.timedelta(minutes=1)


def api_token_touch(token: ApiToken, now: dt.datetime | None = None) -> None:
    """Note the token's use. Like Django's ``last_login``, a usage stamp outside the
    ledger (``last_used_at`` is excluded from the row digest in integrity.py)."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
