"""Commands find a case by 案号 or by id; anything else is a clear Chinese error."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quanlu.cases.selectors import case_by_ref


def test_a_case_is_found_by_number_or_id_and_nothing_else(world):
    case = world.open_case()
    assert case_by_ref(case.number) == case
    assert case_by_ref(str(case.public_id)) == case
    assert case_by_ref("某环罚〔1999〕1号") is None
    assert case_by_ref("not-a-uuid") is None
    assert case_by_ref("00000000-0000-0000-0000-000000000000") is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "nope"], "没有案号或标识为 nope 的案件"),
        (["archive", "status", "nope"], "没有案号或标识为 nope 的案件"),
        (["media", "list", "--case", "nope"], "没有案号或标识为 nope 的案件"),
        (["documents", "list", "--case", "nope"], "没有案号或标识为 nope 的案件"),
    ],
)
def test_commands_name_an_unknown_case_in_chinese(world, argv, message):
    with pytest.raises(CommandError, match=message):
        call_command(*argv, stdout=StringIO())
