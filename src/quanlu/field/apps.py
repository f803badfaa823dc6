from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "quanlu.field"
    verbose_name = "现场离线采集"

    def ready(self) -> None:
        from quanlu.field import integrity

        integrity.bind()  # which rows the ledger commits
