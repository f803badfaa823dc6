from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "quanlu.api"
    verbose_name = "接口"
