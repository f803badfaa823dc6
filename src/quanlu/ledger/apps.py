from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "quanlu.ledger"
    verbose_name = "防篡改日志"
