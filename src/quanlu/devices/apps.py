from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "quanlu.devices"
    verbose_name = "音像记录设备"
