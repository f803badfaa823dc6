"""Archive package benchmark: the real export path against `cp`, and `cp` + bagit-python's make_bag.

One command, all on the same files, on the same disk, in the same run, rounds interleaved:

    .venv/bin/python bench/bench_archive.py            # a dossier with 5 GB of media (the target)
    .venv/bin/python bench/bench_archive.py --gb 0.5   # a quick run while developing

Set-up (not timed): a fresh quanlu site (SQLite) in a folder on the disk under test; a case
with a party, an inspection record and media-like recordings (a real short video, audio clip or
photo, padded to size with random bytes) ingested through the real media path (each hashed once,
SHA-256 + SHA-512 + SM3, as at upload); the case is archived — assembled, 四性检测 (which re-hashes
every byte), sealed — and closed.

Contestants (each in its own child process, so its peak memory is its own; `sync` before each;
durability the same for all: everything fsynced at the end):

- cp            `cp` of the dossier's files (the same bytes the package holds) to the same disk,
                then fsync of every copied file: the physical limit
- export        archive.services.dossier_export, the path behind `quanlu archive export`: ledger
                events, inclusion proofs and checkpoints, every digest from ingest, bytes copied by
                the kernel, the package re-verified (structure and ledger) and its event recorded
- cp+make_bag   `cp`, then bagit.make_bag(checksums=sha256,sha512), then fsync: what an archivist
                would do by hand

Then verification of the exported package: `quanlu archive verify` (BagIt with SHA-256, SHA-512
and SM3, plus the ledger layer) and `quanlu archive verify --bag-only` (the manifests: SHA-256 and
SHA-512) against `bagit.py --validate` (SHA-256 and SHA-512), each as the
command an archivist would type. Targets (issue 7): export within 1.2x of cp, and at least 1.8x
faster than cp+make_bag; memory independent of size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
BLOCK = 64 * 1024 * 1024


def _django(data: Path) -> None:
    os.environ["QUANLU_DATA_DIR"] = str(data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanlu.config.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _padded(head: bytes, size: int, serial: int, block: bytes) -> list[bytes]:
    """A real media file's bytes, then random bytes up to ``size`` (every file different)."""
    chunks = [head, serial.to_bytes(8, "big")]
    left = max(0, size - len(head) - 8)
    offset = (serial * 7919) % BLOCK
    while left > 0:
        piece = block[offset : offset + min(left, BLOCK - offset, 8 * 1024 * 1024)]
        chunks.append(piece)
        left -= len(piece)
        offset = (offset + len(piece)) % BLOCK
    return chunks


def prepare(data: Path, total: int, out: Path) -> None:
    _django(data)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from quanlu.archive.selectors import current_dossier
    from quanlu.blobs.store import get_store
    from quanlu.cases import services as cases
    from quanlu.cases.models import Stage
    from quanlu.media import samples
    from quanlu.media.services import clean_declared, media_ingest
    from quanlu.media.tests.helpers import device_for
    from quanlu.testing import factories

    world = factories.world()
    case = world.open_case()
    cases.party_add(
        actor=world.officer,
        case=case,
        kind="organisation",
        name="基准测试有限公司",
        id_type="uscc",
        id_number=factories.uscc(),
        legal_representative="王某",
    )
    world.grant_gate(case, "initiation")
    world.advance(case, Stage.INVESTIGATION)
    device = device_for(world, since=timezone.now() - dt.timedelta(days=2))
    block = os.urandom(BLOCK)
    start = timezone.now() - dt.timedelta(hours=30)
    shares = [("video", 0.75, 4, ".mp4"), ("audio", 0.10, 10, ".m4a"), ("photo", 0.15, 150, ".jpg")]
    serial = 0
    for kind, share, count, ext in shares:
        size = int(total * share) // count
        for i in range(count):
            serial += 1
            at = start + dt.timedelta(minutes=serial)
            if kind == "video":
                head = samples.video(seconds=1.0, created=at, label=f"B{serial}")
            elif kind == "audio":
                head = samples.audio(seconds=1.0, created=at)
            else:
                head = samples.photo(taken=at, label=f"B{serial}")
            writer = get_store().writer()
            for chunk in _padded(head, size, serial, block):
                writer.write(chunk)
            declared = clean_declared(
                agency=case.agency,
                data={
                    "officer": str(world.officer.public_id),
                    "device": device.device_no,
                    "step_label": f"现场检查{serial:03d}",
                    "name": f"{kind}-{i:03d}",
                },
            )
            media_ingest(
                actor=world.officer,
                agency=case.agency,
                case=case,
                staged=writer,
                filename=f"{kind}-{i:03d}{ext}",
                declared=declared,
                via="bench",
            )
    world.advance(case, Stage.ARCHIVING, reason="基准测试：终止调查")
    world.advance(case, Stage.CLOSED)  # prepare() assembles and seals the dossier (四性检测)
    dossier = current_dossier(case)
    store = get_store()
    files = [str(store.local_path(i.sha256)) for i in dossier.items.order_by("position")]
    out.write_text(json.dumps({"case": case.number, "files": files}))


