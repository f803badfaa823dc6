"""The tamper suite: an insider with database and file access edits the demo site behind
the services, one way at a time, and the real `quanlu ledger verify --format json` must
exit 1 naming exactly what was touched — the table, the row and the field, or the event,
leaf, checkpoint, key or blob — and nothing else. The untouched demo verifies clean.

Each case works on its own copy of the session's demo site (``demo_site``, loaded once by
`quanlu migrate` + `quanlu demo` + `quanlu ledger integrate`), on the test run's database
engine (SQLite, or PostgreSQL when QUANLU_DATABASE_URL names one).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from quanlu.testing.sites import Site


def _pg(site: Site) -> bool:
    return site.database_url is not None


def _json_param(site: Site) -> str:
    return "CAST(? AS jsonb)" if _pg(site) else "?"


def _no_fk(site: Site) -> list[str]:
    # A superuser deleting a referenced row: PostgreSQL enforces foreign keys unless the
    # session replays as a replica; the sqlite3 module does not enforce them by default.
    return ["SET session_replication_role = replica"] if _pg(site) else []


def _one(site: Site, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    rows = site.query(sql, params)
    assert rows, sql
    return rows[0]


def _uuid(value: Any) -> str:
    import uuid

    text = str(value)
    return str(uuid.UUID(text)) if len(text) in (32, 36) else text


def _verify(site: Site, *flags: str) -> tuple[int, list[dict[str, Any]]]:
    code, report = site.json("ledger", "verify", "--format", "json", *flags)
    return code, report["problems"]


def _named(problems: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(kind, what, field) of each problem: the row or event or blob it names."""
    out = set()
    for p in problems:
        what = (
            p.get("row") or p.get("blob") or p.get("event_uid") or p.get("checkpoint") or p.get("file") or ""
        )
        if not what and "index" in p:
            what = f"{p.get('log')}#{p['index']}"
        out.add((p["kind"], str(what), str(p.get("fields", ""))))
    return out


# --- the tamperings: each returns what verify must name, exactly -----------------------------


def version_fields(site: Site) -> set[tuple[str, str, str]]:
    cast = "fields::text" if _pg(site) else "fields"
    rows = site.query(f"SELECT id, public_id, {cast} FROM records_version ORDER BY id")
    pk, pid, fields = next(
        r for r in rows if any(isinstance(v, str) and v for v in json.loads(r[2]).values())
    )
    body = json.loads(fields)
    name = next(k for k, v in body.items() if isinstance(v, str) and v)
    body[name] = body[name] + "（改）"
    site.sql(
        [(f"UPDATE records_version SET fields = {_json_param(site)} WHERE id = ?", (json.dumps(body), pk))]
    )
    return {("row_changed", f"records.version/{_uuid(pid)}", "fields")}


def version_fields_and_content_hash(site: Site) -> set[tuple[str, str, str]]:
    import hashlib

    pk, pid = _one(site, "SELECT id, public_id FROM records_version ORDER BY id DESC")
    body = {"事实": "另一份内容"}
    digest = hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()
    site.sql(
        [
            (
                f"UPDATE records_version SET fields = {_json_param(site)}, content_sha256 = ? WHERE id = ?",
                (json.dumps(body), digest, pk),
            )
        ]
    )
    return {("row_changed", f"records.version/{_uuid(pid)}", "content_sha256,fields")}


def party_name(site: Site) -> set[tuple[str, str, str]]:
    pk, pid = _one(site, "SELECT id, public_id FROM cases_party ORDER BY id")
    site.sql([("UPDATE cases_party SET name = ? WHERE id = ?", ("张冒名", pk))])
    return {("row_changed", f"cases.party/{_uuid(pid)}", "name")}


def media_pointed_at_another_blob(site: Site) -> set[tuple[str, str, str]]:
    pk, pid, sha = _one(site, "SELECT id, public_id, sha256 FROM media_mediarecord ORDER BY id")
    (other,) = _one(site, "SELECT sha256 FROM blobs_blob WHERE sha256 <> ? ORDER BY size DESC", (sha,))
    site.sql([("UPDATE media_mediarecord SET blob_id = ?, sha256 = ? WHERE id = ?", (other, other, pk))])
    return {("row_changed", f"media.mediarecord/{_uuid(pid)}", "blob_id,sha256")}


