"""Ledger benchmark: the durable Merkle log against pymerkle 7.0, in one run.

    .venv/bin/python bench/bench_ledger.py            # 1M events, 10M-leaf proofs (several minutes)
    .venv/bin/python bench/bench_ledger.py --quick    # 20k events, 200k leaves (seconds)

What it measures, each stage in its own process (so "survives a restart" is real):
1. integrate: N events (bulk-seeded into ledger_event and the sequencer's queue, with
   the leaf hash record_event would take) are integrated by the real sequencer into the
   SQLite tree: leaves, perfect nodes, a signed checkpoint and a witness cosignature
   per batch, all committed.
2. proofs, in a new process: the stored tree must fold to the signed root; then
   inclusion and consistency proofs at N leaves (stored nodes, O(log n)), and full
   receipts (tlog-proof, self-checked) for random events.
3. verify: `quanlu ledger verify` over the N events (recompute, rebuild, check), with the
   record comparison (each of the N party rows against the event that committed it)
   and without it (the ledger-only baseline, as before records were bound), same run.
4. big: a 10M-leaf log whose leaf hashes are bulk-inserted through the same tree
   writer (no events: synthetic leaf hashes), then proofs at 10M leaves.
5. service: one case action with its event (party_add: one transaction) per call, on
   SQLite and on PostgreSQL when reachable.
6. pymerkle (GPL-3.0, benchmark only): the same N entries appended to its InmemoryTree
   and SqliteTree (batch append), proofs at N, and its SqliteTree at the big size.
Ratios are printed at the end; the JSON of every stage goes to stdout's last lines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"integrate_per_s": 75_000, "proof_ms_1m": 1.0, "proof_ms_10m": 2.0, "verify_s_1m": 30.0}


# --- helpers shared by the Django stages ---------------------------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanlu.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _timings(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "n": len(ms),
        "mean_ms": round(statistics.fmean(ms), 4),
        "p50_ms": round(ms[len(ms) // 2], 4),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 4),
    }


def _agencies() -> tuple[Any, Any, Any]:
    from quanlu.org import services as org
    from quanlu.org.models import Agency, Officer, Role

    existing = Agency.objects.filter(code="bench-home").first()
    if existing is not None:
        return existing, existing.parent, Officer.objects.get(username="bench-officer")
    region = org.region_create(actor=None, code="B000001", name="基准市")
    county = org.region_create(actor=None, code="B000002", name="基准县", parent=region)
    superior = org.agency_create(
        actor=None,
        code="bench-superior",
        name="基准市局",
        kind="enforcement",
        level="city",
        region=region,
        parent=None,
        rulebook_id="004_b4c2f06b7eb1ab1e",
        case_prefix="基市",
    )
    home = org.agency_create(
        actor=None,
        code="bench-home",
        name="基准县局",
        kind="enforcement",
        level="county",
        region=county,
        parent=superior,
        rulebook_id="004_b4c2f06b7eb1ab1e",
        case_prefix="基县",
    )
    officer = org.officer_create(
        actor=None,
        agency=home,
        username="bench-officer",
        full_name="基准人员",
        password="bench-pass-123456",  # noqa: S106 - a throwaway benchmark account
        roles=[Role.OFFICER, Role.HANDLER],
    )
    return home, superior, officer


def _seed(n: int) -> float:
    """Bulk-insert n parties with their events, as party_add writes them: each event
    commits its party row by digest (ledger.records) with the row's content kept beside
    it, and enters the queue with the leaf hash and code record_event would take."""
    import datetime as dt
    import uuid

    from django.db import connection, transaction

    from quanlu.cases.models import Party
    from quanlu.ledger import queue, records
    from quanlu.ledger.leaves import entry_bytes, leaf_hash_of
    from quanlu.ledger.models import RowState
    from quanlu.ledger.tree import insert_rows

    home, _, officer = _agencies()
    case = _bench_case(home, officer)
    spec = records.spec_for(Party)
    assert spec is not None
    key_index = spec.columns.index(spec.key)
    qkey = queue.queue_key()
    sqlite = connection.vendor == "sqlite"
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM ledger_event")
        seq = int(cursor.fetchone()[0])
    base = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    started = time.perf_counter()
    chunk = 20_000
    for start in range(0, n, chunk):
        count = min(n, start + chunk) - start
        events, pending, states = [], [], []
        with transaction.atomic():
            made = Party.objects.bulk_create(
                Party(
                    case=case,
                    kind="person",
                    name=f"当事人{i}",
                    id_type="resident_id",
                    id_number=f"1302811990{i:08d}",
                    address="某市某区某路1号",
                    added_by=officer,
                    added_at=base + dt.timedelta(microseconds=i * 997),
                )
                for i in range(start, start + count)
            )
            low, high = min(p.pk for p in made), max(p.pk for p in made)
            rows = spec.model._base_manager.filter(pk__gte=low, pk__lte=high).order_by("pk")
            for i, row in enumerate(rows.values_list(*spec.columns).iterator(chunk_size=chunk), start):
                seq += 1
                content = records.content_of(spec, row)
                key = spec.key_of(records.content_value(row[key_index]))
                uid, at = uuid.uuid4(), base + dt.timedelta(microseconds=i * 997)
                payload = {
                    "party": str(row[key_index]),
                    "kind": "person",
                    "name": f"当事人{i}",
                    "id_type": "resident_id",
                    "rows": {key: records.digest_of(content)},
                }
                h = leaf_hash_of(
                    entry_bytes(
                        uid=uid,
                        type="case:party:added",
                        at=at,
                        actor=officer.public_id,
                        agency=home.public_id,
                        case=case.public_id,
                        payload=payload,
                    )
                )
                code = queue.mac(qkey, seq, uid, h)
                if sqlite:
                    events.append(
                        (
                            seq,
                            uid.hex,
                            "case:party:added",
                            ops.adapt_datetimefield_value(at),
                            officer.pk,
                            home.pk,
                            case.public_id.hex,
                            json.dumps(payload),
                        )
                    )
                    pending.append((seq, uid.hex, "case:party:added", home.pk, h, code))
                else:
                    events.append(
                        (
                            seq,
                            uid,
                            "case:party:added",
                            at,
                            officer.pk,
                            home.pk,
                            case.public_id,
                            json.dumps(payload, ensure_ascii=False),
                        )
                    )
                    pending.append((seq, uid, "case:party:added", home.pk, h, code))
                states.append(
                    RowState(event_seq=seq, key=key, content=records.content_bytes(content).decode())
                )
            insert_rows(
                "ledger_event",
                ("seq", "uid", "type", "occurred_at", "actor_id", "agency_id", "case_uid", "payload"),
                events,
            )
            insert_rows(
                "ledger_pending",
                ("event_seq", "event_uid", "event_type", "agency_id", "leaf_hash", "mac"),
                pending,
            )
            RowState.objects.bulk_create(states, batch_size=5000)
    if not sqlite:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('ledger_event', 'seq'), %s)", [seq])
    return time.perf_counter() - started


def _bench_case(home: Any, officer: Any) -> Any:
    """One real case (through the service) for the seeded parties to belong to."""
    from quanlu.cases import services as cases
    from quanlu.testing.factories import CASE_DEFAULTS

    return cases.case_open(actor=officer, **CASE_DEFAULTS)


# --- stages --------------------------------------------------------------------------------


def stage_integrate(args: argparse.Namespace) -> dict[str, Any]:
    _django()
    from quanlu.ledger.models import Checkpoint, Leaf, Pending
    from quanlu.ledger.sequencer import integrate

    _agencies()
    integrate()  # the set-up's own few events, so the timing below is the bulk only
    seed_s = _seed(args.events)
    started = time.perf_counter()
    result = integrate(batch_size=args.batch)
    seconds = time.perf_counter() - started
    assert not Pending.objects.exists()
    return {
        "events": result.integrated,
        "seed_s": round(seed_s, 2),
        "integrate_s": round(seconds, 2),
        "integrate_per_s": round(result.integrated / seconds),
        "checkpoints": len(result.checkpoints),
        "cosignatures": result.cosignatures,
        "leaves": Leaf.objects.count(),
        "latest": Checkpoint.objects.order_by("-size").values_list("size", flat=True).first(),
    }


def _log_for_bench(code: str) -> Any:
    from quanlu.ledger.models import Log

    return Log.objects.select_related("agency").get(agency__code=code)


def _proof_timings(log: Any, size: int, samples: int) -> dict[str, Any]:
    from quanlu.ledger import merkle
    from quanlu.ledger.sequencer import latest_checkpoint
    from quanlu.ledger.tree import StoredTree

    checkpoint = latest_checkpoint(log)
    root = bytes(checkpoint.root)
    started = time.perf_counter()
    tree = StoredTree(log.pk)
    assert tree.size() == size == checkpoint.size
    assert tree.root(size) == root, "the stored tree does not fold to the signed root after a restart"
    restart_s = time.perf_counter() - started
    rng = random.Random(7)
    inclusion, consistency = [], []
    leaf_rows = {}
    indexes = [rng.randrange(size) for _ in range(samples)]
    from django.db import connection

    with connection.cursor() as cursor:
        for i in indexes[:50]:
            cursor.execute("SELECT leaf_hash FROM ledger_leaf WHERE log_id = %s AND idx = %s", [log.pk, i])
            leaf_rows[i] = bytes(cursor.fetchone()[0])
    for i in indexes:
        t = time.perf_counter()
        proof = tree.inclusion_proof(i, size)
        inclusion.append(time.perf_counter() - t)
        if i in leaf_rows:
            merkle.verify_inclusion(leaf_rows[i], i, size, proof, root)
    for _ in range(samples):
        old = rng.randrange(1, size)
        t = time.perf_counter()
        tree.consistency_proof(old, size)
        consistency.append(time.perf_counter() - t)
    return {
        "size": size,
        "reopen_and_fold_root_ms": round(restart_s * 1000, 3),
        "inclusion": _timings(inclusion),
        "consistency": _timings(consistency),
    }


def stage_proofs(args: argparse.Namespace) -> dict[str, Any]:
    _django()
    from quanlu.ledger import proofs
    from quanlu.ledger.models import Event, Leaf

    log = _log_for_bench("bench-home")
    size = Leaf.objects.filter(log=log).count()
    out = _proof_timings(log, size, args.samples)
    rng = random.Random(11)
    top = Event.objects.order_by("-seq").values_list("seq", flat=True).first()
    receipts = []
    for _ in range(min(200, args.samples)):
        event = Event.objects.select_related("actor", "agency").get(
            seq=rng.randrange(top - size + 1, top + 1)
        )
        t = time.perf_counter()
        proofs.event_prove(event)
        receipts.append(time.perf_counter() - t)
    out["receipt_with_selfcheck"] = _timings(receipts)
    return out


def stage_verify(args: argparse.Namespace) -> dict[str, Any]:
    _django()
    from quanlu.ledger.verify import verify

    # Ledger-only first (the baseline), then the full verify with the record comparison;
    # the second run reads pages the first one warmed, so it is the fairer of the two.
    started = time.perf_counter()
    baseline = verify(blobs=True, rows=False)
    ledger_only = time.perf_counter() - started
    assert baseline.ok, [p.message for p in baseline.problems[:5]]
    started = time.perf_counter()
    sequential = verify(blobs=True)
    one_process = time.perf_counter() - started
    assert sequential.ok, [p.message for p in sequential.problems[:5]]
    # What `quanlu ledger verify` runs: the records compared in a forked process.
    started = time.perf_counter()
    report = verify(blobs=True, parallel=True)
    seconds = time.perf_counter() - started
    assert report.ok, [p.message for p in report.problems[:5]]
    assert report.rows == sequential.rows
    return {
        "events": report.events,
        "rows": report.rows,
        "checkpoints": report.checkpoints,
        "verify_s": round(seconds, 2),
        "verify_one_process_s": round(one_process, 2),
        "verify_ledger_only_s": round(ledger_only, 2),
    }


def stage_big(args: argparse.Namespace) -> dict[str, Any]:
    """A log of args.big leaves: synthetic leaf hashes through the sequencer's tree writer."""
    _django()
    import hashlib
    import uuid

    from django.db import transaction

    from quanlu.ledger import merkle
    from quanlu.ledger.sequencer import checkpoint_sign, log_for_agency
    from quanlu.ledger.tree import StoredTree

    home, _, _ = _agencies()
    log = log_for_agency(home.pk)
    tree = StoredTree(log.pk)
    compact = merkle.CompactRange()
    uid = uuid.UUID(int=0)
    started = time.perf_counter()
    chunk = 200_000
    for start in range(0, args.big, chunk):
        leaves = [
            (-(i + 1), uid, "bench:leaf:synthetic", hashlib.sha256(b"\x00" + i.to_bytes(8, "big")).digest())
            for i in range(start, min(args.big, start + chunk))
        ]
        with transaction.atomic():
            tree.append(compact, leaves)
    with transaction.atomic():
        checkpoint_sign(log, compact.size, compact.root())
    build_s = time.perf_counter() - started
    return {"leaves": args.big, "bulk_build_s": round(build_s, 1)}


