"""Archive package benchmark: writing a bag against `cp`, and `cp` + bagit-python's make_bag.

One command, all on the same files, on the same disk, in the same run, rounds interleaved:

    .venv/bin/python bench/bench_archive.py            # 5 GB of media-like files (the target)
    .venv/bin/python bench/bench_archive.py --gb 0.5   # a quick run while developing

Contestants (each in its own child process, so its peak memory is its own; the page cache is
flushed with `sync` before each, and durability is the same for all: everything on disk at the end):

- cp            `cp -r` of the payload to the same disk, then fsync of every copied file: the
                physical limit
- writer        quanlu's write_bag with SHA-256 and SM3 known from ingest (what the blob store
                keeps today); SHA-512 computed in the copying pass
- writer-known  write_bag with SHA-256, SHA-512 and SM3 all known from ingest (the proposed
                design: the blob store computes SHA-512 in its one ingest pass too): kernel copy
- cp+make_bag   `cp -r`, then bagit.make_bag(checksums=sha256,sha512), then fsync: what an
                archivist would do by hand

Then verification of the same bag: `quanlu archive verify --bag-only` (the library call) against
`bagit.py --validate`. Targets (issue 7): writer within 1.2x of cp, and at least 1.8x faster
than cp+make_bag; memory independent of size.
"""

from __future__ import annotations

import argparse
import hashlib
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
sys.path.insert(0, str(HERE.parent / "src"))

from quanlu.archive import bagit as quanlu_bagit  # noqa: E402
from quanlu.archive.bagwriter import PayloadFile, write_bag  # noqa: E402
from quanlu.archive.package import package_bag_info  # noqa: E402

BLOCK = 64 * 1024 * 1024


def make_payload(root: Path, total: int) -> list[Path]:
    """Media-like files: a few long videos, some audio, many photos, a few documents."""
    root.mkdir(parents=True)
    shares = [
        ("video", 0.70, 4, ".mp4"),
        ("audio", 0.10, 10, ".m4a"),
        ("photo", 0.15, 150, ".jpg"),
        ("doc", 0.05, 40, ".pdf"),
    ]
    random_block = os.urandom(BLOCK)
    paths = []
    serial = 0
    for kind, share, count, ext in shares:
        size = int(total * share) // count
        for i in range(count):
            serial += 1
            path = root / kind / f"{kind}-{i:03d}{ext}"
            path.parent.mkdir(exist_ok=True)
            with open(path, "wb") as fh:
                left, offset = size, (serial * 7919) % BLOCK
                fh.write(serial.to_bytes(8, "big"))  # every file differs
                left -= 8
                while left > 0:
                    piece = random_block[offset : offset + min(left, BLOCK - offset)]
                    fh.write(piece)
                    left -= len(piece)
                    offset = 0
            paths.append(path)
    return paths


def ingest_digests(paths: list[Path]) -> dict[str, dict[str, str]]:
    """What ingest computed, in its one pass (not timed: it happened at upload)."""
    known = {}
    for path in paths:
        hashes = {a: hashlib.new(a) for a in ("sha256", "sha512", "sm3")}
        with open(path, "rb") as fh:
            for chunk in iter(lambda f=fh: f.read(4 << 20), b""):
                for h in hashes.values():
                    h.update(chunk)
        known[str(path)] = {a: h.hexdigest() for a, h in hashes.items()}
    return known


def sync() -> None:
    subprocess.run(["sync"], check=True)


def fsync_tree(root: Path) -> None:
    """What `sync` would do for these files only: other people's dirty pages on a shared
    machine are not ours to wait for. The writer fsyncs exactly its own files too."""
    for folder, _dirs, names in os.walk(root):
        for name in [*names, "."]:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


# --- contestants (run in a child process) ------------------------------------------------------


def run_one(name: str, src: Path, out: Path, digests_file: Path) -> None:
    known = json.loads(digests_file.read_text())
    files = sorted(p for p in src.rglob("*") if p.is_file())
    if name == "cp":
        subprocess.run(["cp", "-r", str(src), str(out)], check=True)
        fsync_tree(out)
    elif name == "cp+make_bag":
        import bagit

        subprocess.run(["cp", "-r", str(src), str(out)], check=True)
        bagit.make_bag(str(out), checksums=["sha256", "sha512"])
        fsync_tree(out)
    elif name in ("writer", "writer-known"):
        keep = ("sha256", "sm3") if name == "writer" else ("sha256", "sha512", "sm3")
        items = [
            PayloadFile(
                p, str(p.relative_to(src)), {a: known[str(p)][a] for a in keep}, size=p.stat().st_size
            )
            for p in files
        ]
        info = package_bag_info(
            source_organization="基准测试局",
            archive_number="X001-WS·2024-Y-ZF-0001",
            case_number="基准〔2024〕1号",
            retention="permanent",
            case_closed_date="2024-01-31",
        )
        write_bag(out, items, info)
    elif name == "verify":
        report = quanlu_bagit.validate_bag(str(out))
        if not report.valid:
            raise SystemExit(quanlu_bagit.format_report(report))
    elif name == "bagit.py --validate":
        subprocess.run([sys.executable, "-m", "bagit", "--validate", "--quiet", str(out)], check=True)
    else:
        raise SystemExit(f"unknown contestant {name}")