def case_stage(site: Site) -> set[tuple[str, str, str]]:
    pk, pid = _one(
        site, "SELECT id, public_id FROM cases_case WHERE stage = ? ORDER BY id", ("investigation",)
    )
    site.sql([("UPDATE cases_case SET stage = ? WHERE id = ?", ("closed", pk))])
    return {("row_changed", f"cases.case/{_uuid(pid)}", "stage")}


def signer_name(site: Site) -> set[tuple[str, str, str]]:
    pk, pid = _one(site, "SELECT id, public_id FROM records_signature ORDER BY id")
    site.sql([("UPDATE records_signature SET signer_name = ? WHERE id = ?", ("李代签", pk))])
    return {("row_changed", f"records.signature/{_uuid(pid)}", "signer_name")}


def media_record_deleted(site: Site) -> set[tuple[str, str, str]]:
    pk, pid = _one(site, "SELECT id, public_id FROM media_mediarecord ORDER BY id DESC")
    site.sql([*_no_fk(site), ("DELETE FROM media_mediarecord WHERE id = ?", (pk,))])
    return {("row_deleted", f"media.mediarecord/{_uuid(pid)}", "")}


def version_pdf_of_another_document(site: Site) -> set[tuple[str, str, str]]:
    rows = site.query(
        "SELECT id, public_id, document_id, pdf_sha256 FROM records_version WHERE pdf_sha256 <> '' ORDER BY id"
    )
    first = rows[0]
    other = next(r for r in rows if r[2] != first[2] and r[3] != first[3])
    site.sql([("UPDATE records_version SET pdf_sha256 = ? WHERE id = ?", (other[3], first[0]))])
    return {("row_changed", f"records.version/{_uuid(first[1])}", "pdf_sha256")}


def blob_row_deleted(site: Site) -> set[tuple[str, str, str]]:
    (sha,) = _one(site, "SELECT sha256 FROM blobs_blob ORDER BY sha256")
    site.sql([*_no_fk(site), ("DELETE FROM blobs_blob WHERE sha256 = ?", (sha,))])
    return {("row_deleted", f"blobs.blob/{sha}", "")}


def row_inserted_without_event(site: Site) -> set[tuple[str, str, str]]:
    import uuid

    case_id, officer_id = _one(site, "SELECT id, lead_officer_id FROM cases_case ORDER BY id")
    pid = uuid.uuid4()
    site.sql(
        [
            (
                "INSERT INTO cases_party (public_id, case_id, kind, name, id_type, id_number, legal_representative,"
                " address, phone, added_by_id, added_at) VALUES (?, ?, 'person', '王虚构', 'resident_id',"
                " '130281199001011234', '', '', '', ?, ?)",
                (pid.hex if not _pg(site) else str(pid), case_id, officer_id, "2026-01-01 00:00:00"),
            )
        ]
    )
    return {("row_unrecorded", f"cases.party/{pid}", "")}


def event_payload_byte(site: Site) -> set[tuple[str, str, str]]:
    seq, uid, text = _one(
        site,
        "SELECT seq, uid, payload FROM ledger_event WHERE type = ? ORDER BY seq"
        if not _pg(site)
        else "SELECT seq, uid, payload::text FROM ledger_event WHERE type = ? ORDER BY seq",
        ("case:case:opened",),
    )
    body = json.loads(text)
    body["cause"] = str(body.get("cause", "")) + "X"
    site.sql(
        [(f"UPDATE ledger_event SET payload = {_json_param(site)} WHERE seq = ?", (json.dumps(body), seq))],
        lift_triggers=True,
    )
    return {("event_changed", _uuid(uid), "")}


def event_deleted(site: Site) -> set[tuple[str, str, str]]:
    # An event that commits no row: what it recorded is gone, its leaf remains.
    cast = "payload::text" if _pg(site) else "payload"
    seq, uid = _one(
        site, f"SELECT seq, uid FROM ledger_event WHERE {cast} NOT LIKE ? ORDER BY seq DESC", ('%"rows"%',)
    )
    site.sql([("DELETE FROM ledger_event WHERE seq = ?", (seq,))], lift_triggers=True)
    return {("event_deleted", _uuid(uid), "")}


