"""Real concurrent transactions (threads, each with its own connection)."""

import threading
import uuid

from django.db import connection, connections

from quanlu.cases import services
from quanlu.cases.models import Approval, ApprovalStep, Case
from quanlu.core.errors import DomainError
from quanlu.testing import factories as f


def run_together(*calls):
    """Start every call at the same moment; return (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def worker(call):
        try:
            barrier.wait()
            results.append(call())
        except DomainError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_two_approvers_on_the_same_step_exactly_one_wins(transactional_db):
    w = f.world()
    case = w.open_case()
    approval = w.request(case, "initiation")
    services.approval_grant(actor=w.reviewer, approval=approval, opinion="同意", signature_method="password")

    def sign(who):
        return lambda: services.approval_grant(
            actor=who, approval=approval, opinion="批准", signature_method="password", step_index=1
        )

    results, errors = run_together(sign(w.approver), sign(w.approver2))
    assert len(results) == 1
    assert len(errors) == 1
    assert errors[0].code in {"step_taken", "approval_closed"}
    assert ApprovalStep.objects.filter(approval=approval, index=1).count() == 1
    assert Approval.objects.get(pk=approval.pk).status == "granted"


def test_the_same_form_sent_twice_at_once_opens_one_case(transactional_db):
    w = f.world()
    token = uuid.uuid4()
    results, errors = run_together(*[lambda: w.open_case(client_token=token)] * 2)
    assert errors == []
    assert len({c.pk for c in results}) == 1
    assert Case.objects.count() == 1


def test_concurrent_openings_get_distinct_numbers(transactional_db):
    w = f.world()
    _results, errors = run_together(*[w.open_case] * 6)
    assert errors == []
    numbers = sorted(c.number for c in Case.objects.all())
    assert len(set(numbers)) == 6
    assert connection.vendor in ("sqlite", "postgresql")
