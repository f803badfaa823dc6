"""Every refusal that an obligation of the regulation makes carries the rule's finding
(issue 18, item 1): rule id, regulation file, article, the article's words and what
would satisfy it — in the API body and on the page — where the evaluator would give
the same. Refusals the regulation does not make (a typo, a stale page, a role) cite
nothing.

Two walks: every required form field a rule of any rulebook asks (pure), and every
refusal the code can raise — services, form validation, pages and API handlers — read
from the source (static). Each is either built of a rule's findings (``refusal`` or
``Refused``), and then its code is an obligation named below with the tests that show it
both ways, or it is one no article makes, listed in ``system_refusals.txt``. A new
refusal that is neither fails here, as does one that puts an article only in its text.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections import Counter
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


# ---------------------------------------------------------------- every refusal of the code

ERRORS = {"InvalidInput", "Conflict", "PermissionDenied", "NotFound", "DomainError", "Refused", "refusal"}
ERRORS |= {"ValidationError", "HttpError"}  # Django forms, Ninja handlers
ARTICLE = re.compile(r"第[一二三四五六七八九十百]+条")
LEDGER = Path(__file__).with_name("system_refusals.txt")


def _modules() -> list[Path]:
    """Every module that can refuse: all of the code but tests and migrations."""
    return sorted(p for p in SRC.rglob("*.py") if not {"tests", "migrations"} & set(p.relative_to(SRC).parts))


def _text(node: ast.AST) -> str:
    """The literal text of a message (its f-string's constant parts)."""
    return "".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def _message(call: ast.Call, name: str) -> list[ast.expr]:
    if name == "add_error":  # form.add_error(field, message)
        return call.args[1:2]
    return [*call.args[:1], *(k.value for k in call.keywords if k.arg == "message")]


def _refusals() -> list[tuple[str, int, str, ast.Call]]:
    out = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                call = node.exc
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_error":
                call = node
            else:
                continue
            func = call.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in ERRORS or name == "add_error":
                out.append((str(path.relative_to(SRC)), node.lineno, name, call))
    return out


def _code(call: ast.Call) -> str:
    for kw in call.keywords:
        if kw.arg == "code" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return ""


def _cited(name: str, call: ast.Call) -> bool:
    """Built of findings: through ``refusal``, or ``Refused`` with a list not left empty."""
    if name == "refusal":
        return True
    findings = call.args[1] if name == "Refused" and len(call.args) > 1 else None
    return findings is not None and not (isinstance(findings, ast.List) and not findings.elts)


def _key(path: str, name: str, call: ast.Call) -> str:
    text = "".join(_text(m) for m in _message(call, name)).replace("\n", " ")
    return "\t".join((path, name, _code(call), text)).rstrip()


# Refusals built of findings with an empty list: the workflow's own, no article makes them.
UNCITED_BY_DESIGN = {"transition_not_allowed"}

# Refusals built of the evaluator's findings (every unmet blocking rule of the move, the
# dossier or the export), or of the archive's own checks: cited by construction.
OF_THE_EVALUATOR = {"", "dossier_incomplete", "checks_failed", "disposal_refused", "not_pdfa"}

# The obligation-based refusals, by their code: the module that raises each through
# ``refusal`` (or ``Refused`` with the rule's findings), and the tests that show it on a
# regulation that asks it (its article and quote) and on one that does not.
OBLIGATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "field_required": (  # 001 第十五条 and every document_fields_required rule
        "records/fields.py",
        (
            "rulebooks/tests/test_refusals_cite.py::test_a_required_field_a_rule_asks_is_refused_with_its_finding",
            "rulebooks/tests/test_refusals_cite.py::test_an_undated_internal_approval_opinion_cites_001_article_15_and_only_001",
            "web/tests/test_refusals_cited.py::test_an_undated_opinion_is_refused_citing_001_article_15_over_the_api",
        ),
    ),
    "step_out_of_order": (  # 004 第三十一条, 001 第十五条
        "cases/services/approvals.py",
        (
            "web/tests/test_refusals_cited.py::test_an_approver_before_the_reviewer_is_told_the_article_on_the_page_and_over_the_api",
            "cases/tests/test_approvals.py::test_the_chain_is_handler_reviewer_approver_each_signed_in_order",
        ),
    ),
    "same_person": (  # the approval step, and the internal approval form that records it
        "cases/services/approvals.py",
        (
            "cases/tests/test_approvals.py::test_one_person_signing_two_steps_of_the_decision_chain_is_told_the_article",
            "web/tests/test_refusals_cited.py::test_one_person_signing_two_steps_of_the_approval_form_is_told_the_chains_article",
        ),
    ),
    "signers_short": (  # 001 第二十二条
        "media/services/gaps.py",
        (
            "web/tests/test_refusals_cited.py::test_a_written_interruption_statement_with_one_signer_shows_001_article_22",
        ),
    ),
    "delay_reason_not_allowed": (  # the upload deadline's circumstances; 002 sets none
        "media/services/intake.py",
        (
            "media/tests/test_ingest.py::test_the_exception_is_refused_where_the_rulebook_has_none_and_002_has_no_deadline",
        ),
    ),
    "exemption_not_allowed": (
        "media/services/exemptions.py",
        (
            "media/tests/test_exemptions.py::test_a_step_whose_recording_has_no_exemption_clause_is_refused_citing_it",
        ),
    ),
    "written_reason_required": (  # 004 第十四条
        "media/services/exemptions.py",
        (
            "rulebooks/tests/test_differences.py::test_an_exemption_without_written_reason_is_enough_except_in_004",
        ),
    ),
    "mode_not_provided": (
        "access/services.py",
        (
            "access/tests/test_copy_requests.py::test_inspection_only_where_the_regulation_has_it_and_a_basis_where_it_names_no_approver",
        ),
    ),
    "basis_required": (
        "access/services.py",
        (
            "access/tests/test_copy_requests.py::test_inspection_only_where_the_regulation_has_it_and_a_basis_where_it_names_no_approver",
        ),
    ),
    "not_approved": (
        "access/services.py",
        (
            "access/tests/test_copy_requests.py::test_a_refused_request_is_never_fulfilled_and_a_refusal_needs_a_reason",
        ),
    ),
    "due_at_required": (  # 责令限期整改
        "supervision/services.py",
        ("supervision/tests/test_rectification.py::test_due_date_required_under_002_but_not_001",),
    ),
    "not_an_issuer": (
        "supervision/services.py",
        ("supervision/tests/test_rectification.py::test_justice_bureau_may_not_order_under_001",),
    ),
    "notice_required": (  # 实名投诉举报不启动 (004 第十条)
        "cases/services/intake.py",
        (
            "cases/tests/test_parties.py::test_a_named_complaint_not_taken_up_records_how_the_complainant_was_told",
        ),
    ),
    "items_required": (  # 一次性告知 (002 第五条, 004 第八条)
        "cases/services/intake.py",
        (
            "cases/tests/test_parties.py::test_a_supplement_notice_listing_nothing_cites_the_one_time_notice_where_the_text_asks_it",
        ),
    ),
    "no_filing_body": (  # 004 第三十二条
        "supervision/filing.py",
        (
            "supervision/tests/test_filing.py::test_without_a_same_level_justice_bureau_the_filing_is_refused_naming_the_article",
        ),
    ),
    "not_a_liability_body": (
        "supervision/liability.py",
        ("supervision/tests/test_liability.py::test_only_the_bodies_the_regulation_names_may_open",),
    ),
    "ground_not_listed": (  # each regulation's own list of liability grounds
        "supervision/liability.py",
        (
            "supervision/tests/test_liability.py::test_grounds_persons_and_evidence_are_checked_and_nothing_is_half_written",
        ),
    ),
}


