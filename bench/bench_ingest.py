"""Media ingest benchmark: a 1 GB video uploaded over HTTP on loopback to the real
server (`quanlu serve`: gunicorn, gthread workers — the production path), as a
multipart form and as a tus upload, against `cp` of the same file to the same disk
followed by `sync` (the physical limit), in the same run:

    .venv/bin/python bench/bench_ingest.py              # 1 GB (the target)
    .venv/bin/python bench/bench_ingest.py --mb 128     # a quick run while developing

For each digest setting (SHA-256 alone, + SM3, + SM3 + SHA-512 = the default QUANLU_EXTRA_DIGESTS) a
fresh server on a fresh data folder receives each upload once; the client sends the
file with sendfile(2), so the client costs little CPU. An upload's time runs from the
first byte sent to the server's answer, which comes after the bytes are fsynced,
hashed, probed by FFmpeg and registered. Printed: throughput and ratio to cp, the
digests the server reports (checked against hashlib), and the peak RSS (VmHWM) of the
server's processes. Targets (issue 4): >= 0.8 of cp with SHA-256; RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUANLU = str(ROOT / ".venv" / "bin" / "quanlu")
PYTHON = str(ROOT / ".venv" / "bin" / "python")

SETUP = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanlu.config.settings")
django.setup()
from quanlu.testing import factories
from quanlu.org.services import api_token_create
w = factories.world()
_, token = api_token_create(actor=w.officer, officer=w.officer, label="bench")
cases = [str(w.open_case().public_id) for _ in range(3)]
print(token, *cases)
"""


def make_video(path: Path, megabytes: int) -> None:
    """A real H.264 MP4 of the wanted size: losslessly coded noise does not compress."""
    import av
    from PIL import Image

    tmp = path.with_suffix(".part")
    size = (1280, 720)
    with av.open(str(tmp), "w", format="mp4") as container:
        container.metadata["creation_time"] = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        stream = container.add_stream("libx264", rate=25, options={"preset": "ultrafast", "qp": "0"})
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        target = megabytes * 1024 * 1024
        i = written = 0
        while written < target:
            image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
            frame = av.VideoFrame.from_image(image)
            frame.pts = i
            frame.time_base = Fraction(1, 25)
            for packet in stream.encode(frame):
                written += packet.size
                container.mux(packet)
            i += 1
        for packet in stream.encode():
            container.mux(packet)
    tmp.rename(path)


def digests(path: Path) -> dict[str, str]:
    hashes = {"sha256": hashlib.sha256(), "sm3": hashlib.new("sm3")}
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            for h in hashes.values():
                h.update(chunk)
    return {k: h.hexdigest() for k, h in hashes.items()}


def cp_sync(src: Path, dst_dir: Path) -> float:
    dst = dst_dir / "copy.bin"
    subprocess.run(["sync"], check=True)
    start = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    subprocess.run(["sync"], check=True)
    elapsed = time.perf_counter() - start
    dst.unlink()
    return elapsed


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def _send(port: int, head: str, before: bytes, path: Path, after: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port)) as sock, path.open("rb") as fh:
        sock.sendall(head.encode() + before)
        sock.sendfile(fh)
        sock.sendall(after)
        return _read_response(sock)


