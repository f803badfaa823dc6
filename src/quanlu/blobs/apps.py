from django.apps import AppConfig


class BlobsConfig(AppConfig):
    name = "quanlu.blobs"
    verbose_name = "内容存储"
