"""Citations as people read them, and how pages report a refused service call."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import Http404
from django.test import RequestFactory

from quanlu.core.errors import Finding, NotFound, Refused
from quanlu.records.catalogue import Citation as CatalogueCitation
from quanlu.rulebooks.loader import citation_label, get_rulebook
from quanlu.testing.factories import R004
from quanlu.web.pages import attempt
from quanlu.web.templatetags.web_tags import citation

BOOK = get_rulebook(R004)
ARTICLE = f"{BOOK.source} 第十三条"
TITLE = f"《{BOOK.title}》第十三条"


def test_an_article_is_labelled_with_the_regulation_title_not_its_file():
    assert citation_label(ARTICLE, R004) == TITLE
    assert citation_label(ARTICLE, "no-such-book") == ARTICLE  # never an error on a page


def test_the_filter_takes_findings_stored_articles_and_catalogue_citations():
    finding = Finding(rule="x", message="m", rulebook=R004, article=ARTICLE, quote="q")
    assert citation(finding) == TITLE
    assert citation(ARTICLE, R004) == TITLE
    assert citation(CatalogueCitation(source=BOOK.source, article="第十三条")) == TITLE
    assert citation(CatalogueCitation(source="other.txt", article="第一条")) == "other.txt 第一条"


def _request():
    request = RequestFactory().post("/")
    request.session = {}  # type: ignore[attr-defined]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def test_a_refusal_is_shown_in_chinese_with_the_titled_citation():
    request = _request()
    finding = Finding(rule="x", message="缺少文书。", rulebook=R004, article=ARTICLE, quote="签字或盖章")

    def refuse():
        raise Refused("不能进入下一阶段。", [finding])

    assert attempt(None, request, refuse) is None
    shown = [str(m) for m in get_messages(request)]
    assert shown == ["不能进入下一阶段。", f"缺少文书。（依据：{TITLE}「签字或盖章」）"]


def test_a_refusal_lists_each_finding_once_not_joined():
    request = _request()
    same = Finding(rule="x", message="缺少文书。", rulebook=R004, article=ARTICLE, quote="签字或盖章")
    other = Finding(rule="y", message="未载明「时间」。")

    def refuse():
        raise Refused(
            "不能进入下一阶段：缺少文书；未载明「时间」。", [same, same, other], headline="不能进入："
        )

    assert attempt(None, request, refuse) is None
    shown = [str(m) for m in get_messages(request)]
    assert shown == ["不能进入：", f"缺少文书。（依据：{TITLE}「签字或盖章」）", "未载明「时间」。"]
    assert not any("。；" in m for m in shown)


def test_what_the_officer_may_not_know_of_is_a_404():
    def missing():
        raise NotFound("没有这个案件。")

    with pytest.raises(Http404):
        attempt(None, _request(), missing)
