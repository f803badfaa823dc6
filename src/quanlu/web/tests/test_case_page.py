"""The case page leads: findings name the record, cite the article in words (rule and
requirement ids only in a title attribute), link to their fix, are each listed once with
a count that agrees; the blocked move's button is disabled with its reasons; the
timeline shows labels, not codes."""

import datetime as dt
import re
from html.parser import HTMLParser

from django.test import Client
from django.utils import timezone

from quanlu.cases import services
from quanlu.cases.models import Stage
from quanlu.testing import factories as f
from quanlu.web.labels import label_of
from quanlu.web.tests.crawl import codes_in

RULE_ID = re.compile(r"\b[a-z_]+\.[a-z_]+\b|\b[A-Z]+-\d+\b")


class Section(HTMLParser):
    """The visible text of the element with ``id``, and its list items' texts."""

    def __init__(self, ident: str) -> None:
        super().__init__()
        self.ident, self.depth, self.text, self.items = ident, 0, [], []
        self._item: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += tag not in ("input", "br", "img", "meta", "link")
            if tag == "li":
                self._item = []
        elif dict(attrs).get("id") == self.ident:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            if tag == "li" and self._item is not None:
                self.items.append(" ".join("".join(self._item).split()))
                self._item = None
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)
            if self._item is not None:
                self._item.append(data)


def section(html: str, ident: str) -> Section:
    parser = Section(ident)
    parser.feed(html)
    return parser


def page(officer, case):
    client = Client()
    client.force_login(officer)
    response = client.get(f"/cases/{case.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_compliance_card_counts_what_it_lists_without_internal_ids(world):
    # Started in an emergency 30 hours ago and never approved: the 24-hour 补报 is overdue.
    case = services._case_open(
        actor=world.officer,
        at=timezone.now() - dt.timedelta(hours=30),
        emergency=True,
        emergency_reason="证据可能灭失",
        **f.CASE_DEFAULTS,
    )
    html = page(world.officer, case)
    card = section(html, "compliance")
    text = " ".join("".join(card.text).split())
    assert not RULE_ID.search(text), RULE_ID.findall(text)
    shown = re.search(r"(\d+) 项不符合（其中 (\d+) 项阻断）、(\d+) 项符合、(\d+) 项暂不适用", text)
    assert shown, text
    unmet = [i for i in card.items if i.startswith(("阻断", "提示"))]
    assert int(shown.group(1)) == len(unmet) >= 1
    # The missing approval leads to the request form, open on its gate.
    assert any(
        "?gate=initiation#approval-request" in a for a in re.findall(r'<a class="fix" href="([^"]+)"', html)
    )
    assert len(set(card.items)) == len(card.items)  # no sentence twice
    assert "依据 《" in text
    assert 'title="规则 ' in html  # the rule id kept for whoever hovers


def test_a_blocked_move_is_disabled_with_each_reason_and_its_fix(world):
    case = world.open_case()
    html = page(world.officer, case)
    advance = section(html, "advance")
    assert "disabled" in html[html.index('id="advance"') :].split("</section>")[0]
    reasons = advance.items
    assert reasons
    assert len(set(reasons)) == len(reasons)
    for reason in reasons:
        assert "《" in reason
        assert "›" in reason
        assert not RULE_ID.search(reason)
    assert f"还需完成以下 {len(reasons)} 项" in "".join(advance.text)
    # The outsider does not see the case; a supervisor sees it without the move.
    outsider = Client()
    outsider.force_login(world.outsider)
    assert outsider.get(f"/cases/{case.public_id}/").status_code == 404
    assert 'id="advance"' not in page(world.superior_supervisor, case)


def test_a_refused_move_is_a_list_not_one_joined_sentence(world):
    case = world.open_case()
    client = Client()
    client.force_login(world.officer)
    response = client.post(
        f"/cases/{case.public_id}/advance/",
        {"to_stage": "investigation", "from_stage": "initiation"},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert shown[0] == "不符合本机关规定，不能进入下一阶段："
    assert len(shown) > 1
    assert len(set(shown)) == len(shown)
    assert not any("。；" in m for m in shown)


def test_codes_have_chinese_labels():
    assert label_of("investigation") == "调查取证"
    assert label_of("equipment_failure") == "设备故障"
    assert label_of("继续调查") == "继续调查"
    assert label_of(None) is None


def test_the_timeline_shows_the_stage_by_its_label(world):
    case = world.open_case()
    world.grant_gate(case, "initiation")
    world.advance(case, Stage.INVESTIGATION)
    text = "".join(section(page(world.officer, case), "timeline").text)
    assert "：调查取证" in text
    assert codes_in(text) == []


def test_the_end_of_the_enforcement_act_is_recorded_and_corrected_on_the_case_page(world):
    case = world.open_case()
    assert "未记录" in "".join(section(page(world.officer, case), "act-end").text)
    client = Client()
    client.force_login(world.officer)
    url = f"/cases/{case.public_id}/act-end/"
    today = timezone.localdate()
    client.post(url, {"ended_on": today.isoformat(), "kind": "executed"})
    text = " ".join("".join(section(page(world.officer, case), "act-end").text).split())
    assert f"{today:%Y-%m-%d} · 执行完毕" in text
    # A correction without its reason is refused with the field named, and nothing is written.
    refused = client.post(url, {"ended_on": today.isoformat(), "kind": "concluded"}, follow=True)
    assert "更正理由" in refused.content.decode()
    assert case.act_ends.count() == 1
    client.post(url, {"ended_on": today.isoformat(), "kind": "concluded", "reason": "情形选错。"})
    text = " ".join("".join(section(page(world.officer, case), "act-end").text).split())
    assert "已更正" in text
    assert "情形选错。" in text
    outsider = Client()
    outsider.force_login(world.outsider)
    assert outsider.post(url, {"ended_on": today.isoformat(), "kind": "executed"}).status_code == 404
    assert case.act_ends.count() == 2
