from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "quanlu.core"
    verbose_name = "基础"

    def ready(self) -> None:
        from quanlu.core import checks  # noqa: F401  (registers system checks)
