"""Gathering a case's facts: every provider asked, each table read once however many
documents, records and marks the case has (no query per document), and the facts the
rules judge are the case's own."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from quanlu.rulebooks.evaluator import evaluate
from quanlu.rulebooks.providers import gather, gather_many, providers
from quanlu.rulebooks.tests.walk import Walk
from quanlu.testing import factories as f


def queries_to_gather(case) -> int:
    with CaptureQueriesContext(connection) as ctx:
        gather(case)
    return len(ctx.captured_queries)


def test_every_app_provides_its_facts():
    assert {p.name for p in providers()} == {"cases", "records", "media", "access", "archive"}


def test_a_judgement_reads_each_table_once_however_many_documents(db):
    walk = Walk(f.world(f.R002))
    walk.make("inspection_transcript", officers=walk.officers(walk.w.officer, walk.w.officer2))
    walk.b.film(None)
    few = queries_to_gather(walk.case)
    for _ in range(3):
        walk.make("inspection_transcript", officers=walk.officers(walk.w.officer, walk.w.officer2))
        walk.b.film(None)
    assert queries_to_gather(walk.case) == few
    facts = gather(walk.case)
    assert len(facts.documents) == 4
    assert len(facts.media) == 4
    assert all(d.complete for d in facts.documents)
    assert all(e.certificate_valid for d in facts.documents for e in d.officers)
    # Judging every rule of the rulebook asks nothing more of the database.
    with CaptureQueriesContext(connection) as ctx:
        evaluate(facts)
    assert ctx.captured_queries == []


def test_many_cases_gathered_at_once_are_each_case_gathered_alone(db):
    walk = Walk(f.world(f.R002))
    walk.make("inspection_transcript", officers=walk.officers(walk.w.officer, walk.w.officer2))
    walk.b.film(None)
    other = walk.w.open_case(cause="另一案")
    cases = [walk.case, other]
    together = gather_many(cases)
    assert together == {c.pk: gather(c) for c in cases}
    assert len(together[walk.case.pk].documents) == 1
    assert together[other.pk].documents == ()
    with CaptureQueriesContext(connection) as ctx:
        gather_many(cases)
    third = walk.w.open_case(cause="第三案")
    with CaptureQueriesContext(connection) as more:
        gather_many([*cases, third])
    assert len(more.captured_queries) == len(ctx.captured_queries)