def upload_multipart(port: int, token: str, case: str, path: Path) -> tuple[float, dict[str, object]]:
    boundary = uuid.uuid4().hex
    before = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="step_label"\r\n\r\n基准测试\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    after = f"\r\n--{boundary}--\r\n".encode()
    length = len(before) + path.stat().st_size + len(after)
    head = (
        f"POST /api/v1/cases/{case}/media/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    start = time.perf_counter()
    status, _, body = _send(port, head, before, path, after)
    elapsed = time.perf_counter() - start
    if status != 201:
        raise SystemExit(f"multipart upload failed: {status} {body[:300]!r}")
    return elapsed, json.loads(body)["record"]


def upload_tus(port: int, token: str, case: str, path: Path) -> tuple[float, str]:
    import base64

    size = path.stat().st_size
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in {"case": case, "filename": path.name}.items()
    )
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            (
                f"POST /api/v1/media/tus/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTus-Resumable: 1.0.0\r\n"
                f"Authorization: Bearer {token}\r\nUpload-Length: {size}\r\nUpload-Metadata: {meta}\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        status, headers, body = _read_response(sock)
    if status != 201:
        raise SystemExit(f"tus creation failed: {status} {body[:300]!r}")
    location = headers["location"].split(f":{port}", 1)[1]
    head = (
        f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTus-Resumable: 1.0.0\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Upload-Offset: 0\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    )
    status, headers, body = _send(port, head, b"", path, b"")
    elapsed = time.perf_counter() - start
    if status != 204:
        raise SystemExit(f"tus upload failed: {status} {body[:300]!r}")
    return elapsed, headers["quanlu-record"]


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out.extend(int(x) for x in text)
    return out


def _hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class Server:
    def __init__(self, extra_digests: str, workdir: Path) -> None:
        self.data = workdir / f"data-{extra_digests or 'sha256'}-{uuid.uuid4().hex[:6]}"
        # One worker (gthread, 4 threads), warmed up before timing: a production server
        # has long since imported FFmpeg and loaded its URLs when a field upload comes.
        self.env = dict(
            os.environ, QUANLU_DATA_DIR=str(self.data), QUANLU_EXTRA_DIGESTS=extra_digests, QUANLU_WORKERS="1"
        )
        self.env.pop("QUANLU_DATABASE_URL", None)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]

    def __enter__(self) -> Server:
        subprocess.run([QUANLU, "migrate", "-v0"], env=self.env, check=True)
        out = subprocess.run([PYTHON, "-c", SETUP], env=self.env, check=True, capture_output=True, text=True)
        self.token, *self.cases = out.stdout.split()
        self.log = (self.data / "server.log").open("w")
        self.proc = subprocess.Popen(
            [QUANLU, "serve", "--bind", f"127.0.0.1:{self.port}"],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    if _read_response(sock)[0] == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("server did not start")
        warm = self.data / "warm.mp4"
        from quanlu.media import samples

        warm.write_bytes(samples.video(seconds=2, label="warm-up"))
        upload_multipart(self.port, self.token, self.cases[2], warm)
        warm.write_bytes(samples.video(seconds=2, label="warm-up 2"))
        upload_tus(self.port, self.token, self.cases[2], warm)
        return self

    def cpu_seconds(self) -> float:
        """User + system CPU time of the worker so far."""
        total = 0.0
        for pid in _children(self.proc.pid):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def peak_rss_mb(self) -> tuple[float, float]:
        """(largest worker's VmHWM, master's VmHWM) in MB."""
        workers = _children(self.proc.pid)
        return max(_hwm_kb(p) for p in workers) / 1024, _hwm_kb(self.proc.pid) / 1024

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(self.data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=1024, help="video size in MiB (default 1024)")
    parser.add_argument(
        "--dir", default=os.environ.get("QUANLU_BENCH_DIR", ""), help="work folder (same disk as the store)"
    )
    args = parser.parse_args()
    workdir = Path(args.dir or tempfile.gettempdir()) / "quanlu-bench-ingest"
    workdir.mkdir(parents=True, exist_ok=True)
    video = workdir / f"bench-{args.mb}MB.mp4"
    if not video.exists():
        print(f"making a {args.mb} MiB H.264 video with PyAV …", flush=True)
        make_video(video, args.mb)
    size = video.stat().st_size
    expected = digests(video)
    mb = size / 1e6
    print(f"file: {video} ({size} bytes)\nsha256 {expected['sha256']}\nsm3    {expected['sm3']}")

    cp_times = [cp_sync(video, workdir) for _ in range(3)]
    cp = statistics.median(cp_times)
    print(
        f"\ncp + sync (median of 3): {cp:.2f} s = {mb / cp:.0f} MB/s   ({', '.join(f'{t:.2f}' for t in cp_times)})"
    )
    print(
        f"\nload average before: {os.getloadavg()[0]:.2f} (2 cores; other work on the machine slows the server, not cp)"
    )
    print(
        f"\n{'setting':<16}{'method':<11}{'seconds':>8}{'MB/s':>8}{'vs cp':>8}  ok   server CPU  peak RSS worker / master"
    )
    results = {}
    settings = (
        ("SHA-256", ""),
        ("SHA-256 + SM3", "sm3"),
        ("+SM3+SHA-512", "sm3,sha512"),
    )  # the last is the default
    for label, extra in settings:
        for method in ("multipart", "tus"):
            with Server(extra, workdir) as server:
                subprocess.run(["sync"], check=True)
                cpu_before = server.cpu_seconds()
                if method == "multipart":
                    elapsed, record = upload_multipart(server.port, server.token, server.cases[0], video)
                    got = {"sha256": record["sha256"], "sm3": record["sm3"]}
                else:
                    elapsed, record_id = upload_tus(server.port, server.token, server.cases[1], video)
                    got = _record_digests(server, record_id)
                ok = got["sha256"] == expected["sha256"] and (not extra or got["sm3"] == expected["sm3"])
                cpu = server.cpu_seconds() - cpu_before
                worker, master = server.peak_rss_mb()
            ratio = cp / elapsed
            results[(label, method)] = (elapsed, ratio, worker)
            print(
                f"{label:<16}{method:<11}{elapsed:>8.2f}{mb / elapsed:>8.0f}{ratio:>8.2f}  {'yes' if ok else 'NO':<5}"
                f"{cpu:>6.2f} s{worker:>8.0f} MB / {master:.0f} MB",
                flush=True,
            )
            if not ok:
                raise SystemExit(f"digest mismatch: {got} != {expected}")
    worst = min(r for (label, _), (_, r, _) in results.items() if label == "SHA-256")
    rss = max(w for _, _, w in results.values())
    print(f"\ntarget >= 0.80 of cp with SHA-256: {'met' if worst >= 0.8 else 'NOT met'} (worst {worst:.2f})")
    print(f"target peak RSS < 200 MB: {'met' if rss < 200 else 'NOT met'} (largest worker {rss:.0f} MB)")


def _record_digests(server: Server, record_id: str) -> dict[str, str]:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            (
                f"GET /api/v1/media/records/{record_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {server.token}\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        status, _, body = _read_response(sock)
    if status != 200:
        raise SystemExit(f"record lookup failed: {status} {body[:200]!r}")
    record = json.loads(body)
    return {"sha256": record["sha256"], "sm3": record["sm3"]}


if __name__ == "__main__":
    sys.exit(main())
