from django.apps import AppConfig


class FileReviewConfig(AppConfig):
    name = "quanlu.file_review"
    label = "file_review"
    verbose_name = "案卷评查"

    def ready(self) -> None:
        from quanlu.file_review import integrity

        integrity.bind()  # which rows the ledger commits
