from quanlu.core import jobs


def test_due_jobs_run_at_their_interval_and_failures_do_not_stop_others(db, monkeypatch, caplog):
    monkeypatch.setattr(jobs, "_JOBS", {})
    calls = []
    jobs.register("a", every=10, func=lambda: calls.append("a"))

    def boom():
        raise RuntimeError("kaput")

    jobs.register("b", every=5, func=boom)
    assert jobs.run_due(now=100) == ["a", "b"]
    assert jobs.run_due(now=104) == []
    assert jobs.run_due(now=105) == ["b"]
    assert jobs.run_due(now=110) == ["a", "b"]
    assert calls == ["a", "a"]
    assert "job b failed" in caplog.text
