"""What the ledger needs from org: which organisation rows it commits (see
quanlu.ledger.records), and who is who (quanlu.ledger.directory)."""

from __future__ import annotations

import uuid

from quanlu.ledger import directory
from quanlu.ledger.records import cover, exempt


class Directory:
    """The ledger's view of the organisation (quanlu.ledger.directory.AgencyDirectory)."""

    def public_id(self, agency_id: int) -> uuid.UUID:
        from quanlu.org.models import Agency

        value: uuid.UUID = Agency.objects.values_list("public_id", flat=True).get(pk=agency_id)
        return value

    def supervisor(self, agency_id: int) -> int | None:
        from quanlu.org.models import Agency
        from quanlu.org.selectors import supervisor_of

        found = supervisor_of(Agency.objects.select_related("parent", "region").get(pk=agency_id))
        return found.pk if found is not None else None

    def agency_ids(self) -> list[int]:
        from quanlu.org.models import Agency

        return list(Agency.objects.order_by("pk").values_list("pk", flat=True))


def bind() -> None:
    from quanlu.org import models as m

    cover(m.Region)
    cover(m.Agency)
    # Django rewrites last_login at every login and may re-hash a password at login when
    # its hasher's work factor changes: neither is a record of enforcement.
    cover(m.Officer, exclude=("last_login", "password"))
    cover(m.RoleGrant)
    # last_used_at is a usage stamp written at each use, like last_login.
    cover(m.ApiToken, exclude=("last_used_at",))
    cover(m.AgencySettings)
    cover(m.Certificate)
    cover(m.AccountLock)
    exempt(
        m.LoginFailure,
        reason="a security log of failed sign-ins by the name typed, which may name nobody; "
        "the locks it leads to are covered (AccountLock)",
    )
    directory.register(Directory())
