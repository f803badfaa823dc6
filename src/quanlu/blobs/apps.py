from django.apps import AppConfig


class BlobsConfig(AppConfig):
    name = "quanlu.blobs"
    verbose_name = "内容存储"

    def ready(self) -> None:
        from quanlu.blobs import integrity

        integrity.bind()  # which rows the ledger commits
