from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "quanlu.supervision"
    verbose_name = "执法监督"
