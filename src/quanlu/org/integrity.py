"""What the ledger needs from org: which organisation rows it commits (see
quanlu.ledger.records), and who is who (quanlu.ledger.directory)."""

from __future__ import annotations

import uuid

from quanlu.ledger import directory
from quanlu.ledger.records import cover


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
    cover(m.ApiToken)
    directory.register(Directory())
