from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "quanlu.devices"
    verbose_name = "音像记录设备"

    def ready(self) -> None:
        from quanlu.devices import integrity

        integrity.bind()  # which rows the ledger commits