def stage_big_proofs(args: argparse.Namespace) -> dict[str, Any]:
    _django()
    return _proof_timings(_log_for_bench("bench-home"), args.big, args.samples)


def stage_service(args: argparse.Namespace) -> dict[str, Any]:
    _django()
    from quanlu.cases import services as cases
    from quanlu.ledger.models import Event
    from quanlu.testing import factories

    world = factories.world()
    case = world.open_case()
    before = Event.objects.count()
    n = args.service
    started = time.perf_counter()
    for i in range(n):
        cases.party_add(
            actor=world.officer,
            case=case,
            kind="person",
            name=f"当事人{i}",
            id_type="resident_id",
            id_number=factories.resident_id(birth=f"19{50 + i // 1000:02d}0101", seq=f"{i % 1000:03d}"),
        )
    seconds = time.perf_counter() - started
    return {"writes": n, "events": Event.objects.count() - before, "writes_per_s": round(n / seconds, 1)}


def stage_pymerkle(args: argparse.Namespace) -> dict[str, Any]:
    from pymerkle import InmemoryTree, SqliteTree

    rng = random.Random(5)
    n = args.events

    def entries(count: int):
        for i in range(count):
            yield f'{{"i":{i},"kind":"person","name":"当事人{i}","address":"某市某区某路1号"}}'.encode()

    out: dict[str, Any] = {}
    mem = InmemoryTree(algorithm="sha256")
    t = time.perf_counter()
    for entry in entries(n):
        mem.append_entry(entry)
    out["inmemory_append_per_s"] = round(n / (time.perf_counter() - t))
    out["inmemory_inclusion"] = _timed(lambda: mem.prove_inclusion(rng.randrange(1, n + 1), n), args.samples)
    out["inmemory_consistency"] = _timed(lambda: mem.prove_consistency(rng.randrange(1, n), n), args.samples)
    mem = None  # free the in-memory tree before the SQLite ones

    work = Path(args.workdir)
    db = SqliteTree(str(work / "pymerkle-1.db"))
    t = time.perf_counter()
    db.append_entries(entries(n))
    out["sqlite_append_per_s"] = round(n / (time.perf_counter() - t))
    samples = max(5, args.samples // 100)
    out["sqlite_inclusion"] = _timed(lambda: db.prove_inclusion(rng.randrange(1, n + 1), n), samples)
    out["sqlite_consistency"] = _timed(lambda: db.prove_consistency(rng.randrange(1, n), n), samples)
    db.close()

    big = SqliteTree(str(work / "pymerkle-big.db"))
    t = time.perf_counter()
    big.append_entries(entries(args.big))
    out["sqlite_big_append_s"] = round(time.perf_counter() - t, 1)
    out["sqlite_big_inclusion"] = _timed(
        lambda: big.prove_inclusion(rng.randrange(1, args.big + 1), args.big), 5
    )
    out["sqlite_big_consistency"] = _timed(
        lambda: big.prove_consistency(rng.randrange(1, args.big), args.big), 5
    )
    big.close()
    return out


def _timed(fn: Any, count: int) -> dict[str, float]:
    samples = []
    for _ in range(count):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return _timings(samples)


STAGES = {
    "integrate": stage_integrate,
    "proofs": stage_proofs,
    "verify": stage_verify,
    "big": stage_big,
    "big_proofs": stage_big_proofs,
    "service": stage_service,
    "pymerkle": stage_pymerkle,
}


# --- orchestration ---------------------------------------------------------------------------


def _run(stage: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--stage",
        stage,
        "--events",
        str(args.events),
        "--big",
        str(args.big),
        "--samples",
        str(args.samples),
        "--batch",
        str(args.batch),
        "--service",
        str(args.service),
        "--workdir",
        env["QUANLU_DATA_DIR"],
    ]
    print(f"· {stage} …", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-5000:], file=sys.stderr)
        raise SystemExit(f"stage {stage} failed")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {json.dumps(result, ensure_ascii=False)}", file=sys.stderr, flush=True)
    return result


