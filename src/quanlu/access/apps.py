from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "quanlu.access"
    label = "access"
    verbose_name = "查阅与保密"

    def ready(self) -> None:
        from quanlu.access import integrity

        integrity.bind()  # which rows the ledger commits

        from quanlu.access import events  # noqa: F401  (register event types)
