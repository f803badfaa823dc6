from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "quanlu.records"
    label = "records"
    verbose_name = "文字记录"

    def ready(self) -> None:
        from quanlu.records import facts, integrity

        integrity.bind()  # which rows the ledger commits
        facts.bind()  # the documents' facts and the catalogue, for the rules

        import logging

        from quanlu.records import checks, events  # noqa: F401  (register checks and event types)

        # WeasyPrint narrates every layout step at INFO; a server log needs none of it.
        for name in ("weasyprint", "fontTools", "pikepdf"):
            logging.getLogger(name).setLevel(logging.WARNING)
