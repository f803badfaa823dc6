from django.apps import AppConfig


class RulebooksConfig(AppConfig):
    name = "quanlu.rulebooks"
    verbose_name = "规则集"

    def ready(self) -> None:
        from quanlu.rulebooks import integrity

        integrity.bind()  # which rows the ledger commits