def blob_bit_flipped(site: Site) -> set[tuple[str, str, str]]:
    (sha,) = _one(site, "SELECT sha256 FROM blobs_blob ORDER BY size DESC")
    path = site.own_blob(sha)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    return {("blob_changed", sha, "")}


def blob_replaced(site: Site) -> set[tuple[str, str, str]]:
    (sha,) = _one(site, "SELECT sha256 FROM blobs_blob ORDER BY size")
    site.own_blob(sha).write_bytes(b"%PDF-1.7 another document entirely")
    return {("blob_changed", sha, "")}


def checkpoint_root_forged(site: Site) -> set[tuple[str, str, str]]:
    pk, pid, root = _one(site, "SELECT id, public_id, root FROM ledger_checkpoint ORDER BY id DESC")
    forged = bytes(b ^ 0xFF for b in bytes(root))
    site.sql([("UPDATE ledger_checkpoint SET root = ? WHERE id = ?", (forged, pk))], lift_triggers=True)
    return {("checkpoint_changed", _uuid(pid), "")}


def log_key_swapped(site: Site) -> set[tuple[str, str, str]]:
    from quanlu.ledger import note

    pk, _vkey, origin = _one(
        site,
        "SELECT k.id, k.vkey, l.origin FROM ledger_key k JOIN ledger_log l ON l.id = k.log_id"
        " WHERE k.algorithm = 'ed25519' ORDER BY k.id DESC",
    )
    other = note.generate_ed25519(origin).vkey
    site.sql([("UPDATE ledger_key SET vkey = ? WHERE id = ?", (other, pk))], lift_triggers=True)
    return {("key_mismatch", f"log-{origin.rsplit('/', 1)[1]}.key", "")}


TAMPERINGS: dict[str, Callable[[Site], set[tuple[str, str, str]]]] = {
    f.__name__: f
    for f in (
        version_fields,
        version_fields_and_content_hash,
        party_name,
        media_pointed_at_another_blob,
        case_stage,
        signer_name,
        media_record_deleted,
        version_pdf_of_another_document,
        blob_row_deleted,
        row_inserted_without_event,
        event_payload_byte,
        event_deleted,
        blob_bit_flipped,
        blob_replaced,
        checkpoint_root_forged,
        log_key_swapped,
    )
}


@pytest.fixture(scope="module")
def clean_demo(demo_site: Site) -> Site:
    code, problems = _verify(demo_site)
    assert code == 0, problems  # no false alarm on the untouched demo
    return demo_site


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_each_tampering_is_named_exactly(clean_demo: Site, tmp_path: Path, name: str) -> None:
    site = clean_demo.copy(tmp_path / "site")
    try:
        expected = TAMPERINGS[name](site)
        code, problems = _verify(site)
        assert code == 1
        assert _named(problems) == expected, problems
    finally:
        site.drop()


def test_an_event_rewritten_with_its_queued_hash_before_integration(clean_demo: Site, tmp_path: Path) -> None:
    """Between a write and its integration the queue's code is all that protects an event."""
    site = clean_demo.copy(tmp_path / "site")
    try:
        site.run("ledger", "anchor", "export", "--recipient", "上级机关")  # one event, left queued
        from quanlu.ledger.leaves import RawEntries, leaf_hash_of, raw_entry_sql

        vendor = "postgresql" if _pg(site) else "sqlite"
        (seq,) = _one(site, "SELECT MAX(event_seq) FROM ledger_pending")
        row = next(r for r in site.query(raw_entry_sql(vendor)) if r[0] == seq)
        raw = RawEntries(vendor)
        body = raw.payload(row[7])
        body["recipient"] = "另一个接收方"
        # The leaf hash of the rewritten event, spelled exactly as verify will spell it.
        forged = leaf_hash_of(raw.entry(row, body))
        site.sql(
            [
                (
                    f"UPDATE ledger_event SET payload = {_json_param(site)} WHERE seq = ?",
                    (json.dumps(body, ensure_ascii=False), seq),
                ),
                ("UPDATE ledger_pending SET leaf_hash = ? WHERE event_seq = ?", (forged, seq)),
            ],
            lift_triggers=True,
        )
        code, problems = _verify(site, "--no-blobs")
        assert code == 1
        assert {p["kind"] for p in problems} == {"queue_forged"}, problems
        refused = site.run("ledger", "integrate", check=False)
        assert refused.returncode != 0
        assert "认证码不符" in refused.stderr + refused.stdout
    finally:
        site.drop()


