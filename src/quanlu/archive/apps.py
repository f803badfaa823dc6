from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "quanlu.archive"
    label = "archive"
    verbose_name = "档案"

    def ready(self) -> None:
        from quanlu.archive import facts, integrity

        integrity.bind()  # which rows the ledger commits
        facts.bind()  # when the dossier was sealed, for the rules

        from quanlu.archive.services import closing_findings
        from quanlu.cases.services import CLOSING_CHECKS

        # A case closes only once its dossier is sealed (a system rule, for every rulebook).
        if closing_findings not in CLOSING_CHECKS:
            CLOSING_CHECKS.append(closing_findings)

        from quanlu.archive.locking import retain_closed
        from quanlu.cases.services import ON_CLOSED

        # Closing starts the retention clock: the object store's lock follows it.
        if retain_closed not in ON_CLOSED:
            ON_CLOSED.append(retain_closed)
