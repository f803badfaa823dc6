"""Names refuse what is not seen but changes what is read: bidi embeddings, overrides and
isolates, line breaks, control characters — as file names already do."""

import json

import pytest
from django.test import Client

from quanlu.cases import services as cases
from quanlu.core.errors import InvalidInput
from quanlu.core.validation import clean_name
from quanlu.org.services import api_token_create
from quanlu.testing import factories as f

HIDDEN = [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
HIDDEN += ["\n", "\r", "\t", "\u2028", "\u2029", "\u200b", "\u200f"]


@pytest.mark.parametrize("ch", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_a_name_with_a_hidden_character_is_refused_in_chinese(ch):
    with pytest.raises(InvalidInput) as exc:
        clean_name(f"张三{ch}李四", label="名称或姓名", field="name", max_length=200)
    assert exc.value.message == (
        "「名称或姓名」含有换行、控制字符或改变文字显示方向的不可见字符，请删除后重新填写。"
    )
    assert exc.value.details == [{"field": "name", "message": exc.value.message}]


@pytest.mark.parametrize(
    "name", ["张三", "买买提·艾力", "某某（唐山）环保科技有限公司", "Zhang San", "欧阳 娜娜"]
)
def test_ordinary_names_pass(name):
    assert clean_name(f"  {name} ", label="姓名", field="name", max_length=200) == name


def test_a_party_named_with_an_override_is_refused_by_the_service_and_the_api(world):
    case = world.open_case()
    spoofed = "王某\u202e某李"  # shows as 王某李某某
    with pytest.raises(InvalidInput, match="改变文字显示方向"):
        cases.party_add(
            actor=world.officer,
            case=case,
            kind="person",
            name=spoofed,
            id_type="resident_id",
            id_number=f.resident_id(),
        )
    _, token = api_token_create(actor=world.officer, officer=world.officer, label="测试")
    body = {"kind": "person", "name": "王某\n李某", "id_type": "resident_id", "id_number": f.resident_id()}
    response = Client().post(
        f"/api/v1/cases/{case.public_id}/parties",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "name"
    assert not case.parties.exists()


def test_an_officer_and_a_legal_representative_are_names_too(world):
    with pytest.raises(InvalidInput, match="「姓名」含有"):
        f.officer(world.agency, "officer", name="李\u2066四\u2069")
    case = world.open_case()
    with pytest.raises(InvalidInput, match="「法定代表人（负责人）」含有"):
        cases.party_add(
            actor=world.officer,
            case=case,
            kind="organisation",
            name="某公司",
            id_type="uscc",
            id_number=f.uscc(),
            legal_representative="赵\u202b六",
        )
