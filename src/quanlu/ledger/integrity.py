"""The ledger's own tables in the registry of ledger.records: none is committed by
row digest, each is checked by verify in its own way."""

from quanlu.ledger.records import exempt


def bind() -> None:
    from quanlu.ledger import models as m

    tree = "日志本身：校验时重建 Merkle 树并核验每个签名"
    for model in (m.Event, m.Leaf, m.Node, m.Checkpoint, m.Cosignature, m.Log, m.Key, m.Witness):
        exempt(model, reason=tree)
    exempt(m.Pending, reason="待入树队列：每个条目有认证码（队列密钥）")
    exempt(m.RowState, reason="记录内容的副本，由事件中的摘要认证")
    exempt(m.Anchor, reason="锚定导出记录；交出的内容记在 ledger:anchor:exported 事件中")
    exempt(
        m.Verification,
        reason="一次校验的结果；结论记在 ledger:verification:completed 事件中",
    )
