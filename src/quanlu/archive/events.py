from quanlu.ledger.types import event_type

PACKAGE_WRITTEN = event_type("archive:package:written", "写出档案包")
PACKAGE_EXPORTED = event_type("archive:package:exported", "导出案卷档案包")
PACKAGE_DOWNLOADED = event_type("archive:package:downloaded", "下载档案包（浏览器）")
SETTINGS_CHANGED = event_type("archive:settings:changed", "变更档案设置（全宗号、保管期限）")
DOSSIER_ASSEMBLED = event_type("archive:dossier:assembled", "组卷")
DOSSIER_SEALED = event_type("archive:dossier:sealed", "归档封卷（四性检测通过）")
HOLD_PLACED = event_type("archive:hold:placed", "设置保全（禁止销毁）")
HOLD_RELEASED = event_type("archive:hold:released", "解除保全")
DISPOSITION_REQUESTED = event_type("archive:disposition:requested", "申请销毁保管期满的案卷")
DISPOSITION_APPROVED = event_type("archive:disposition:approved", "批准销毁")
DISPOSITION_REJECTED = event_type("archive:disposition:rejected", "不批准销毁")
DISPOSITION_EXECUTED = event_type("archive:disposition:executed", "执行销毁（保留目录、摘要和日志）")
