"""四性检测 (DA/T 70-2018, 归档 stage): the authenticity, integrity, usability and security checks
that apply to a quanlu dossier, run when it is sealed.

Each check is one item code of DA/T 70 (GD-<group>-<n>; names and numbering from
docs/notes/archiving.md §2.1 — those marked ✓ there are confirmed by two implementations, the
rest [M]) with a result of 通过 / 不通过 / 不适用 and a message that names the file or value at
fault. Items software cannot judge (anti-virus installed, the carrier) are recorded as 不适用
with the reason. The report cannot contain the final package's own digest: that goes into the
export event.

The checks live one group a module (``authenticity``, ``integrity``, ``usability``,
``security``), registered in DA/T 70 order by importing them here; ``base`` has what they
share and ``run``.
"""

from quanlu.archive.checks import authenticity, integrity, security, usability  # noqa: F401  (they register their checks)
from quanlu.archive.checks.base import (
    ALLOWED_FORMATS,
    LIMITS,
    REGISTRY,
    Outcome,
    SealFile,
    SealInput,
    check,
    run,
)

__all__ = ["ALLOWED_FORMATS", "LIMITS", "REGISTRY", "Outcome", "SealFile", "SealInput", "check", "run"]
