from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "quanlu.supervision"
    verbose_name = "执法监督"

    def ready(self) -> None:
        from quanlu.supervision import integrity

        integrity.bind()  # which rows the ledger commits

        from django.conf import settings

        from quanlu.cases.services import DEADLINE_KEEPERS
        from quanlu.core import jobs
        from quanlu.supervision.services import deadlines_sweep, deadlines_sync

        # The case workflow and media call this in the transaction of each change that can
        # open or meet a deadline; they do not import supervision.
        if deadlines_sync not in DEADLINE_KEEPERS:
            DEADLINE_KEEPERS.append(deadlines_sync)

        jobs.register(
            "supervision.deadlines_sweep", every=settings.QUANLU_SWEEP_SECONDS, func=deadlines_sweep
        )

        from quanlu.ledger.services import CASE_WATCHERS
        from quanlu.supervision.compliance import case_changed, compliance_refresh_due

        # Every event about a case queues the refresh of its compliance projection for
        # after the commit (supervision.compliance); deadlines falling due, the worker.
        if case_changed not in CASE_WATCHERS:
            CASE_WATCHERS.append(case_changed)
        jobs.register(
            "supervision.compliance_refresh_due",
            every=settings.QUANLU_SWEEP_SECONDS,
            func=compliance_refresh_due,
        )
