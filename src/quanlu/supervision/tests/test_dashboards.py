"""驾驶舱: each reader sees their own tree and nothing else; the exported XLSX says what
/api/v1/statistics/agencies says for the same period; the PDF report names the agencies;
the periods are whole local days; the drill-down lists exactly the cases counted."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pikepdf
import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from quanlu.core.errors import InvalidInput
from quanlu.org.services import api_token_create
from quanlu.supervision.compliance import compliance_rebuild, findings_for
from quanlu.supervision.dashboards import PANELS, Chart, Column, Panel, Query, Row, Scope, Table, period_parse
from quanlu.supervision.services import rectification_order_issue
from quanlu.supervision.tests.test_deadlines import emergency
from quanlu.testing import factories as f

# Which part of the API's row each panel shows.
API_PART = {
    "cases_by_kind": "by_kind",
    "cases_by_procedure": "by_procedure",
    "cases_by_stage": "by_stage",
    "deadlines": "deadlines",
    "rectification": "rectification",
    "certificates": "certificates",
}


def page(who, url="/supervision/dashboard/", **params):
    client = Client()
    if who is not None:
        client.force_login(who)
    return client.get(url, params)


def test_each_reader_sees_their_tree_and_outsiders_are_refused(db):
    w = f.world(f.R001)
    w.open_case()
    seen = {
        who: page(getattr(w, who)).content.decode()
        for who in ("approver", "superior_supervisor", "justice_supervisor", "outsider")
    }
    # The agency head: their agency; the superior and the justice bureau: the subtree.
    assert w.agency.name in seen["approver"]
    assert w.superior.name not in seen["approver"]
    for who in ("superior_supervisor", "justice_supervisor"):
        assert w.agency.name in seen[who]
        assert w.superior.name in seen[who]
    assert all(w.other.name not in seen[who] for who in seen if who != "outsider")
    assert w.agency.name not in seen["outsider"]
    assert w.other.name in seen["outsider"]

    # One subtree, and what lies outside the reader's tree: 404, as the statistics API.
    sub = page(w.superior_supervisor, scope=str(w.agency.public_id)).content.decode()
    assert w.agency.name in sub
    assert f"{w.superior.name}</a>" not in sub
    alone = page(w.superior_supervisor, scope="own").content.decode()
    assert f"{w.superior.name}</a>" in alone
    assert f"{w.agency.name}</a>" not in alone
    uid = str(w.agency.public_id)
    assert page(w.outsider, scope=uid).status_code == 404
    assert page(w.outsider, "/supervision/dashboard/all.xlsx", scope=uid).status_code == 404
    assert page(w.outsider, "/supervision/dashboard/report.pdf", scope=uid).status_code == 404
    assert page(w.outsider, "/cases/", agency=uid).status_code == 404
    assert page(w.outsider, scope="not-an-id").status_code == 404
    assert page(w.approver, "/supervision/dashboard/nosuch.xlsx").status_code == 404
    anonymous = page(None)
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]
    # "Own agency" has no sense for a justice bureau: said so, not a blank page.
    own = page(w.justice_supervisor, scope="own")
    assert own.status_code == 400
    assert "本机关不是行政执法机关" in own.content.decode()


def test_bad_periods_are_refused_with_a_message_and_the_input_kept(db):
    w = f.world(f.R001)
    answer = page(w.approver, period="custom", since="2026-05-01", until="2026-04-01")
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "起始日期应不晚于截止日期" in body
    assert 'value="2026-05-01"' in body
    assert "应为日期" in page(w.approver, period="custom", since="5/1", until="2026-04-01").content.decode()
    bad = page(w.approver, "/supervision/dashboard/all.xlsx", period="decade")
    assert bad.status_code == 400
    assert "统计期间只能是" in bad.content.decode()


def test_periods_are_whole_local_days():
    today = dt.date(2026, 11, 15)
    month = period_parse({}, today)
    assert (month.first, month.last, month.label) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
        "2026年11月",
    )
    quarter = period_parse({"period": "quarter"}, today)
    assert (quarter.first, quarter.last) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter.label == "2026年第4季度"
    year = period_parse({"period": "year"}, dt.date(2026, 2, 1))
    assert (year.first, year.last) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    december = period_parse({"period": "month"}, dt.date(2026, 12, 31))
    assert december.last == dt.date(2026, 12, 31)
    custom = period_parse({"period": "custom", "since": "2026-03-01", "until": "2026-03-01"}, today)
    assert custom.until - custom.since == dt.timedelta(days=1)  # the last day is included
    assert timezone.localtime(custom.since).hour == 0
    with pytest.raises(InvalidInput):
        period_parse({"period": "custom", "since": "2000-01-01", "until": "2026-01-01"}, today)


def test_the_xlsx_says_what_the_api_says_for_the_same_period(db):
    w = f.world(f.R002)
    w.open_case()
    w.open_case(kind="inspection")
    w.open_case(procedure="simplified")
    rectification_order_issue(
        actor=w.superior_supervisor,
        agency=w.agency,
        findings="未全程记录。",
        requirements="补齐。",
        due_at=timezone.now() + dt.timedelta(days=5),
    )
    today = timezone.localdate()
    asked = {
        "period": "custom",
        "since": (today - dt.timedelta(days=3)).isoformat(),
        "until": today.isoformat(),
    }
    period = period_parse(asked)
    answer = page(w.superior_supervisor, "/supervision/dashboard/all.xlsx", **asked)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content))

    _, raw = api_token_create(actor=w.superior_supervisor, officer=w.superior_supervisor, label="t")
    api = Client().get(
        "/api/v1/statistics/agencies",
        {"since": period.since.isoformat(), "until": period.until.isoformat()},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert api.status_code == 200
    by_name = {r["agency"]["name"]: r for r in api.json()}
    assert set(by_name) == {w.agency.name, w.superior.name}
    assert by_name[w.agency.name]["cases"] == 3  # figures worth comparing
    assert set(book.sheetnames) == {p.title for p in PANELS.values()}
    for key, part in API_PART.items():
        panel = PANELS[key]
        cells = list(book[panel.title].iter_rows(values_only=True))
        header, rows, totals = cells[2], cells[3:-1], cells[-1]
        columns = _columns(w, key)
        keys = [c.key for c in columns]
        assert list(header[1:]) == [c.label for c in columns]
        assert {r[0] for r in rows} == set(by_name)
        for r in rows:
            assert dict(zip(keys, r[1:], strict=True)) == {k: by_name[r[0]][part][k] for k in keys}
        assert totals[0] == "合计"
        assert list(totals[1:]) == [sum(by_name[n][part][k] for n in by_name) for k in keys]

    # One panel alone, one sheet; a period before the cases counts none of them.
    one = page(
        w.superior_supervisor,
        "/supervision/dashboard/cases_by_kind.xlsx",
        period="custom",
        since="2020-01-01",
        until="2020-12-31",
    )
    sheet = load_workbook(io.BytesIO(one.content)).active
    assert sheet.title == PANELS["cases_by_kind"].title
    assert all(v == 0 for row in sheet.iter_rows(min_row=4, min_col=2, values_only=True) for v in row)


def _columns(w, key):
    query = Query(w.superior_supervisor, period_parse({}), Scope("tree", ""))
    return PANELS[key].data(query).columns


def test_the_pdf_report_names_the_agencies_and_its_figures(db, output_dir):
    w = f.world(f.R001)
    w.open_case()
    answer = page(w.justice_supervisor, "/supervision/dashboard/report.pdf", period="year")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    path = output_dir / "supervision-dashboard-report.pdf"  # kept, to be looked at
    path.write_bytes(answer.content)
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) >= 1
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert w.agency.name in flat
    assert w.superior.name in flat
    assert w.other.name not in flat
    assert "执法证件状态" in flat
    assert f"{timezone.localdate().year}年" in flat


def test_the_drill_down_lists_the_cases_counted(db):
    w = f.world(f.R001)
    counted = w.open_case(cause="期间内某公司案")
    sub = f.agency(reg=w.agency.region, rulebook=f.R001, parent=w.agency, name="下级测试执法大队")
    sub_officer = f.officer(sub, "officer", "handler", name="下级承办人")
    elsewhere = w.open_case(actor=sub_officer, cause="下级机关某案")
    body = page(w.superior_supervisor).content.decode()
    drill = f"/cases/?agency={w.agency.public_id}&amp;since="
    assert drill in body
    today = timezone.localdate().isoformat()
    listed = page(w.superior_supervisor, "/cases/", agency=str(w.agency.public_id), since=today, until=today)
    text = listed.content.decode()
    assert counted.number in text
    assert elsewhere.number not in text
    assert w.agency.name in text
    before = page(
        w.superior_supervisor,
        "/cases/",
        agency=str(w.agency.public_id),
        since="2020-01-01",
        until="2020-01-31",
    )
    assert counted.number not in before.content.decode()
    # The agency with one below it offers its subtree; the subtree's dashboard shows both.
    assert f"scope={w.agency.public_id}" in body
    subtree = page(w.superior_supervisor, scope=str(w.agency.public_id)).content.decode()
    assert sub.name in subtree
    assert w.agency.name in subtree
    bad = page(w.superior_supervisor, "/cases/", agency=str(w.agency.public_id), since="x", until="y")
    assert "应为日期" in bad.content.decode()
    assert counted.number in bad.content.decode()


def test_a_registered_panel_is_drawn_and_exported_even_when_its_rows_are_not_agencies(db, monkeypatch):
    w = f.world(f.R001)

    def by_rule(query):
        return Table(
            [Column("unmet", "不符合")], [Row(None, {"unmet": 2}, label="未全程记录", url="/cases/?q=x")]
        )

    panel = Panel("by_rule", "规则遵守情况", "按规则。", by_rule, Chart("bar"), rows_label="规则")
    monkeypatch.setitem(PANELS, "by_rule", panel)
    body = page(w.approver).content.decode()
    assert "规则遵守情况" in body
    assert '<a href="/cases/?q=x" class="drill">未全程记录</a>' in body
    sheet = load_workbook(io.BytesIO(page(w.approver, "/supervision/dashboard/by_rule.xlsx").content)).active
    assert list(sheet.iter_rows(min_row=3, values_only=True)) == [
        ("规则", "不符合"),
        ("未全程记录", 2),
        ("合计", 2),
    ]


# Each projection panel: its API path and the columns it shows of the API's rows.
PROJECTION_PANELS = {
    "av_coverage": ("coverage", ["recorded", "exempted", "missing"]),
    "uploads": ("uploads", ["on_time", "late_explained", "late", "no_limit"]),
    "archiving": ("archiving", ["on_time", "late", "overdue", "running"]),
}


def test_the_compliance_panels_say_what_the_statistics_api_says_and_a_rule_drills_to_its_cases(db):
    w = f.world(f.R002)
    # Two emergencies opened 30 h ago without the supplementary approval due in 24 h.
    cases = [emergency(w, 30), emergency(w, 30), w.open_case()]
    compliance_rebuild()  # a test's writes never commit, so the after-commit refresh waits
    today = timezone.localdate()
    asked = {
        "period": "custom",
        "since": (today - dt.timedelta(days=1)).isoformat(),
        "until": today.isoformat(),
    }
    period = period_parse(asked)
    book = load_workbook(
        io.BytesIO(page(w.superior_supervisor, "/supervision/dashboard/all.xlsx", **asked).content)
    )
    _, raw = api_token_create(actor=w.superior_supervisor, officer=w.superior_supervisor, label="t")

    def api(path):
        answer = Client().get(
            f"/api/v1/statistics/{path}",
            {"since": period.since.isoformat(), "until": period.until.isoformat()},
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )
        assert answer.status_code == 200
        return answer.json()

    def sheet_rows(key):
        cells = list(book[PANELS[key].title].iter_rows(values_only=True))
        return cells[3:-1], cells[-1]

    for key, (path, keys) in PROJECTION_PANELS.items():
        by_name = {r["agency"]["name"]: r for r in api(path)}
        rows, totals = sheet_rows(key)
        assert {r[0] for r in rows} == set(by_name) == {w.agency.name, w.superior.name}
        for r in rows:
            assert dict(zip(keys, r[1:], strict=True)) == {k: by_name[r[0]][k] for k in keys}
        assert list(totals[1:]) == [sum(by_name[n][k] for n in by_name) for k in keys]

    # Rules: the broken ones, each row an agency and its citation, figures as the API's.
    broken = [r for r in api("rules") if r["unmet"]]
    assert broken, "the late emergencies break a rule (else this test proves nothing)"
    rows, _ = sheet_rows("compliance_rules")
    shown = {r[0]: r[1:] for r in rows}
    for r in broken[: len(rows)]:
        assert shown[f"{r['agency']['name']} · {r['citation']} · {r['rule']}"] == (
            r["unmet"],
            r["met"],
            r["pending"],
        )
    # Stage durations: each agency's median days per stage, as the API says; a median does
    # not add up, so the total row is empty.
    durations, totals = sheet_rows("durations")
    medians = {(r["agency"]["name"], r["stage"]): r["median_days"] for r in api("durations")}
    stages = [c.key for c in _columns(w, "durations")]
    for r in durations:
        assert list(r[1:]) == [medians.get((r[0], stage)) for stage in stages]
    assert all(v is None for v in totals[1:])

    # The drill-down: agency and rule → the cases that broke it → a case's findings.
    rule = broken[0]["rule"]
    body = page(w.superior_supervisor, **asked).content.decode()
    assert f"rule={rule}" in body
    listed = page(
        w.superior_supervisor,
        "/cases/",
        agency=str(w.agency.public_id),
        since=asked["since"],
        until=asked["until"],
        rule=rule,
    ).content.decode()
    breaking = [c for c in cases if findings_for(c).filter(rule_id=rule, status="unmet").exists()]
    assert len(breaking) == broken[0]["unmet"]
    assert all(c.number in listed for c in breaking)
    assert f"<code>{rule}</code>" in listed
    none = page(w.superior_supervisor, "/cases/", rule="no.such.rule").content.decode()
    assert all(c.number not in none for c in cases)
    findings = page(w.superior_supervisor, f"/cases/{breaking[0].public_id}/").content.decode()
    assert broken[0]["citation"].split("》")[0] in findings
