from django.apps import AppConfig


class RulebooksConfig(AppConfig):
    """The rules engine: rulebooks as data, rule kinds as pure judges of a case's facts.
    It holds no models and imports no app; the apps provide the facts (``providers``)."""

    name = "quanlu.rulebooks"
    verbose_name = "规则集"
