"""驾驶舱 (dashboards) for an agency head, a superior agency and a justice bureau.

A dashboard is a list of panels over one period and one scope. Each panel is a data
function (``Query`` → ``Table``: one row per agency — or per rule, per article — and a column per figure)
and a chart spec; the page draws every registered panel the same way (an ECharts chart
and the table under it), exports any table to XLSX and all of them to a PDF report. A new
figure is a new ``register(Panel(...))`` — nothing else changes.

Who sees what is ``visible_agencies`` (through ``statistics_for``): an agency head their
own agency (and any below it), a superior agency its subtree, a justice bureau every
enforcement agency of its region.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from quanlu.cases.models import EnforcementKind, Procedure, Stage
from quanlu.core.errors import InvalidInput, NotFound
from quanlu.org.models import Agency, AgencyKind, Officer
from quanlu.org.selectors import visible_agencies
from quanlu.supervision.statistics import (
    archive_timeliness,
    av_coverage,
    compliance_by_article,
    compliance_by_rule,
    stage_durations,
    statistics_for,
    upload_timeliness,
)

# ---------------------------------------------------------------- the period

PERIODS = (("month", "本月"), ("quarter", "本季度"), ("year", "本年"), ("custom", "自定义"))
CUSTOM_MAX_DAYS = 3660  # ten years: longer is a typing mistake, not a question


@dataclass(frozen=True)
class Period:
    """Whole local days ``first``..``last`` (both included)."""

    key: str
    first: dt.date
    last: dt.date

    @property
    def since(self) -> dt.datetime:
        return _midnight(self.first)

    @property
    def until(self) -> dt.datetime:
        """Exclusive, as ``statistics_for`` and the API take it."""
        return _midnight(self.last + dt.timedelta(days=1))

    @property
    def label(self) -> str:
        f, last = self.first, self.last
        if self.key == "month":
            return f"{f.year}年{f.month}月"
        if self.key == "quarter":
            return f"{f.year}年第{(f.month - 1) // 3 + 1}季度"
        if self.key == "year":
            return f"{f.year}年"
        return f"{f.year}年{f.month}月{f.day}日至{last.year}年{last.month}月{last.day}日"

    def params(self) -> dict[str, str]:
        if self.key == "custom":
            return {"period": "custom", "since": self.first.isoformat(), "until": self.last.isoformat()}
        return {"period": self.key}


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _date(value: str, label: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(f"「{label}」应为日期，如 2026-01-31。", field_name=name) from exc


def period_parse(params: Mapping[str, str], today: dt.date | None = None) -> Period:
    """The period a dashboard's query string asks for; this month when it asks for none."""
    today = today or timezone.localdate()
    key = params.get("period") or "month"
    if key == "month":
        return Period(key, today.replace(day=1), _month_end(today.year, today.month))
    if key == "quarter":
        start = (today.month - 1) // 3 * 3 + 1
        return Period(key, dt.date(today.year, start, 1), _month_end(today.year, start + 2))
    if key == "year":
        return Period(key, dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
    if key != "custom":
        raise InvalidInput("统计期间只能是本月、本季度、本年或自定义。", field_name="period")
    first = _date(params.get("since") or "", "起始日期", "since")
    last = _date(params.get("until") or "", "截止日期", "until")
    if first > last:
        raise InvalidInput("起始日期应不晚于截止日期。", field_name="since")
    if (last - first).days > CUSTOM_MAX_DAYS:
        raise InvalidInput("统计期间不能超过十年。", field_name="until")
    return Period(key, first, last)


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


# ---------------------------------------------------------------- the scope


@dataclass(frozen=True)
class Scope:
    """``tree``: every agency the reader may see; ``own``: their own agency alone;
    an agency's public id: that agency and those below it."""

    key: str
    label: str
    within: Agency | None = None
    only: Agency | None = None


def scope_choices(officer: Officer) -> list[tuple[str, str]]:
    choices = [("tree", "全部可见机关")]
    own = officer.agency
    if own is not None and own.kind == AgencyKind.ENFORCEMENT:
        choices.append(("own", f"本机关（{own.name}）"))
    # Only agencies with another agency below them: a leaf is the "own" choice or a row.
    agencies = list(visible_agencies(officer).filter(kind=AgencyKind.ENFORCEMENT).order_by("path"))
    parents = {a.parent_id for a in agencies}
    choices += [(str(a.public_id), f"{a.name}及下级") for a in agencies if a.pk in parents]
    return choices


def scope_parse(officer: Officer, value: str) -> Scope:
    """NotFound for an agency the reader may not see, as the statistics API answers."""
    own = officer.agency
    if not value or value == "tree":
        return Scope("tree", "全部可见机关")
    if value == "own":
        if own is None or own.kind != AgencyKind.ENFORCEMENT:
            raise InvalidInput("本机关不是行政执法机关，请选择下级机关。", field_name="scope")
        return Scope("own", own.name, within=own, only=own)  # within: read only its subtree
    try:
        public_id = uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("没有这个机关。") from exc
    agency = visible_agencies(officer).filter(public_id=public_id).first()
    if agency is None:
        raise NotFound("没有这个机关。")
    return Scope(str(agency.public_id), f"{agency.name}及下级", within=agency)


# ---------------------------------------------------------------- panels


@dataclass
class Query:
    officer: Officer
    period: Period
    scope: Scope

    @cached_property
    def statistics(self) -> list[dict[str, Any]]:
        """``statistics_for``'s rows, read once for every panel built on them."""
        rows = statistics_for(
            self.officer, since=self.period.since, until=self.period.until, within=self.scope.within
        )
        if self.scope.only is not None:
            rows = [r for r in rows if r["agency"].pk == self.scope.only.pk]
        return rows

    def params(self) -> dict[str, str]:
        return {**self.period.params(), "scope": self.scope.key}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    color: str = ""
    # A link to the cases behind a cell: the case list's filter for this column.
    case_filter: dict[str, str] = field(default_factory=dict)
    # Counts add up across rows; a median or a rate does not, and shows no total.
    summed: bool = True


@dataclass
class Row:
    """One agency's figures; or, for a panel whose rows are not agencies (a rule, an
    article), a ``label`` and the ``url`` its drill-down goes to."""

    agency: Agency | None
    values: dict[str, float | None]
    label: str = ""
    url: str = ""

    @property
    def name(self) -> str:
        return self.agency.name if self.agency is not None else self.label


@dataclass
class Table:
    columns: list[Column]
    rows: list[Row]

    def totals(self) -> dict[str, float | None]:
        return {
            c.key: sum(r.values.get(c.key) or 0 for r in self.rows) if c.summed else None
            for c in self.columns
        }

    def lines(self) -> list[tuple[str, list[float | None]]]:
        """The rows' names and figures in the columns' order (templates cannot look a key up)."""
        return [(r.name, [r.values.get(c.key, 0) for c in self.columns]) for r in self.rows]

    def total_line(self) -> list[float | None]:
        totals = self.totals()
        return [totals[c.key] for c in self.columns]


@dataclass(frozen=True)
class Chart:
    """``bar``: one bar per column side by side; ``stack``: the columns stacked."""

    kind: str = "stack"


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    note: str
    data: Callable[[Query], Table]
    chart: Chart = Chart()
    rows_label: str = "机关"  # the first column's header: what a row is
    empty: str = "范围内没有行政执法机关。"  # said instead of a chart when there is no row


PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> Panel:
    PANELS[panel.key] = panel
    return panel


def _from_statistics(part: str, columns: list[Column]) -> Callable[[Query], Table]:
    def data(query: Query) -> Table:
        return Table(columns, [Row(r["agency"], dict(r[part])) for r in query.statistics])

    return data


# Colours agreed with the deadline tags of the other pages: red overdue, amber warning.
RED, AMBER, GREEN, BLUE, GREY = "#c62828", "#f9a825", "#2e7d32", "#1565c0", "#78909c"

# The panels on statistics_for's figures: key, title, note, the row's part, its columns, chart.
STATISTICS_PANELS: tuple[tuple[str, str, str, str, list[Column], str], ...] = (
    (
        "cases_by_kind",
        "案件数：按执法类别",
        "按程序启动时间计入期间。",
        "by_kind",
        [Column(v, str(label)) for v, label in EnforcementKind.choices],
        "stack",
    ),
    (
        "cases_by_procedure",
        "案件数：按程序",
        "按程序启动时间计入期间。",
        "by_procedure",
        [Column(v, str(label)) for v, label in Procedure.choices],
        "stack",
    ),
    (
        "cases_by_stage",
        "案件数：按所处阶段",
        "期间内启动的案件现在所处的阶段。",
        "by_stage",
        [Column(v, str(label), case_filter={"stage": v}) for v, label in Stage.choices],
        "stack",
    ),
    (
        "deadlines",
        "期限：红牌、黄牌与逾期完成",
        "按到期时间计入期间。红牌为已到期未完成，黄牌为即将到期。",
        "deadlines",
        [
            Column("red", "红牌（逾期未完成）", RED),
            Column("yellow", "黄牌（即将到期）", AMBER),
            Column("met_late", "逾期完成", GREY),
            Column("met_on_time", "按期完成", GREEN),
            Column("open", "未完成合计", BLUE),
        ],
        "bar",
    ),
    (
        "rectification",
        "整改通知：未结与逾期",
        "按下达时间计入期间；通过审查的为已结。",
        "rectification",
        [Column("issued", "下达", BLUE), Column("open", "未结", AMBER), Column("overdue", "逾期未结", RED)],
        "bar",
    ),
    (
        "certificates",
        "执法证件状态",
        "在职人员的执法证件，截至今日（不受期间影响）。",
        "certificates",
        [
            Column("holders", "持证", GREEN),
            Column("expiring", "30日内到期", AMBER),
            Column("expired", "已过期", RED),
            Column("suspended", "暂扣或吊销", GREY),
        ],
        "bar",
    ),
)
for _key, _title, _note, _part, _columns, _chart in STATISTICS_PANELS:
    register(Panel(_key, _title, _note, _from_statistics(_part, _columns), Chart(_chart)))


def cases_url(query: Query, agency_id: str, **extra: str) -> str:
    """The case list behind a figure: one agency's cases whose procedure started in the
    period (how every case figure counts), narrowed by ``extra`` (a stage, a rule)."""
    period = query.period
    params = {"agency": agency_id, "since": period.first.isoformat(), "until": period.last.isoformat()}
    return f"{reverse('web:cases')}?{urlencode({**params, **extra})}"


def _in_scope(query: Query, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if query.scope.only is None:
        return rows
    return [r for r in rows if r["agency"].pk == query.scope.only.pk]


def _figures(query: Query, figure: Callable[..., list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = figure(
        query.officer, since=query.period.since, until=query.period.until, within=query.scope.within
    )
    return _in_scope(query, rows)


def _per_agency(
    figure: Callable[..., list[dict[str, Any]]], columns: list[Column]
) -> Callable[[Query], Table]:
    def data(query: Query) -> Table:
        return Table(
            columns, [Row(r["agency"], {c.key: r[c.key] for c in columns}) for r in _figures(query, figure)]
        )

    return data


# The rules broken most: a row per agency and rule, drilling to the agency's cases that
# broke it (the case list filtered by the rule), from which a case shows the finding.
TOP_RULES = 20


def _rules(query: Query) -> Table:
    columns = [
        Column("unmet", "不符合的案件", RED),
        Column("met", "符合的案件", GREEN),
        Column("pending", "尚未到期", GREY),
    ]
    rows = [r for r in _figures(query, compliance_by_rule) if r["unmet"]][:TOP_RULES]
    return Table(
        columns,
        [
            Row(
                None,
                {c.key: r[c.key] for c in columns},
                # The rule's id too: one article may hold several rules.
                label=f"{r['agency'].name} · {r['citation']} · {r['rule']}",
                url=cases_url(query, str(r["agency"].public_id), rule=r["rule"]),
            )
            for r in rows
        ],
    )


def _articles(query: Query) -> Table:
    """By article across the scope: the same article of one regulation, summed over
    the agencies under it (a case counts once per agency, agencies are disjoint)."""
    columns = [Column("unmet", "有不符合的案件", RED), Column("kept", "全部符合的案件", GREEN)]
    summed: dict[str, dict[str, float | None]] = {}
    for r in _figures(query, compliance_by_article):
        into = summed.setdefault(r["citation"], {"unmet": 0, "kept": 0})
        for key in ("unmet", "kept"):
            into[key] = (into[key] or 0) + r[key]
    ranked = sorted(summed.items(), key=lambda kv: -(kv[1]["unmet"] or 0))[:TOP_RULES]
    return Table(columns, [Row(None, values, label=citation) for citation, values in ranked])


def _durations(query: Query) -> Table:
    columns = [Column(v, f"{label}（中位天数）", summed=False) for v, label in Stage.choices]
    by_agency: dict[int, Row] = {}
    for r in _figures(query, stage_durations):
        row = by_agency.setdefault(r["agency"].pk, Row(r["agency"], {}))
        row.values[r["stage"]] = r["median_days"]
    return Table(columns, list(by_agency.values()))


register(
    Panel(
        "compliance_rules",
        "最常不符合的规则",
        f"期间内启动的案件按所适用规定检查的结果，不符合最多的前 {TOP_RULES} 项；点击查看不符合的案件。",
        _rules,
        Chart("bar"),
        rows_label="机关 · 依据",
        empty="期间内启动的案件没有不符合的规则。",
    )
)
register(
    Panel(
        "compliance_articles",
        "条款符合情况",
        "同一规定的同一条款在范围内各机关合计；一件案件有一项规则不符合即计入「有不符合」。",
        _articles,
        Chart("stack"),
        rows_label="依据",
        empty="期间内启动的案件尚无检查结果。",
    )
)
register(
    Panel(
        "av_coverage",
        "音像记录覆盖",
        "规定应当音像记录的环节：已有记录、依规定免于记录、两者皆无。",
        _per_agency(
            av_coverage,
            [
                Column("recorded", "已音像记录", GREEN),
                Column("exempted", "依规定免录", GREY),
                Column("missing", "缺少记录", RED),
            ],
        ),
        Chart("stack"),
    )
)
register(
    Panel(
        "uploads",
        "音像记录存储及时性",
        "按存储时间计入期间：在规定时限内存储、逾期（有无说明理由）、规定未设时限。",
        _per_agency(
            upload_timeliness,
            [
                Column("on_time", "按时存储", GREEN),
                Column("late_explained", "逾期并说明理由", AMBER),
                Column("late", "逾期合计", RED),
                Column("no_limit", "未设时限", GREY),
            ],
        ),
        Chart("bar"),
    )
)
register(
    Panel(
        "archiving",
        "立卷归档及时性",
        "归档期限（自执法行为终结之日起算）按到期时间计入期间。",
        _per_agency(
            archive_timeliness,
            [
                Column("on_time", "按期归档", GREEN),
                Column("late", "逾期归档", GREY),
                Column("overdue", "逾期未归档", RED),
                Column("running", "期限未届满", BLUE),
            ],
        ),
        Chart("stack"),
    )
)
register(
    Panel(
        "durations",
        "各阶段办理用时",
        "期间内启动的案件已完成的各阶段停留天数中位数（仍在该阶段的不计）。",
        _durations,
        Chart("bar"),
    )
)


def tables_for(query: Query, keys: list[str] | None = None) -> list[tuple[Panel, Table]]:
    return [(p, p.data(query)) for k, p in PANELS.items() if keys is None or k in keys]


def chart_data(panel: Panel, table: Table) -> dict[str, Any]:
    """What the page's script needs to draw the chart (passed with json_script)."""
    return {
        "key": panel.key,
        "kind": panel.chart.kind,
        "categories": [r.name for r in table.rows],
        "series": [
            {"name": c.label, "color": c.color, "data": [r.values.get(c.key, 0) for r in table.rows]}
            for c in table.columns
        ],
    }
