from quanlu.ledger.types import event_type

SCALE_GENERATED = event_type("demo:scale:generated", "生成合成数据（仅供性能测量）")