def fsync_tree(root: Path) -> None:
    """What `sync` would do for these files only: other people's dirty pages on a shared
    machine are not ours to wait for. The exporter fsyncs exactly its own files too."""
    for folder, _dirs, names in os.walk(root):
        for name in [*names, "."]:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _cp(files: list[str], out: Path) -> None:
    out.mkdir()
    # One cp for all, in batches (argument length): the files keep their store names.
    for i in range(0, len(files), 200):
        subprocess.run(["cp", *files[i : i + 200], str(out)], check=True)
    fsync_tree(out)


def run_one(name: str, data: Path, out: Path, setup: dict) -> None:
    files = setup["files"]
    if name == "cp":
        _cp(files, out)
    elif name == "cp+make_bag":
        import bagit

        _cp(files, out)
        bagit.make_bag(str(out), checksums=["sha256", "sha512"])
        fsync_tree(out)
    elif name == "export":
        _django(data)
        from quanlu.archive.selectors import current_dossier
        from quanlu.archive.services import dossier_export
        from quanlu.cases.models import Case

        case = Case.objects.get(number=setup["case"])
        dossier_export(actor=None, dossier=current_dossier(case), target_dir=out)
    elif name == "quanlu archive verify":
        done = subprocess.run(
            [str(VENV_BIN / "quanlu"), "archive", "verify", str(out), "--no-db"],
            env={**os.environ, "QUANLU_DATA_DIR": str(data)},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    elif name == "quanlu archive verify --bag-only":
        done = subprocess.run(
            [str(VENV_BIN / "quanlu"), "archive", "verify", "--bag-only", str(out)],
            env={**os.environ, "QUANLU_DATA_DIR": str(data)},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    elif name == "bagit.py --validate":
        subprocess.run([sys.executable, "-m", "bagit", "--validate", "--quiet", str(out)], check=True)
    else:
        raise SystemExit(f"unknown contestant {name}")


def timed_child(name: str, data: Path, out: Path, setup_file: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of one contestant in its own process (children included)."""
    cmd = [
        sys.executable,
        __file__,
        "--run-one",
        name,
        "--data",
        str(data),
        "--out",
        str(out),
        "--setup",
        str(setup_file),
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name} failed")
    return elapsed, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gb", type=float, default=float(os.environ.get("QUANLU_BENCH_ARCHIVE_GB", "5")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--dir", default=os.environ.get("QUANLU_BENCH_DIR", tempfile.gettempdir()), help="on the disk to test"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--run-one")
    parser.add_argument("--data")
    parser.add_argument("--out")
    parser.add_argument("--setup")
    args = parser.parse_args()
    if args.run_one == "prepare":
        prepare(Path(args.data), int(args.gb * 1e9), Path(args.setup))
        return 0
    if args.run_one:
        run_one(args.run_one, Path(args.data), Path(args.out), json.loads(Path(args.setup).read_text()))
        return 0

    work = Path(tempfile.mkdtemp(prefix="quanlu-bench-archive-", dir=args.dir))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up when stopped
    try:
        print(
            f"bench_archive: a dossier with {args.gb:g} GB of media in {work}, {args.rounds} rounds",
            flush=True,
        )
        data = work / "site"
        setup_file = work / "setup.json"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--run-one",
                "prepare",
                "--gb",
                str(args.gb),
                "--data",
                str(data),
                "--setup",
                str(setup_file),
            ],
            check=True,
        )
        setup = json.loads(setup_file.read_text())
        payload_bytes = sum(os.path.getsize(f) for f in setup["files"])
        print(
            f"  set-up (ingest, 四性检测, seal, close): {time.perf_counter() - started:.1f} s; "
            f"dossier {len(setup['files'])} files, {payload_bytes / 1e9:.2f} GB",
            flush=True,
        )
        subprocess.run(["sync"], check=True)

        names = ["cp", "export", "cp+make_bag"]
        checkers = ["quanlu archive verify", "quanlu archive verify --bag-only", "bagit.py --validate"]
        times: dict[str, list[float]] = {n: [] for n in [*names, *checkers]}
        rss: dict[str, int] = {}
        for round_no in range(args.rounds):
            order = names[round_no % len(names) :] + names[: round_no % len(names)]
            for name in order:
                out = work / f"out-{name.replace('+', '_')}"
                subprocess.run(["sync"], check=True)
                seconds, peak = timed_child(name, data, out, setup_file)
                times[name].append(seconds)
                rss[name] = max(rss.get(name, 0), peak)
                print(
                    f"  round {round_no + 1}: {name:<22} {seconds:7.2f} s  peak RSS {peak / 1024:6.1f} MiB",
                    flush=True,
                )
                if name == "export":
                    for checker in checkers:
                        seconds, peak = timed_child(checker, data, out, setup_file)
                        times[checker].append(seconds)
                        rss[checker] = max(rss.get(checker, 0), peak)
                        print(
                            f"  round {round_no + 1}: {checker:<34} {seconds:7.2f} s  peak RSS {peak / 1024:6.1f} MiB",
                            flush=True,
                        )
                shutil.rmtree(out)

        med = {n: statistics.median(t) for n, t in times.items()}
        print("\nmedians (GB/s of payload):")
        for name in times:
            gbps = payload_bytes / med[name] / 1e9
            print(f"  {name:<34} {med[name]:7.2f} s  {gbps:5.2f} GB/s  peak RSS {rss[name] / 1024:6.1f} MiB")
        vs_cp = med["export"] / med["cp"]
        vs_bag = med["cp+make_bag"] / med["export"]
        checks = [
            ("export / cp <= 1.2", vs_cp, vs_cp <= 1.2),
            ("(cp+make_bag) / export >= 1.8", vs_bag, vs_bag >= 1.8),
            # No target for verification; the full check does more work than bagit.py (SM3 too,
            # and the ledger layer), --bag-only the same manifests (SHA-256 and SHA-512).
            (
                "bagit.py --validate / quanlu archive verify",
                med["bagit.py --validate"] / med["quanlu archive verify"],
                None,
            ),
            (
                "bagit.py --validate / verify --bag-only",
                med["bagit.py --validate"] / med["quanlu archive verify --bag-only"],
                None,
            ),
        ]
        print("\nratios (> 1: quanlu faster):")
        for label, value, ok in checks:
            verdict = "no target" if ok is None else ("ok" if ok else "MISSED")
            print(f"  {label:<44} {value:5.2f}  {verdict}")
        result = {
            "bench": "archive",
            "payload_bytes": payload_bytes,
            "files": len(setup["files"]),
            "rounds": args.rounds,
            "median_seconds": {n: round(v, 3) for n, v in med.items()},
            "peak_rss_kib": rss,
            "ratios": {label: round(value, 3) for label, value, _ in checks},
        }
        print(json.dumps(result, ensure_ascii=False))
        missed = [label for label, _, ok in checks if ok is False]
        return 1 if (missed and args.strict) else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