def _env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANLU_")}
    env.update(
        {
            "QUANLU_DATA_DIR": str(data_dir),
            "QUANLU_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "quanlu.config.settings",
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    if database_url:
        env["QUANLU_DATABASE_URL"] = database_url
    return env


def _postgres(url: str) -> str | None:
    """A fresh database on the server at ``url``, or None when no server answers."""
    try:
        import psycopg

        name = f"bench_ledger_{os.getpid()}"
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name}")
            con.execute(f"CREATE DATABASE {name}")
        return url.rsplit("/", 1)[0] + "/" + name
    except Exception as exc:
        print(f"(PostgreSQL not available: {exc})", file=sys.stderr)
        return None


def _drop_postgres(url: str, db_url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {db_url.rsplit('/', 1)[1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", choices=sorted(STAGES))
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--service", type=int, default=500)
    parser.add_argument(
        "--pg", default=os.environ.get("QUANLU_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--no-pymerkle", action="store_true")
    parser.add_argument("--workdir")
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(STAGES[args.stage](args)))
        return
    if args.quick:
        args.events, args.big, args.samples, args.service = 20_000, 200_000, 300, 100

    work = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    results: dict[str, Any] = {"events": args.events, "big": args.big}
    try:
        main_env = _env(work / "main")
        results["integrate"] = _run("integrate", args, main_env)
        results["proofs"] = _run("proofs", args, main_env)
        results["verify"] = _run("verify", args, main_env)
        big_env = _env(work / "big")
        results["big_build"] = _run("big", args, big_env)
        results["big_proofs"] = _run("big_proofs", args, big_env)
        shutil.rmtree(work / "big", ignore_errors=True)
        results["service_sqlite"] = _run("service", args, _env(work / "svc"))
        pg = _postgres(args.pg)
        if pg:
            try:
                results["service_postgresql"] = _run("service", args, _env(work / "svc-pg", pg))
            finally:
                _drop_postgres(args.pg, pg)
        if not args.no_pymerkle:
            results["pymerkle"] = _run("pymerkle", args, _env(work / "pymerkle"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _print(results)


def _print(r: dict[str, Any]) -> None:
    n, big = r["events"], r["big"]
    i, p, v, bp = r["integrate"], r["proofs"], r["verify"], r["big_proofs"]
    pm = r.get("pymerkle", {})
    lines = [
        "",
        f"quanlu ledger benchmark — {n:,} events, {big:,}-leaf tree, SQLite (WAL), {os.cpu_count()} cores",
        f"  integrate (sequencer → durable tree, signed+cosigned checkpoints): {i['integrate_per_s']:,} events/s "
        f"({i['integrate_s']} s; target ≥ {TARGETS['integrate_per_s']:,}/s)",
        f"  reopen in a new process, fold stored nodes to the signed root: {p['reopen_and_fold_root_ms']} ms",
        f"  inclusion proof at {n:,}: mean {p['inclusion']['mean_ms']} ms, p99 {p['inclusion']['p99_ms']} ms (target ≤ 1 ms)",
        f"  consistency proof at {n:,}: mean {p['consistency']['mean_ms']} ms, p99 {p['consistency']['p99_ms']} ms",
        f"  full tlog-proof receipt (with signature self-check): mean {p['receipt_with_selfcheck']['mean_ms']} ms",
        f"  inclusion proof at {big:,}: mean {bp['inclusion']['mean_ms']} ms, p99 {bp['inclusion']['p99_ms']} ms (target ≤ 2 ms)",
        f"  consistency proof at {big:,}: mean {bp['consistency']['mean_ms']} ms",
        f"  ({big:,}-leaf tree bulk-built from synthetic leaf hashes in {r['big_build']['bulk_build_s']} s)",
        f"  full verification of {v['events']:,} events and {v['rows']:,} rows: {v['verify_s']} s (target < 30 s);"
        f" ledger only (no record comparison) {v['verify_ledger_only_s']} s → ×{v['verify_s'] / v['verify_ledger_only_s']:.2f};"
        f" records compared in the same process {v['verify_one_process_s']} s",
        f"  service write (party_add + its event, one transaction): SQLite {r['service_sqlite']['writes_per_s']}/s"
        + (f", PostgreSQL {r['service_postgresql']['writes_per_s']}/s" if "service_postgresql" in r else ""),
    ]
    if pm:
        lines += [
            "  pymerkle 7.0 (same run, same entries):",
            f"    InmemoryTree append {pm['inmemory_append_per_s']:,}/s (keeps nothing), inclusion {pm['inmemory_inclusion']['mean_ms']} ms,"
            f" consistency {pm['inmemory_consistency']['mean_ms']} ms",
            f"    SqliteTree batch append {pm['sqlite_append_per_s']:,}/s, inclusion at {n:,} {pm['sqlite_inclusion']['mean_ms']} ms,"
            f" consistency {pm['sqlite_consistency']['mean_ms']} ms",
            f"    SqliteTree at {big:,}: append {pm['sqlite_big_append_s']} s, inclusion {pm['sqlite_big_inclusion']['mean_ms']} ms,"
            f" consistency {pm['sqlite_big_consistency']['mean_ms']} ms",
            "  ratios (quanlu ÷ pymerkle for rates, pymerkle ÷ quanlu for proof times):",
            f"    durable append rate vs SqliteTree: {i['integrate_per_s'] / pm['sqlite_append_per_s']:.2f}×;"
            f" vs InmemoryTree: {i['integrate_per_s'] / pm['inmemory_append_per_s']:.2f}×",
            f"    inclusion proof at {n:,} vs SqliteTree: {pm['sqlite_inclusion']['mean_ms'] / p['inclusion']['mean_ms']:.0f}× faster;"
            f" vs InmemoryTree: {pm['inmemory_inclusion']['mean_ms'] / p['inclusion']['mean_ms']:.2f}×",
            f"    inclusion proof at {big:,} vs SqliteTree: {pm['sqlite_big_inclusion']['mean_ms'] / bp['inclusion']['mean_ms']:.0f}× faster",
            f"    consistency proof at {n:,} vs SqliteTree: {pm['sqlite_consistency']['mean_ms'] / p['consistency']['mean_ms']:.1f}×",
        ]
    ok = (
        i["integrate_per_s"] >= TARGETS["integrate_per_s"]
        and p["inclusion"]["mean_ms"] <= TARGETS["proof_ms_1m"]
        and bp["inclusion"]["mean_ms"] <= TARGETS["proof_ms_10m"]
        and v["verify_s"] < TARGETS["verify_s_1m"]
    )
    lines.append(
        f"  targets {'met' if ok else 'NOT all met'} (they are stated for 1M events and 10M leaves on 2 cores)"
    )
    print("\n".join(lines))
    print(json.dumps(r))


if __name__ == "__main__":
    main()
