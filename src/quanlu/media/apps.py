from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "quanlu.media"
    verbose_name = "音像记录"

    def ready(self) -> None:
        from quanlu.media import compliance  # noqa: F401  (registers the rule kind's evaluator)
