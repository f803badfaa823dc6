from quanlu.ledger.types import event_type

PACKAGE_WRITTEN = event_type("archive:package:written", "写出档案包")
