from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "quanlu.access"
    label = "access"
    verbose_name = "查阅与保密"

    def ready(self) -> None:
        from quanlu.access import facts, integrity

        integrity.bind()  # which rows the ledger commits
        facts.bind()  # copies and marks, for the rules

        from quanlu.access import events  # noqa: F401  (register event types)
