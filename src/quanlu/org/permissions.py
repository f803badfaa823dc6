"""Who administers which agency: an officer with the administrator role administers
their own agency and the agencies below it (a superior agency sets up its subordinates);
a Django superuser administers all. Everyone else is refused."""

from __future__ import annotations

from quanlu.core.errors import PermissionDenied
from quanlu.org.models import Agency, Officer, Role


def is_administrator(officer: Officer) -> bool:
    return officer.is_active and (officer.is_superuser or officer.has_role(Role.ADMINISTRATOR))


def administers(officer: Officer, agency: Agency) -> bool:
    if not officer.is_active:
        return False
    if officer.is_superuser:
        return True
    own = officer.agency
    if own is None or not officer.has_role(Role.ADMINISTRATOR):
        return False
    return agency.pk == own.pk or agency.path.startswith(own.path)


def require_admin(officer: Officer, agency: Agency) -> None:
    if not administers(officer, agency):
        raise PermissionDenied("只有本机关的系统管理员可以进行此操作。")