def timed_child(name: str, src: Path, out: Path, digests_file: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of one contestant in its own process."""
    cmd = [
        sys.executable,
        __file__,
        "--run-one",
        name,
        "--src",
        str(src),
        "--out",
        str(out),
        "--digests",
        str(digests_file),
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
    parser.add_argument("--src")
    parser.add_argument("--out")
    parser.add_argument("--digests")
    args = parser.parse_args()
    if args.run_one == "prepare":
        # In a child, so the parent (whose memory every contestant's fork starts from) stays small.
        paths = make_payload(Path(args.src), int(args.gb * 1e9))
        Path(args.digests).write_text(json.dumps(ingest_digests(paths)))
        return 0
    if args.run_one:
        run_one(args.run_one, Path(args.src), Path(args.out), Path(args.digests))
        return 0

    work = Path(tempfile.mkdtemp(prefix="quanlu-bench-archive-", dir=args.dir))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up when stopped
    try:
        print(
            f"bench_archive: {args.gb:g} GB of media-like files in {work}, {args.rounds} rounds", flush=True
        )
        src = work / "payload"
        digests_file = work / "ingest-digests.json"
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--run-one",
                "prepare",
                "--gb",
                str(args.gb),
                "--src",
                str(src),
                "--digests",
                str(digests_file),
            ],
            check=True,
        )
        paths = sorted(p for p in src.rglob("*") if p.is_file())
        payload_bytes = sum(p.stat().st_size for p in paths)
        print(f"  payload: {len(paths)} files, {payload_bytes / 1e9:.2f} GB", flush=True)
        sync()

        names = ["cp", "writer", "writer-known", "cp+make_bag"]
        times: dict[str, list[float]] = {n: [] for n in [*names, "verify", "bagit.py --validate"]}
        rss: dict[str, int] = {}
        for round_no in range(args.rounds):
            order = names[round_no % len(names) :] + names[: round_no % len(names)]
            for name in order:
                out = work / f"out-{name.replace('+', '_')}"
                sync()
                seconds, peak = timed_child(name, src, out, digests_file)
                times[name].append(seconds)
                rss[name] = max(rss.get(name, 0), peak)
                print(
                    f"  round {round_no + 1}: {name:<13} {seconds:7.2f} s  peak RSS {peak / 1024:6.1f} MiB",
                    flush=True,
                )
                if name == "writer":
                    for checker in ("verify", "bagit.py --validate"):
                        seconds, peak = timed_child(checker, src, out, digests_file)
                        times[checker].append(seconds)
                        rss[checker] = max(rss.get(checker, 0), peak)
                        print(
                            f"  round {round_no + 1}: {checker:<13} {seconds:7.2f} s  peak RSS {peak / 1024:6.1f} MiB",
                            flush=True,
                        )
                shutil.rmtree(out)

        med = {n: statistics.median(t) for n, t in times.items()}
        gbps = {n: payload_bytes / med[n] / 1e9 for n in med}
        print("\nmedians (GB/s of payload):")
        for name in times:
            print(
                f"  {name:<20} {med[name]:7.2f} s  {gbps[name]:5.2f} GB/s  peak RSS {rss[name] / 1024:6.1f} MiB"
            )
        checks = []
        for writer in ("writer-known", "writer"):
            vs_cp = med[writer] / med["cp"]
            vs_bag = med["cp+make_bag"] / med[writer]
            checks.append((f"{writer} / cp <= 1.2", vs_cp, vs_cp <= 1.2))
            checks.append((f"(cp+make_bag) / {writer} >= 1.8", vs_bag, vs_bag >= 1.8))
        checks.append(("bagit.py --validate / verify", med["bagit.py --validate"] / med["verify"], True))
        print("\nratios:")
        for label, value, ok in checks:
            print(f"  {label:<34} {value:5.2f}  {'ok' if ok else 'MISSED'}")
        result = {
            "bench": "archive",
            "payload_bytes": payload_bytes,
            "files": len(paths),
            "rounds": args.rounds,
            "median_seconds": {n: round(v, 3) for n, v in med.items()},
            "peak_rss_kib": rss,
            "ratios": {label: round(value, 3) for label, value, _ in checks},
        }
        print(json.dumps(result, ensure_ascii=False))
        missed = [label for label, _, ok in checks if not ok]
        return 1 if (missed and args.strict) else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
