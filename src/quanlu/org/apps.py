from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "quanlu.org"
    verbose_name = "机构与人员"

    def ready(self) -> None:
        from quanlu.org import integrity

        integrity.bind()  # which rows the ledger commits
