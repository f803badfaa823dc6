from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "quanlu.supervision"
    verbose_name = "执法监督"

    def ready(self) -> None:
        from quanlu.supervision import integrity

        integrity.bind()  # which rows the ledger commits

        from django.conf import settings

        from quanlu.core import jobs
        from quanlu.supervision.services import deadlines_sweep

        jobs.register(
            "supervision.deadlines_sweep", every=settings.QUANLU_SWEEP_SECONDS, func=deadlines_sweep
        )
