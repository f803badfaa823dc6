from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "quanlu.cases"
    verbose_name = "案件"
