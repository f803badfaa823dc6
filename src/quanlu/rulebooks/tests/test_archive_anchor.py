"""The archive deadline runs from the day the enforcement act ended (行政执法行为终结之日),
as every regulation says, not from the case's move into 归档管理 (pure: no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from quanlu.rulebooks.coverage import all_coverage
from quanlu.rulebooks.evaluator import Status, judge
from quanlu.rulebooks.evaluators import archive_deadlines
from quanlu.rulebooks.facts import CaseFacts, Facts
from quanlu.rulebooks.loader import get_rulebook

DAY0 = dt.date(2025, 1, 1)
ARTICLES = {
    "000_9c8bbcda03c04eb4": "第二十六条",
    "001_985a08834cda7543": "第二十八条",
    "002_4fd6fddfbbebbad6": "第三十条",
    "003_b6123a0950a37ec2": "第二十八条",
    "004_b4c2f06b7eb1ab1e": "第二十五条",
}


def on(day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(hour)))


def facts(book: str, *, ended: int | None, archiving: int | None, archived: int | None) -> Facts:
    case = CaseFacts(
        uid="c",
        rulebook_id=book,
        started_at=on(0),
        stage="closed" if archived is not None else "archiving",
        entered=frozenset({"initiation", "archiving"}),
        archiving_entered_at=on(archiving) if archiving is not None else None,
        act_ended_on=DAY0 + dt.timedelta(days=ended) if ended is not None else None,
    )
    return Facts(case=case, archived_at=on(archived) if archived is not None else None)


@pytest.mark.parametrize("book", sorted(ARTICLES))
def test_an_act_ended_on_day_35_and_archived_on_day_75_is_late(book):
    rule = get_rulebook(book).rule("arc.archive_30d")
    # The case entered 归档管理 only on day 70: counted from there it would be on time.
    outcome = judge(rule, facts(book, ended=35, archiving=70, archived=75), on(80))
    assert outcome.status == Status.UNMET
    assert "执法行为终结之日（2025-02-05）" in outcome.message
    assert "已超过期限 2025-03-08 00:00" in outcome.message
    finding = rule.finding(outcome.message)
    assert finding.article == f"{rule.citation.source} {ARTICLES[book]}"
    assert "行政执法行为终结之日起" in finding.quote


@pytest.mark.parametrize("book", sorted(ARTICLES))
def test_an_act_ended_on_day_50_and_archived_on_day_75_is_on_time(book):
    rule = get_rulebook(book).rule("arc.archive_30d")
    # Entered 归档管理 on day 30 (before the act ended): counted from there it would be late.
    outcome = judge(rule, facts(book, ended=50, archiving=30, archived=75), on(80))
    assert outcome.status == Status.MET
    assert "在期限内" in outcome.message


def test_the_last_day_of_the_period_counts_and_the_next_does_not():
    rule = get_rulebook("003_b6123a0950a37ec2").rule("arc.archive_30d")
    on_time = judge(rule, facts(rule.rulebook_id, ended=35, archiving=35, archived=65), on(90))
    assert on_time.status == Status.MET  # day 35 + 30 days, 10:00
    late = judge(rule, facts(rule.rulebook_id, ended=35, archiving=35, archived=66), on(90))
    assert late.status == Status.UNMET


def test_until_the_end_is_recorded_the_move_into_archiving_stands_for_it():
    rule = get_rulebook("001_985a08834cda7543").rule("arc.archive_30d")
    f = facts(rule.rulebook_id, ended=None, archiving=70, archived=None)
    [spec] = archive_deadlines(rule, f, on(71))
    assert spec.starts_at == on(70)
    assert spec.due_at == on(100)
    assert "未记录执法行为终结日期" in spec.anchor
    assert judge(rule, f, on(101)).status == Status.UNMET
    none_yet = facts(rule.rulebook_id, ended=None, archiving=None, archived=None)
    assert list(archive_deadlines(rule, none_yet, on(71))) == []
    assert judge(rule, none_yet, on(71)).status == Status.NOT_APPLICABLE


def test_the_deadline_runs_from_the_recorded_end_not_from_the_move():
    rule = get_rulebook("004_b4c2f06b7eb1ab1e").rule("arc.archive_30d")
    [spec] = archive_deadlines(rule, facts(rule.rulebook_id, ended=35, archiving=70, archived=None), on(71))
    assert timezone.localtime(spec.starts_at).date() == DAY0 + dt.timedelta(days=35)
    assert timezone.localtime(spec.due_at) == timezone.localtime(on(66, 0))
    assert spec.anchor == "执法行为终结之日（2025-02-05）"


def test_the_coverage_report_lists_every_deadline_with_its_anchor():
    report = {c.rulebook.id: c for c in all_coverage()}
    for book, article in ARTICLES.items():
        entries = {d["rule"]: d for d in report[book].deadlines}
        archive = entries["arc.archive_30d"]
        assert archive["anchor"] == "行政执法行为终结之日"
        assert archive["within"] == "30日"
        assert archive["article"] == article
        assert all(d["anchor"] for d in entries.values())
    upload = {d["rule"]: d for d in report["003_b6123a0950a37ec2"].deadlines}["av.upload_24h"]
    assert (upload["anchor"], upload["within"]) == ("音像记录制作完成", "24小时")
    supplementary = {d["rule"]: d for d in report["004_b4c2f06b7eb1ab1e"].deadlines}[
        "init.supplementary_deadline"
    ]
    assert "程序启动" in supplementary["anchor"]


def test_the_coverage_report_lists_the_explicit_no_limit_entries():
    # 002 sets no time limit for storing audio-visual records (its "no limit" entry cites
    # 第三十条); the others set 24 hours and have no such entry.
    report = {c.rulebook.id: c for c in all_coverage()}
    (entry,) = report["002_4fd6fddfbbebbad6"].no_limits
    assert entry["rule"] == "av.upload_no_limit"
    assert entry["article"].startswith("第三十条")
    assert "av.upload_24h" not in {d["rule"] for d in report["002_4fd6fddfbbebbad6"].deadlines}
    for book in ("001_985a08834cda7543", "003_b6123a0950a37ec2", "004_b4c2f06b7eb1ab1e"):
        assert report[book].no_limits == []
        assert "av.upload_24h" in {d["rule"] for d in report[book].deadlines}


ANCHORS = {
    "init.supplementary_deadline": ("24小时", "行政执法程序启动（情况紧急先行启动）"),
    "enf.correction_recheck": ("按期", "责令改正的期限届满（按期）"),
    "arc.archive_30d": ("30日", "行政执法行为终结之日"),
    "av.upload_24h": ("24小时", "音像记录制作完成"),
}
# Each regulation's deadlines and explicit "no limit" entries, article by article, as read
# from the texts (000 and 001 have no emergency start; 001 no re-check of a correction).
DEADLINES = {
    "000_9c8bbcda03c04eb4": {
        "enf.correction_recheck": "第二十二条第二款",
        "arc.archive_30d": "第二十六条",
        "av.upload_24h": "第二十六条第三款",
    },
    "001_985a08834cda7543": {"av.upload_24h": "第二十三条", "arc.archive_30d": "第二十八条"},
    "002_4fd6fddfbbebbad6": {
        "init.supplementary_deadline": "第六条",
        "enf.correction_recheck": "第二十六条第二款",
        "arc.archive_30d": "第三十条",
    },
    "003_b6123a0950a37ec2": {
        "init.supplementary_deadline": "第六条",
        "enf.correction_recheck": "第二十四条第二款",
        "arc.archive_30d": "第二十八条",
        "av.upload_24h": "第二十八条第三款",
    },
    "004_b4c2f06b7eb1ab1e": {
        "init.supplementary_deadline": "第九条",
        "enf.correction_recheck": "第二十一条第二款",
        "arc.archive_30d": "第二十五条",
        "av.upload_24h": "第二十五条第三款",
    },
}
NO_LIMITS = {"002_4fd6fddfbbebbad6": {"av.upload_no_limit": "第三十条"}}


def test_the_coverage_command_lists_each_regulations_deadlines_anchors_and_no_limit_entries():
    import json
    from io import StringIO

    from django.core.management import call_command

    from quanlu.rulebooks.loader import all_rulebooks

    out = StringIO()
    call_command("rulebooks", "coverage", "--format", "json", stdout=out)
    report = {c["rulebook"]: c for c in json.loads(out.getvalue())}
    assert set(report) == set(DEADLINES) == set(all_rulebooks())
    text = StringIO()
    call_command("rulebooks", "coverage", stdout=text)
    for book, expected in DEADLINES.items():
        listed = {d["rule"]: d for d in report[book]["deadlines"]}
        assert {r: d["article"] for r, d in listed.items()} == expected, book
        for rule_id, entry in listed.items():
            assert (entry["within"], entry["anchor"]) == ANCHORS[rule_id]
            assert entry["quote"]
            within, anchor = ANCHORS[rule_id]
            assert f"[期限] {rule_id}：{within}，自「{anchor}」起算（{entry['article']}：" in text.getvalue()
        # Every rule that opens a deadline and every "no limit" rule, read from the
        # rulebook itself, is in the report: none left out by the report's own tables.
        rules = all_rulebooks()[book][-1].rules
        assert {r.id for r in rules if r.kind.endswith("_deadline")} == set(listed), book
        no_limits = {d["rule"]: d["article"] for d in report[book]["no_limits"]}
        assert no_limits == NO_LIMITS.get(book, {}), book
        assert {r.id for r in rules if r.kind.startswith("no_")} == set(no_limits), book
        for rule_id in no_limits:
            assert f"[未设期限] {rule_id}（{no_limits[rule_id]}：" in text.getvalue()
