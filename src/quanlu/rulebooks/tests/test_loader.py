import datetime as dt
import textwrap

import pytest

from quanlu.rulebooks.loader import (
    RulebookError,
    all_rulebooks,
    get_rulebook,
    load_file,
    parse_duration,
    regulation_text,
)
from quanlu.testing.factories import ALL_RULEBOOKS, R000, R002, R003

GOOD_RULE = """
  - id: init.approval
    kind: approval_required
    params: {stage: investigation, gate: initiation}
    requirements: [INIT-06]
    citation: {article: 第六条, quote: 启动一般程序行政执法的，由行政执法人员填写程序立案审批表，报本机关负责人批准。}
"""


def write(tmp_path, rules: str, **head: str):
    fields = {
        "id": "test_book",
        "title": "测试规则",
        "issuer": "测试机关",
        "source": "002_4fd6fddfbbebbad6.txt",
    }
    fields.update(head)
    text = "\n".join(f"{k}: {v}" for k, v in fields.items()) + "\nrules:\n" + textwrap.dedent(rules)
    path = tmp_path / "book.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_five_regulations_load_with_their_dates():
    books = all_rulebooks()
    assert sorted(books) == sorted(ALL_RULEBOOKS)
    assert get_rulebook(R002).effective_from == dt.date(2019, 8, 1)
    assert get_rulebook(R003).effective_from == dt.date(2025, 4, 8)
    assert get_rulebook(R000).effective_from is None
    assert get_rulebook(R000).action_types is None  # 000 does not close the list (GEN-01)


def test_every_quote_is_the_regulations_own_words():
    for versions in all_rulebooks().values():
        for book in versions:
            for rule in book.rules:
                squashed = "".join(rule.citation.quote.split())
                assert squashed in regulation_text(rule.citation.source), rule.id


def test_a_good_file_loads(tmp_path):
    book = load_file(write(tmp_path, GOOD_RULE))
    assert book.rule("init.approval").citation.article == "第六条"


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (GOOD_RULE.replace("approval_required", "teleport"), "unknown kind 'teleport'"),
        (GOOD_RULE.replace("[INIT-06]", "[INIT-99]"), "unknown requirement id"),
        (GOOD_RULE.replace("    requirements: [INIT-06]\n", ""), "names no requirement id"),
        (GOOD_RULE.replace("article: 第六条, ", ""), "missing citation"),
        (GOOD_RULE.replace("第六条", "Article 6"), "is not like 第六条"),
        (GOOD_RULE.replace("报本机关负责人批准", "报上级批准"), "quote is not in"),
        (GOOD_RULE.replace("stage: investigation", "stage: limbo"), "stage must be one of"),
        (GOOD_RULE + GOOD_RULE, "duplicate rule id"),
        (
            GOOD_RULE.replace(
                "{stage: investigation, gate: initiation}",
                "{stage: investigation, gate: initiation, when: {weather: [rain]}}",
            ),
            "unknown condition",
        ),
        (
            """
  - id: late
    kind: supplementary_approval_deadline
    params: {within: 24 hours}
    requirements: [INIT-09]
    citation: {article: 第六条, quote: 情况紧急的，可先启动行政执法程序}
""",
            "bad duration",
        ),
    ],
)
def test_bad_rulebooks_are_refused_naming_file_and_rule(tmp_path, rules, message):
    with pytest.raises(RulebookError) as exc:
        load_file(write(tmp_path, rules))
    assert "book.yaml" in str(exc.value)
    assert message in str(exc.value)


def test_a_citation_of_a_regulation_not_shipped_is_refused(tmp_path):
    with pytest.raises(RulebookError, match="not shipped"):
        load_file(write(tmp_path, GOOD_RULE, source="../../etc/passwd"))


