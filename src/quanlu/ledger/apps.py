from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "quanlu.ledger"
    verbose_name = "防篡改日志"

    def ready(self) -> None:
        from quanlu.ledger import integrity

        integrity.bind()  # which rows the ledger commits

        from django.conf import settings

        from quanlu.core import jobs
        from quanlu.ledger import checks, events  # noqa: F401  (register checks and event types)
        from quanlu.ledger.tasks import run_once, verify_and_alert

        jobs.register("ledger.integrate", every=settings.QUANLU_LEDGER_INTERVAL, func=run_once)
        jobs.register(
            "ledger.verify", every=settings.QUANLU_LEDGER_VERIFY_HOURS * 3600, func=verify_and_alert
        )
