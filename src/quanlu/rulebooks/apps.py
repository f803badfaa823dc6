from django.apps import AppConfig


class RulebooksConfig(AppConfig):
    name = "quanlu.rulebooks"
    verbose_name = "规则集"
