"""A field's ``fill`` names what exists: a typo in the catalogue is refused at load, not
left to fill nothing on a form."""

import shutil

import pytest

from quanlu.records.catalogue import DATA_DIR, CatalogueError, load_dir

TYPE = """types:
  - code: probe_record
    title: 测试记录
    stage: investigation
    category: investigation
    layout: transcript
    cited_by:
      - {{source: 000_9c8bbcda03c04eb4.txt, article: 第七条}}
    fields:
      - {{key: facts, label: 事实, type: long_text, required: true, fill: {fill}}}
      - {{key: who, label: 人员, type: person, required: false, fill: party}}
    signatures:
      - {{key: author, label: 制作人, roles: [officer], kinds: [signature]}}
"""


def catalogue_with(tmp_path, fill):
    for path in DATA_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "probe.yaml").write_text(TYPE.format(fill=fill), encoding="utf-8")
    return load_dir(tmp_path)


def test_a_fill_from_an_existing_type_and_field_loads(tmp_path):
    probe = catalogue_with(tmp_path, "[investigation_final_report.facts, enforcement_decision.number]").get(
        "probe_record"
    )
    assert probe.fields[0].fill == ("investigation_final_report.facts", "enforcement_decision.number")
    assert probe.fields[1].fill == ("party",)


@pytest.mark.parametrize("fill", ["no_such_type.facts", "investigation_final_report.no_such_field", "Facts"])
def test_a_fill_naming_nothing_is_refused(tmp_path, fill):
    with pytest.raises(CatalogueError, match="fill"):
        catalogue_with(tmp_path, fill)


def test_the_shipped_catalogue_fills_its_approval_forms_and_person_blocks():
    from quanlu.records.catalogue import catalogue

    fills = {(t.code, f.key) for t in catalogue().types.values() for f in t.fields if f.fill}
    assert ("inspection_transcript", "site_person") in fills
    assert ("internal_approval_form", "proposed") in fills
    assert ("closing_approval", "decision_summary") in fills
