from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "quanlu.org"
    verbose_name = "机构与人员"