def test_bad_yaml_is_refused(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(RulebookError, match=r"broken\.yaml: not valid YAML"):
        load_file(path)


@pytest.mark.parametrize(("text", "hours"), [("24h", 24), ("30d", 720), (" 1h ", 1)])
def test_parse_duration(text, hours):
    assert parse_duration(text) == dt.timedelta(hours=hours)


@pytest.mark.parametrize("text", ["0h", "24", "1w", "-3d", "", None])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


AV_RULE = """
  - id: av.x
    kind: av_required
    params: {activity: sampling, documents: [sampling_notice], exemption: allowed, stage: [decision, archiving]}
    requirements: [INV-24]
    citation: {article: 第十一条, quote: 执法人员采取现场检查（勘验）、抽样调查方式的，应同时进行音像记录，不适宜音像记录的除外。}
"""


def test_a_good_av_rule_loads(tmp_path):
    rule = load_file(write(tmp_path, AV_RULE)).rule("av.x")
    assert rule.params["stage"] == ["decision", "archiving"]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (AV_RULE.replace("[sampling_notice]", "[sampling_notic]"), "unknown document type(s) sampling_notic"),
        (AV_RULE.replace("activity: sampling", "activity: juggling"), "activity must be one of"),
        (AV_RULE.replace("exemption: allowed", "exemption: sometimes"), "exemption must be one of"),
        (AV_RULE.replace("[decision, archiving]", "[decision, limbo]"), "stage must be one of"),
        (AV_RULE.replace("exemption: allowed", "where: {field: colour, equals: red}"), "no field 'colour'"),
        (AV_RULE.replace("exemption: allowed", "device_kinds: [telescope]"), "device_kinds must be"),
        (AV_RULE.replace("exemption: allowed", "loudly: true"), "unknown parameter(s) loudly"),
        (AV_RULE.replace("exemption: allowed", "when: {entered: [limbo]}"), "when.entered: unknown value"),
        (
            AV_RULE.replace("kind: av_required", "kind: documents_required").replace(
                "activity: sampling, documents: [sampling_notice], exemption: allowed, ",
                "documents: [sampling_notice], mode: some, ",
            ),
            "mode must be all or any",
        ),
        (
            AV_RULE.replace("kind: av_required", "kind: document_fields_required").replace(
                "activity: sampling, documents: [sampling_notice], exemption: allowed, ",
                "documents: [sampling_notice], fields: [flavour], ",
            ),
            "no field(s) flavour",
        ),
        (
            AV_RULE.replace("kind: av_required", "kind: officers_present").replace(
                "activity: sampling, documents: [sampling_notice], exemption: allowed, ",
                "documents: [inspection_transcript], min: 0, ",
            ),
            "min must be a whole number of at least 1",
        ),
        (
            AV_RULE.replace("kind: av_required", "kind: service_method").replace(
                "activity: sampling, documents: [sampling_notice], exemption: allowed, ",
                "methods: [pigeon], ",
            ),
            "methods must be",
        ),
        (
            AV_RULE.replace("kind: av_required", "kind: correction_recheck_deadline").replace(
                "activity: sampling, documents: [sampling_notice], exemption: allowed, stage: [decision, archiving]",
                "order: rectification_orderz",
            ),
            "unknown document type(s) rectification_orderz",
        ),
    ],
)
def test_bad_rules_of_the_record_kinds_are_refused_naming_file_and_rule(tmp_path, rules, message):
    with pytest.raises(RulebookError) as exc:
        load_file(write(tmp_path, rules))
    assert "book.yaml rule av.x" in str(exc.value)
    assert message in str(exc.value)


def test_every_kind_has_an_evaluator_and_is_used_by_a_rulebook():
    from quanlu.rulebooks import evaluator  # noqa: F401  (registers every judge)
    from quanlu.rulebooks.judgement import DEADLINE_MAKERS, JUDGES
    from quanlu.rulebooks.loader import known_kinds

    used = {r.kind for versions in all_rulebooks().values() for b in versions for r in b.rules}
    for kind in known_kinds():
        assert kind in JUDGES or kind in DEADLINE_MAKERS, kind
        assert kind in used, f"{kind} is used by no rulebook"


def test_the_errata_are_applied_to_the_requirement_rows():
    from quanlu.rulebooks.coverage import requirement_rows

    seeds = {r.id: r.seeds for r in requirement_rows()}
    assert "001" in seeds["GEN-14"]  # A1
    assert "001" in seeds["INV-28"]  # A2
    assert "001" in seeds["INIT-03"]  # A3
    assert get_rulebook(R000).action_types is None  # C1
