import pytest

from quanlu.cases.selectors import case_get_for, case_list_for
from quanlu.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from quanlu.ledger.models import Event
from quanlu.org import services
from quanlu.org.models import ApiToken, Role
from quanlu.org.selectors import officer_for_token, officers_with_role, visible_agencies
from quanlu.testing import factories as f


def test_agencies_form_a_hierarchy_with_paths(world):
    assert world.agency.path.startswith(world.superior.path)
    assert world.agency.parent == world.superior
    assert Event.objects.filter(type="org:agency:created", agency=world.agency).count() == 1


def test_an_enforcement_agency_needs_a_known_rulebook(world):
    with pytest.raises(InvalidInput, match="规则集"):
        services.agency_create(
            actor=None,
            code="x",
            name="某局",
            kind="enforcement",
            level="county",
            region=world.agency.region,
            rulebook_id="nonexistent",
            case_prefix="某",
        )
    with pytest.raises(InvalidInput, match="不适用执法规则集"):
        services.agency_create(
            actor=None,
            code="y",
            name="某司法局",
            kind="justice",
            level="county",
            region=world.agency.region,
            rulebook_id=f.R004,
        )


def test_duplicate_agency_and_username_and_certificate_are_refused(world):
    with pytest.raises(Conflict):
        services.agency_create(
            actor=None,
            code=world.agency.code,
            name="另一个",
            kind="enforcement",
            level="county",
            region=world.agency.region,
            rulebook_id=f.R004,
            case_prefix="另",
        )
    with pytest.raises(Conflict, match="用户名"):
        services.officer_create(
            actor=None,
            agency=world.agency,
            username=world.officer.username,
            full_name="重名",
            password=f.PASSWORD,
            roles=[],
        )
    with pytest.raises(Conflict, match="执法证件编号"):
        services.officer_create(
            actor=None,
            agency=world.agency,
            username="newone",
            full_name="新人",
            password=f.PASSWORD,
            roles=[],
            certificate_no=world.officer.certificate_no,
            certificate_valid_until=world.officer.certificate_valid_until,
        )


def test_a_certificate_needs_its_validity(world):
    with pytest.raises(InvalidInput, match="有效期"):
        services.officer_create(
            actor=None,
            agency=world.agency,
            username="n2",
            full_name="某",
            password=f.PASSWORD,
            roles=[],
            certificate_no="X123",
        )


def test_certificate_validity_by_date(world):
    import datetime as dt

    o = world.officer
    assert o.certificate_valid_on(o.certificate_valid_until)
    assert not o.certificate_valid_on(o.certificate_valid_until + dt.timedelta(days=1))
    assert not world.archivist.certificate_valid_on(o.certificate_valid_until)


def test_roles_are_granted_revoked_and_ledgered(world):
    services.role_grant(actor=None, officer=world.officer2, role=Role.HANDLER)
    assert world.officer2.has_role(Role.HANDLER)
    with pytest.raises(Conflict):
        services.role_grant(actor=None, officer=world.officer2, role=Role.HANDLER)
    services.role_revoke(actor=None, officer=world.officer2, role=Role.HANDLER)
    world.officer2.refresh_from_db()
    assert not world.officer2.has_role(Role.HANDLER)
    assert world.officer2 not in officers_with_role(world.agency, Role.HANDLER)
    types = list(Event.objects.filter(type__startswith="org:role").values_list("type", flat=True))
    assert types[-2:] == ["org:role:granted", "org:role:revoked"]


def test_supervision_is_exercised_from_above_only(world):
    with pytest.raises(InvalidInput, match="执法监督"):
        services.role_grant(actor=None, officer=world.officer2, role=Role.SUPERVISOR)
    with pytest.raises(InvalidInput, match="只能担任执法监督"):
        services.role_grant(actor=None, officer=world.justice_supervisor, role=Role.APPROVER)


def test_tokens_store_only_a_digest_and_can_be_revoked(world):
    token, raw = services.api_token_create(actor=world.officer, officer=world.officer, label="执法终端")
    assert raw.startswith("ql_")
    assert raw not in token.digest
    assert officer_for_token(raw) == world.officer
    assert officer_for_token(raw + "x") is None
    with pytest.raises(PermissionDenied):
        services.api_token_create(actor=world.officer, officer=world.officer2, label="x")
    services.api_token_revoke(actor=world.officer, token=token)
    assert officer_for_token(raw) is None
    assert ApiToken.objects.get().revoked_at is not None
    assert not any(raw in str(e.payload) for e in Event.objects.all())


# ---------------------------------------------------------------- visibility


def test_visibility_officer_superior_justice_outsider(world):
    case = world.open_case()
    # The officer's own agency.
    assert case_get_for(world.officer, case.public_id) == case
    # The superior agency and the justice bureau of the region see it (read-only elsewhere).
    assert case_get_for(world.superior_supervisor, case.public_id) == case
    assert case_get_for(world.justice_supervisor, case.public_id) == case
    # Anyone else sees nothing: 404 whether the id exists or not.
    with pytest.raises(NotFound):
        case_get_for(world.outsider, case.public_id)
    assert list(case_list_for(world.outsider)) == []


def test_a_subordinate_does_not_see_its_superiors_cases(world):
    upper = world.open_case(actor=world.superior_supervisor)
    with pytest.raises(NotFound):
        case_get_for(world.officer, upper.public_id)
    assert case_get_for(world.justice_supervisor, upper.public_id) == upper


def test_a_justice_bureau_sees_only_its_region(world):
    elsewhere = world.open_case(actor=world.outsider)
    with pytest.raises(NotFound):
        case_get_for(world.justice_supervisor, elsewhere.public_id)
    assert world.other not in visible_agencies(world.justice_supervisor)
    assert world.agency in visible_agencies(world.justice_supervisor)
    assert world.superior in visible_agencies(world.justice_supervisor)


@pytest.mark.parametrize(
    "bad", ["not-a-uuid", "", "1", "00000000-0000-0000-0000-000000000000", None, "' OR 1=1 --"]
)
def test_malformed_or_unknown_ids_are_not_found(world, bad):
    with pytest.raises(NotFound):
        case_get_for(world.officer, bad)


def test_an_inactive_officer_sees_nothing(world):
    case = world.open_case()
    admin = f.officer(world.agency, Role.ADMINISTRATOR, certificate=False)
    gone = services.officer_deactivate(actor=admin, officer=world.officer2, reason="调离本机关")
    with pytest.raises(NotFound):
        case_get_for(gone, case.public_id)
    with pytest.raises(Conflict):
        services.officer_deactivate(actor=admin, officer=gone, reason="再次停用")
