import pytest

from quanlu.core.idnumbers import resident_id_problem, uscc_problem


def test_a_real_format_resident_id_passes():
    # GB 11643-1999 worked example: 11010519491231002X.
    assert resident_id_problem("11010519491231002X") is None


@pytest.mark.parametrize(
    ("number", "fragment"),
    [("110105194912310021", "校验位"), ("11010519491331002X", "出生日期"), ("1101051949", "18位")],
)
def test_bad_resident_ids_are_explained(number, fragment):
    assert fragment in resident_id_problem(number)


def test_a_real_uscc_passes():
    # A published code (国家税务总局): 91100000717800041C? use the GB 32100 example instead.
    assert uscc_problem("91350100M000100Y43") is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [("91350100M000100Y44", "校验位"), ("91350100M0001", "18位"), ("9135010OM000100Y43", "18位")],
)
def test_bad_usccs_are_explained(code, fragment):
    assert fragment in uscc_problem(code)
