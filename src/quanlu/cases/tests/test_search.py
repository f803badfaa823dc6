"""Search finds a case whatever brackets and digit widths the officer types, and by a
party's ID number or credit code; an outsider finds nothing of another agency."""

import pytest

from quanlu.cases import selectors, services
from quanlu.testing import factories as f


@pytest.fixture
def found(world):
    case = world.open_case(cause="某厂废水直排案")
    services.party_add(
        actor=world.officer,
        case=case,
        kind="person",
        name="王某",
        id_type="resident_id",
        id_number=f.resident_id(),
    )
    services.party_add(
        actor=world.officer,
        case=case,
        kind="organisation",
        name="某某化工有限公司",
        id_type="uscc",
        id_number=f.uscc(),
        legal_representative="刘某",
    )
    world.open_case(cause="另一案件")  # must not match
    return case


def _numbers(officer, query):
    return [c.number for c in selectors.case_list_for(officer, query=query)]


def test_normalize_query_maps_brackets_widths_and_case():
    assert selectors.normalize_query("遵环[2026]2号") == "遵环〔2026〕2号"
    assert selectors.normalize_query("遵环【２０２６】２号") == "遵环〔2026〕2号"
    assert selectors.normalize_query("（2026） 2号") == "〔2026〕2号"
    assert selectors.normalize_query("91130281ma0a1b2c3x") == "91130281MA0A1B2C3X"


@pytest.mark.parametrize(
    "template",
    ["{p}〔{y}〕{n}号", "{p}[{y}]{n}号", "{p}({y}){n}号", "{p}【{y}】{n}号", "{p}（{y}）{n}号", "[{y}]{n}号"],
)
def test_each_bracket_finds_the_number(world, found, template):
    prefix, rest = found.number.split("〔")
    year, tail = rest.split("〕")
    query = template.format(p=prefix, y=year, n=tail.removesuffix("号"))
    assert _numbers(world.officer, query) == [found.number]


def test_full_width_digits_find_the_number(world, found):
    wide = found.number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert wide != found.number
    assert _numbers(world.officer, wide) == [found.number]


def test_a_party_id_number_or_credit_code_finds_the_case(world, found):
    assert _numbers(world.officer, f.resident_id()) == [found.number]
    assert _numbers(world.officer, f.uscc().lower()) == [found.number]
    wide = f.uscc().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert _numbers(world.officer, wide) == [found.number]
    assert _numbers(world.officer, "化工") == [found.number]


def test_the_outsider_finds_nothing_of_another_agency(world, found):
    assert _numbers(world.outsider, f.resident_id()) == []
    assert _numbers(world.outsider, found.number) == []


def test_the_case_list_page_searches_with_brackets(world, found):
    from django.test import Client

    client = Client()
    client.force_login(world.officer)
    query = found.number.replace("〔", "[").replace("〕", "]")
    text = client.get("/cases/", {"q": query}).content.decode()
    assert found.number in text
    assert "另一案件" not in text
