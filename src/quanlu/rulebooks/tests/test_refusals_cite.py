"""Every refusal that an obligation of the regulation makes carries the rule's finding
(issue 18, item 1): rule id, regulation file, article, the article's words and what
would satisfy it — in the API body and on the page — where the evaluator would give
the same. Refusals the regulation does not make (a typo, a stale page, a role) cite
nothing.

Two walks: every required form field a rule of any rulebook asks (pure), and every
refusal the services can raise, read from their source (static): none may put an
article only in its message text, and each refusal built of findings names them.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from quanlu.core.errors import InvalidInput, Refused
from quanlu.records.catalogue import catalogue
from quanlu.records.fields import Context, _refuse_missing
from quanlu.rulebooks.loader import all_rulebooks
from quanlu.rulebooks.obligations import in_scope

SRC = Path(__file__).resolve().parents[2]
R001, R002 = "001_985a08834cda7543", "002_4fd6fddfbbebbad6"


def _case(rulebook_id: str) -> Any:
    # What ``rulebook_for`` reads of a case: no database.
    return SimpleNamespace(rulebook_id=rulebook_id, started_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC))


def _values(where: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for cond in where if isinstance(where, list) else ([where] if where else []):
        out[cond["field"]] = cond["in"][0] if "in" in cond else cond.get("equals", "x")
    return out


def _field_cases() -> list[Any]:
    out = []
    for book_id, versions in sorted(all_rulebooks().items()):
        for r in versions[-1].rules_of("document_fields_required"):
            for t in catalogue().types.values():
                if t.uploaded or not in_scope(r, t.code):
                    continue
                for spec in t.fields:
                    if spec.key in r.params["fields"] and spec.required:
                        out.append(
                            pytest.param(
                                book_id,
                                r.id,
                                t.code,
                                spec.key,
                                id=f"{book_id[:3]}-{r.id}-{t.code}-{spec.key}",
                            )
                        )
    return out


@pytest.mark.parametrize(("book_id", "rule_id", "code", "key"), _field_cases())
def test_a_required_field_a_rule_asks_is_refused_with_its_finding(book_id, rule_id, code, key):
    doc_type = catalogue().get(code)
    spec = next(s for s in doc_type.fields if s.key == key)
    rule = all_rulebooks()[book_id][-1].rule(rule_id)
    with pytest.raises(Refused) as exc:
        _refuse_missing(doc_type, spec, _values(rule.params.get("where")), Context(_case(book_id), book_id))
    finding = next(f for f in exc.value.findings if f.rule == rule_id)
    assert finding.article == rule.citation.label()
    assert finding.quote == rule.citation.quote
    assert finding.source == rule.citation.source
    assert finding.field == key
    assert finding.satisfy == f"填写「{spec.label}」。"
    assert exc.value.status == 422


def test_an_undated_internal_approval_opinion_cites_001_article_15_and_only_001():
    doc_type = catalogue().get("internal_approval_form")
    spec = next(s for s in doc_type.fields if s.key == "reviewer_date")
    with pytest.raises(Refused) as exc:
        _refuse_missing(doc_type, spec, {}, Context(_case(R001), R001))
    (finding,) = exc.value.findings
    assert (finding.rule, finding.article) == ("dec.internal_approval_dates", f"{R001}.txt 第十五条")
    assert "并分别载明签字日期" in finding.quote
    body = exc.value.as_dict()
    assert body["code"] == "field_required"
    assert body["details"][0]["field"] == "reviewer_date"
    # 002 asks no date per opinion: the catalogue's own form error, citing nothing.
    with pytest.raises(InvalidInput) as plain:
        _refuse_missing(doc_type, spec, {}, Context(_case(R002), R002))
    assert not isinstance(plain.value, Refused)
    assert plain.value.message == "「审核人签字日期」为必填项。"
    assert all("article" not in d for d in plain.value.details)


# ---------------------------------------------------------------- every refusal of the services

ERRORS = {"InvalidInput", "Conflict", "PermissionDenied", "NotFound", "DomainError", "Refused", "refusal"}
ARTICLE = re.compile(r"第[一二三四五六七八九十百]+条")


def _service_files() -> list[Path]:
    files = [*SRC.glob("*/services.py"), *SRC.glob("*/services/*.py")]
    files += [SRC / "records" / "fields.py", SRC / "media" / "services" / "intake.py"]
    return sorted(set(files))


def _text(node: ast.AST) -> str:
    """The literal text of a message (its f-string's constant parts)."""
    return "".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def _refusals() -> list[tuple[str, int, str, ast.Call]]:
    out = []
    for path in _service_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in ERRORS:
                out.append((str(path.relative_to(SRC)), node.lineno, name, node.exc))
    return out


# Refusals built of findings with an empty list: the workflow's own, no article makes them.
UNCITED_BY_DESIGN = {"transition_not_allowed"}


def _code(call: ast.Call) -> str:
    for kw in call.keywords:
        if kw.arg == "code" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return ""


def test_the_walk_finds_the_refusals_of_every_service():
    found = _refusals()
    assert len(found) > 150
    where = {p.split("/")[0] for p, *_ in found}
    assert {"cases", "records", "media", "access", "archive", "supervision", "devices", "org"} <= where


def test_no_refusal_puts_an_article_only_in_its_message_text():
    buried = [
        f"{path}:{line}"
        for path, line, name, call in _refusals()
        if name not in ("Refused", "refusal") and any(ARTICLE.search(_text(a)) for a in call.args)
    ]
    assert buried == []


def test_each_refusal_built_of_findings_names_them():
    empty = [
        f"{path}:{line}"
        for path, line, name, call in _refusals()
        if name == "Refused"
        and len(call.args) > 1
        and isinstance(call.args[1], ast.List)
        and not call.args[1].elts
        and _code(call) not in UNCITED_BY_DESIGN
    ]
    assert empty == []


# The obligation-based refusals, by their code: each is raised through ``refusal`` (or
# ``Refused`` with rule findings) in the module named, and tested both ways elsewhere.
OBLIGATIONS = {
    "field_required": "records/fields.py",  # 001 第十五条 and every document_fields_required rule
    "step_out_of_order": "cases/services/approvals.py",  # 004 第三十一条, 001 第十五条
    "same_person": "cases/services/approvals.py",  # 004 第三十一条
    "signers_short": "media/services/gaps.py",  # 001 第二十二条
    "delay_reason_not_allowed": "media/services/intake.py",  # 000/001/003/004 upload deadline
    "exemption_not_allowed": "media/services/exemptions.py",
    "written_reason_required": "media/services/exemptions.py",  # 004 第十四条
    "mode_not_provided": "access/services.py",
    "basis_required": "access/services.py",  # 004 第二十七条 refers to outside rules
    "due_at_required": "supervision/services.py",  # 责令限期整改
    "not_an_issuer": "supervision/services.py",
}


def test_every_obligation_refusal_is_raised_with_findings_where_named():
    codes: dict[str, set[str]] = {}
    for path, _, name, call in _refusals():
        if name in ("Refused", "refusal") and _code(call):
            codes.setdefault(_code(call), set()).add(path)
    for code, path in OBLIGATIONS.items():
        assert path in codes.get(code, set()), code
