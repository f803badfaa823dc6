import pytest

from quanlu.cases import services as cases
from quanlu.records.sample import Staff
from quanlu.testing import factories as f


@pytest.fixture
def staff(world):
    return Staff(world.officer, world.officer2, world.reviewer, world.legal, world.approver)


@pytest.fixture
def case(world):
    c = world.open_case(cause="某化工有限公司废气超标排放案")
    cases.party_add(
        actor=world.officer,
        case=c,
        kind="organisation",
        name="某化工有限公司",
        id_type="uscc",
        id_number=f.uscc(),
        legal_representative="刘建国",
        address="某市经济开发区化工路8号",
    )
    return c
