"""Sign-in failures lock the account (等保 2.0 登录失败处理); locks and unlocks are events;
the page says the same for a username that names nobody."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from quanlu.core.errors import Conflict, PermissionDenied
from quanlu.ledger.models import Event
from quanlu.org import services
from quanlu.org.models import AccountLock, Role
from quanlu.testing import factories as f


def _login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


@override_settings(QUANLU_LOGIN_MAX_FAILURES=3, QUANLU_LOGIN_LOCK_MINUTES=30)
def test_repeated_failures_lock_the_account_until_an_administrator_unlocks_it(world, client):
    name = world.officer.username
    for _ in range(2):
        page = _login(client, name, "wrong-password-1").content.decode()
        assert "用户名或密码不正确" in page
    page = _login(client, name, "wrong-password-1").content.decode()
    assert "已被锁定" in page
    lock = AccountLock.objects.get(officer=world.officer)
    assert timezone.localtime(lock.until).strftime("%Y-%m-%d %H:%M") in page
    assert Event.objects.filter(type="org:account:locked").count() == 1
    # The right password does not open a locked account.
    page = _login(client, name, f.PASSWORD)
    assert page.status_code == 200
    assert "已被锁定" in page.content.decode()
    assert "_auth_user_id" not in client.session
    # Only an administrator of the agency unlocks, with a reason.
    with pytest.raises(PermissionDenied):
        services.account_unlock(actor=world.approver, officer=world.officer, reason="本人申请")
    admin = f.officer(world.agency, Role.ADMINISTRATOR, certificate=False)
    services.account_unlock(actor=admin, officer=world.officer, reason="本人申请，已核实身份")
    assert Event.objects.filter(type="org:account:unlocked").count() == 1
    with pytest.raises(Conflict):
        services.account_unlock(actor=admin, officer=world.officer, reason="再次")
    assert _login(client, name, f.PASSWORD).status_code == 302
    # Failures before the unlock do not count towards the next lock.
    client.logout()
    _login(client, name, "wrong-password-1")
    assert AccountLock.objects.filter(officer=world.officer).count() == 1


@override_settings(QUANLU_LOGIN_MAX_FAILURES=2, QUANLU_LOGIN_LOCK_MINUTES=30)
def test_the_lock_ends_by_itself(world, client, monkeypatch):
    for _ in range(2):
        _login(client, world.officer.username, "nope-nope-nope")
    assert services.lock_in_force(world.officer.username) is not None
    later = timezone.now() + dt.timedelta(minutes=31)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert services.lock_in_force(world.officer.username) is None


@override_settings(QUANLU_LOGIN_MAX_FAILURES=3)
def test_an_unknown_username_gets_the_same_answers(world, client):
    answers = [_login(client, "nobody-at-all", "whatever-123").content.decode() for _ in range(3)]
    assert "用户名或密码不正确" in answers[0]
    assert "已被锁定" in answers[2]
    assert not Event.objects.filter(type="org:account:locked").exists()
    assert not AccountLock.objects.exists()


def test_the_login_page_does_not_lock_below_the_limit(world, client):
    for _ in range(4):
        _login(client, world.officer.username, "wrong-password-1")
    assert _login(client, world.officer.username, f.PASSWORD).status_code == 302


@override_settings(QUANLU_LOGIN_MAX_FAILURES=3, QUANLU_LOGIN_WINDOW_MINUTES=15, QUANLU_LOGIN_LOCK_MINUTES=30)
def test_failures_older_than_the_window_are_kept_but_do_not_count(world, client):
    from quanlu.org.models import LoginFailure

    for name in (world.officer.username, "nobody-at-all"):
        for _ in range(2):
            _login(client, name, "wrong-password-1")
        # Yesterday's failures: kept (a security log), outside every lockout count.
        LoginFailure.objects.filter(username=name).update(at=timezone.now() - dt.timedelta(days=1))
        for _ in range(2):
            assert "用户名或密码不正确" in _login(client, name, "wrong-password-1").content.decode()
        assert services.lock_in_force(name) is None
        assert LoginFailure.objects.filter(username=name).count() == 4
    assert not AccountLock.objects.exists()
    assert _login(client, world.officer.username, f.PASSWORD).status_code == 302
