from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "quanlu.web"
    verbose_name = "网页"
