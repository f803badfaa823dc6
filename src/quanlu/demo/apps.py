from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data (`quanlu demo`): it composes every app's own demo loader, so it
    stands above them all, beside the API and the web pages."""

    name = "quanlu.demo"
    verbose_name = "演示数据"

    def ready(self) -> None:
        from quanlu.demo import events  # noqa: F401  (register event types)