def test_the_walk_finds_the_refusals_of_the_whole_code():
    found = _refusals()
    assert len(found) > 500
    where = {p.split("/")[0] for p, *_ in found}
    assert {
        "cases",
        "records",
        "media",
        "access",
        "archive",
        "supervision",
        "devices",
        "org",
        "field",
    } <= where
    assert any(name == "add_error" for _, _, name, _ in found)  # the pages' form errors too


def test_no_refusal_puts_an_article_only_in_its_message_text():
    # Neither the words (第X条) nor a rule's citation formatted into the message.
    buried = [
        f"{path}:{line}"
        for path, line, name, call in _refusals()
        if not _cited(name, call)
        for m in _message(call, name)
        if ARTICLE.search(_text(m))
        or any(isinstance(n, ast.Attribute) and n.attr == "citation" for n in ast.walk(m))
    ]
    assert buried == []


def test_each_refusal_built_of_findings_names_them():
    empty = [
        f"{path}:{line}"
        for path, line, name, call in _refusals()
        if name == "Refused" and not _cited(name, call) and _code(call) not in UNCITED_BY_DESIGN
    ]
    assert empty == []


def test_every_refusal_is_either_an_obligation_with_its_findings_or_listed_as_the_systems_own():
    """A refusal no rule's finding builds must be one no article makes: listed, with the
    others of its module, in system_refusals.txt (kept exact both ways)."""
    raised = Counter(_key(path, name, call) for path, _, name, call in _refusals() if not _cited(name, call))
    lines = LEDGER.read_text(encoding="utf-8").splitlines()
    listed = Counter(line.rstrip() for line in lines if line.strip() and not line.startswith("#"))
    new, gone = raised - listed, listed - raised
    assert not new, "cite the rule (obligations.refusal) or list as no article's:\n" + "\n".join(new)
    assert not gone, "no longer raised; take out of system_refusals.txt:\n" + "\n".join(gone)


def test_the_cited_refusals_are_the_obligations_named_here_and_where_named():
    codes: dict[str, set[str]] = {}
    for path, _, name, call in _refusals():
        if _cited(name, call) and name in ("Refused", "refusal"):
            codes.setdefault(_code(call), set()).add(path)
    assert set(codes) == set(OBLIGATIONS) | OF_THE_EVALUATOR
    for code, (path, _) in OBLIGATIONS.items():
        assert path in codes[code], code


@pytest.mark.parametrize("code", sorted(OBLIGATIONS))
def test_each_obligation_refusal_is_shown_by_the_tests_named(code):
    for ref in OBLIGATIONS[code][1]:
        file, func = ref.split("::")
        tree = ast.parse((SRC / file).read_text(encoding="utf-8"))
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert func in names, ref


def test_every_rule_selector_of_obligations_refuses_somewhere():
    """Each helper of obligations.py that finds the rules asking something is called
    where a refusal is raised (a selector left unused would be an obligation unenforced)."""
    source = (SRC / "rulebooks" / "obligations.py").read_text(encoding="utf-8")
    selectors = {
        n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name.endswith("_rules")
    }
    assert {"field_rules", "chain_rules", "form_chain_rules", "supplement_notice_rules"} <= selectors
    callers = {
        path: path_text
        for path in {p for p, *_ in _refusals() if p != "rulebooks/obligations.py"}
        for path_text in [(SRC / path).read_text(encoding="utf-8")]
    }
    for selector in selectors:
        assert any(f"{selector}(" in text and "refusal(" in text for text in callers.values()), selector
