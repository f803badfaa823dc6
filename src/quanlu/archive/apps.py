from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "quanlu.archive"
    label = "archive"
    verbose_name = "档案"