def _tamper_value(column: Any, value: Any) -> Any:
    """A different value of the same type, for one column of a covered row."""

    from django.db import models

    if isinstance(column, models.BooleanField):
        return not bool(value)
    if isinstance(column, models.IntegerField | models.BigIntegerField | models.PositiveIntegerField):
        return int(value or 0) + 1
    if isinstance(column, models.DateTimeField):
        return "2001-01-01 00:00:00"
    if isinstance(column, models.DateField):
        return "2001-01-01"
    # Same length, so a full-width column still takes it.
    text = str(value) if value else ""
    return (text[:-1] + ("改" if not text.endswith("改") else "变")) if text else "改"


def _column_to_change(spec: Any) -> Any:
    from django.db import models

    skip = {spec.key, "id", "client_token"}
    for constraint in spec.model._meta.constraints:  # keep every unique constraint satisfied
        for name in getattr(constraint, "fields", ()):
            skip.add(spec.model._meta.get_field(name).attname)
    for together in spec.model._meta.unique_together:
        skip.update(spec.model._meta.get_field(name).attname for name in together)
    for field in spec.model._meta.concrete_fields:
        if field.attname in skip or field.is_relation or field.primary_key or field.unique:
            continue
        if field.attname not in spec.columns:
            continue
        if isinstance(field, models.JSONField | models.UUIDField | models.DecimalField | models.BinaryField):
            continue
        if getattr(field, "choices", None) and not isinstance(field, models.BooleanField):
            continue  # keep the value a valid choice for readers; free text and numbers suffice
        return field
    return None


def test_one_changed_row_of_every_covered_model_is_named_with_its_field(
    clean_demo: Site, tmp_path: Path
) -> None:
    """Every covered model: its first demo row gets one column changed behind the services;
    verify names each of them, and only them."""
    from quanlu.ledger import records

    site = clean_demo.copy(tmp_path / "site")
    try:
        expected: set[tuple[str, str, str]] = set()
        statements: list[tuple[str, tuple[Any, ...]]] = []
        untouched = []
        for spec in records.covered():
            table = spec.model._meta.db_table
            column = _column_to_change(spec)
            pk_column = spec.model._meta.pk.column
            rows = site.query(f'SELECT "{pk_column}", "{spec.key}" FROM "{table}" ORDER BY 1')
            if column is None or not rows:
                untouched.append((spec.label, "no rows in the demo" if not rows else "no plain column"))
                continue
            pk, key = rows[0]
            (value,) = _one(site, f'SELECT "{column.column}" FROM "{table}" WHERE "{pk_column}" = ?', (pk,))
            statements.append(
                (
                    f'UPDATE "{table}" SET "{column.column}" = ? WHERE "{pk_column}" = ?',
                    (_tamper_value(column, value), pk),
                )
            )
            expected.add(("row_changed", f"{spec.label}/{_uuid(key)}", column.attname))
        site.sql(statements)
        code, problems = _verify(site, "--no-blobs")
        assert code == 1
        assert _named(problems) == expected, problems
        # The demo holds the content people read every day; models it has no rows of
        # (marks, copy requests, disposals, ...) are tampered one by one, each through its
        # own service, in the apps' tests/test_integrity.py.
        touched = {e[1].split("/", 1)[0] for e in expected}
        assert touched >= {
            "cases.case",
            "cases.party",
            "cases.approval",
            "records.document",
            "records.version",
            "records.signature",
            "media.mediarecord",
            "blobs.blob",
            "archive.dossier",
            "archive.dossieritem",
            "supervision.deadline",
            "org.officer",
        }, untouched
    finally:
        site.drop()
