from quanlu.ledger.types import event_type

DEVICE_REGISTERED = event_type("device:device:registered", "登记音像记录设备")
DEVICE_CHECKED_OUT = event_type("device:device:checked_out", "领用音像记录设备")
DEVICE_RETURNED = event_type("device:device:returned", "交回音像记录设备（登记验收）")
DEVICE_INCIDENT = event_type("device:incident:recorded", "记录设备故障、维修、丢失或损毁")
