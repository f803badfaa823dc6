"""1. Keys: the public keys the database lists must be those of the private key files."""

from __future__ import annotations

from collections.abc import Sequence

from quanlu.ledger import keys, note, sm2
from quanlu.ledger.models import Key, KeyAlgorithm, Log, Witness
from quanlu.ledger.sequencer import log_slug, witness_slug
from quanlu.ledger.verify.report import Report


def trusted_keys(report: Report) -> tuple[dict[int, list[note.Verifier]], dict[int, list[note.Verifier]]]:
    """Per log and per witness: the verifiers to trust. From the private key files where
    this machine has them (the database's copy must then agree), else from the database."""
    log_keys: dict[int, list[note.Verifier]] = {}
    witness_keys: dict[int, list[note.Verifier]] = {}
    for log_row in Log.objects.select_related("agency"):
        slug = log_slug(log_row)
        db_keys = list(Key.objects.filter(log=log_row).values_list("vkey", "algorithm"))
        files = [
            (keys.log_key_file(slug), KeyAlgorithm.ED25519),
            (keys.log_sm2_key_file(slug), KeyAlgorithm.SM2),
        ]
        log_keys[log_row.pk] = _keys_for(report, f"日志「{log_row.origin}」", db_keys, files)
    for witness in Witness.objects.select_related("agency"):
        db_keys = list(Key.objects.filter(witness=witness).values_list("vkey", "algorithm"))
        files = [(keys.witness_key_file(witness_slug(witness)), KeyAlgorithm.COSIGNATURE)]
        witness_keys[witness.pk] = _keys_for(report, f"见证者「{witness.name}」", db_keys, files)
    return log_keys, witness_keys


def _keys_for(
    report: Report, owner: str, db_keys: Sequence[tuple[str, str]], files: Sequence[tuple[str, str]]
) -> list[note.Verifier]:
    trusted: list[note.Verifier] = []
    db_by_alg: dict[str, set[str]] = {}
    for vkey, alg in db_keys:
        db_by_alg.setdefault(alg, set()).add(vkey)
    for filename, alg in files:
        if alg == KeyAlgorithm.SM2 and not sm2.available():
            continue
        path = keys.key_dir() / filename
        if not path.exists():
            continue
        try:
            signer = keys.load(filename)
        except keys.KeyFileError as exc:
            report.add("key_file", f"{owner}：{exc.message}", file=filename)
            continue
        vkey = keys.vkey_of(signer)
        if vkey not in db_by_alg.get(alg, set()):
            report.add(
                "key_mismatch",
                f"{owner}：数据库登记的公钥与私钥文件 {filename} 不符（数据库中的公钥可能被替换）。",
                file=filename,
                expected=vkey,
                actual="、".join(sorted(db_by_alg.get(alg, set()))) or "无",
            )
        trusted.append(note.parse_vkey(vkey))
    if not trusted:
        if db_keys:
            report.warnings.append(f"{owner}：本机没有私钥文件，签名按数据库登记的公钥核验。")
        for vkey, alg in db_keys:
            if alg == KeyAlgorithm.SM2 and not sm2.available():
                continue
            trusted.append(note.parse_vkey(vkey))
    return trusted
