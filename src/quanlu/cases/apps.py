from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "quanlu.cases"
    verbose_name = "案件"

    def ready(self) -> None:
        from quanlu.cases import facts, integrity

        integrity.bind()  # which rows the ledger commits
        facts.bind()  # the case's facts, for the rules
