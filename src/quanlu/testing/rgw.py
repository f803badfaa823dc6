"""A throw-away S3 server for tests: a single-node Ceph cluster with its RADOS Gateway (RGW).

One monitor, one OSD on ``memstore`` (object data in RAM) and radosgw, all on 127.0.0.1, all
state in one temporary folder, ports picked free. Starting takes about 2 s; stopping about 3 s
(the daemons are sent TERM, then KILL after a short grace: nothing in them is worth keeping).
Findings behind every setting: docs/notes/object-storage.md. The Debian packages (ceph-mon,
ceph-osd, radosgw) are installed when missing, as ``make s3-deps`` does.

    python -m quanlu.testing.rgw up /tmp/rgw     # prints the endpoint; stays up
    python -m quanlu.testing.rgw down /tmp/rgw

Only processes started here are ever signalled: by the PIDs in our pid files, and only
while their command line still names our ceph.conf (a PID may have been reused).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGES = ("ceph-mon", "ceph-osd", "radosgw")
ACCESS_KEY = "quanlutestaccess"
SECRET_KEY = "quanlutestsecret"
REGION = "us-east-1"


class RGWError(RuntimeError):
    """The server could not be installed or started; the message says why (and where the logs are)."""


@dataclass(frozen=True)
class RGW:
    folder: Path
    port: int
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def use_s3(settings: Any, config: Any) -> None:
    """Point the settings (and so get_store()) at the S3 store ``config`` describes."""
    settings.QUANLU_STORAGE = "s3"
    settings.QUANLU_S3_BUCKET = config.bucket
    settings.QUANLU_S3_ENDPOINT_URL = config.endpoint_url
    settings.QUANLU_S3_ACCESS_KEY = config.access_key
    settings.QUANLU_S3_SECRET_KEY = config.secret_key
    settings.QUANLU_S3_REGION = config.region
    settings.QUANLU_S3_PREFIX = config.prefix
    settings.QUANLU_S3_RETAIN_DAYS = config.retain_days


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_installed() -> None:
    """Install the Debian packages when radosgw is missing (apt-get, through sudo unless root)."""
    if all(shutil.which(tool) for tool in ("radosgw", "ceph-mon", "ceph-osd")):
        return
    if not shutil.which("apt-get"):
        raise RGWError(f"radosgw is not installed and there is no apt-get: install {' '.join(PACKAGES)}")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES]
    done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # the lists may be stale: update once, then try again
        subprocess.run([*sudo, "apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RGWError(
            f"could not install {' '.join(PACKAGES)} (apt-get exit {done.returncode}): "
            f"{done.stderr.strip()[-500:]}"
        )


def _conf(folder: Path, mon_port: int, rgw_port: int, memstore_bytes: int) -> str:
    d = folder
    return f"""[global]
fsid = {uuid.uuid4()}
mon host = v2:127.0.0.1:{mon_port}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
# radosgw defaults to ms_mon_client_mode=secure, which needs cephx; with auth=none use crc
ms mon client mode = crc
mon warn on insecure global id reclaim allowed = false
run dir = {d}/run
admin socket = {d}/run/$name.asok
pid file = {d}/run/$name.pid
log file = {d}/log/$name.log
keyring = {d}/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# pools are created one paxos round at a time: short rounds make the start ~2 s, not ~11 s
paxos propose interval = 0.05
paxos min wait = 0.01
mon data avail warn = 1
mon data avail crit = 0
[mon]
mon data = {d}/$name
[osd]
osd data = {d}/$name
osd objectstore = memstore
memstore device bytes = {memstore_bytes}
osd class update on start = false
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw data = {d}/rgw
rgw dns name = localhost
rgw init timeout = 60
"""


def start(folder: Path, *, memstore_bytes: int = 2 << 30, timeout: float = 120) -> RGW:
    """Start a fresh cluster in ``folder`` (wiped first) and return its S3 endpoint and keys.
    On any failure everything started is stopped and RGWError says what failed."""
    ensure_installed()
    folder = Path(folder).resolve()
    shutil.rmtree(folder, ignore_errors=True)
    for sub in ("mon.a", "osd.0", "run", "log", "rgw"):
        (folder / sub).mkdir(parents=True, mode=0o700)
    mon_port, rgw_port = free_port(), free_port()
    conf = folder / "ceph.conf"
    conf.write_text(_conf(folder, mon_port, rgw_port, memstore_bytes))
    c = ["-c", str(conf)]
    deadline = time.monotonic() + timeout

    def run(*cmd: str) -> str:
        left = max(1.0, deadline - time.monotonic())
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=left, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RGWError(f"{cmd[0]} did not finish in time; logs in {folder / 'log'}") from exc
        if done.returncode != 0:
            raise RGWError(
                f"{' '.join(cmd[:1] + cmd[3:])} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-500:]}; logs in {folder / 'log'}"
            )
        return done.stdout

    try:
        # mon --mkfs wants a keyring even with auth=none
        run("ceph-authtool", "--create-keyring", str(folder / "keyring"), "--gen-key", "-n", "mon.",
            "--cap", "mon", "allow *")  # fmt: skip
        fsid = next(
            line.split("=", 1)[1].strip() for line in conf.read_text().splitlines() if line.startswith("fsid")
        )
        run("monmaptool", "--create", "--fsid", fsid, "--addv", "a", f"[v2:127.0.0.1:{mon_port}]",
            str(folder / "monmap"))  # fmt: skip
        run("ceph-mon", *c, "-i", "a", "--mkfs", "--monmap", str(folder / "monmap"),
            "--keyring", str(folder / "keyring"))  # fmt: skip
        run("ceph-mon", *c, "-i", "a")  # daemonizes
        osd_uuid = str(uuid.uuid4())
        osd_id = run("ceph", *c, "osd", "new", osd_uuid).strip()
        run("ceph-osd", *c, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
        run("ceph-osd", *c, "-i", osd_id)  # daemonizes
        while "1 up" not in run("ceph", *c, "osd", "stat"):
            if time.monotonic() > deadline:
                raise RGWError(f"the OSD did not come up; logs in {folder / 'log'}")
            time.sleep(0.1)
        run("radosgw", *c, "-n", "client.rgw.a")  # daemonizes once connected to the monitor
        run("radosgw-admin", *c, "user", "create", "--uid=quanlu", "--display-name=quanlu",
            f"--access-key={ACCESS_KEY}", f"--secret-key={SECRET_KEY}")  # fmt: skip
        rgw = RGW(folder=folder, port=rgw_port)
        while not _answers(rgw.endpoint):
            if time.monotonic() > deadline:
                raise RGWError(f"radosgw does not answer on {rgw.endpoint}; logs in {folder / 'log'}")
            time.sleep(0.1)
        if not _ours((folder / "run" / "client.rgw.a.pid"), conf):  # the answering server is ours
            raise RGWError(f"radosgw exited after start; logs in {folder / 'log'}")
        return rgw
    except BaseException:
        stop(folder)
        raise


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "/", timeout=2):  # noqa: S310 — our own loopback URL
            return True
    except OSError:
        return False


def _ours(pid_file: Path, conf: Path) -> int | None:
    """The PID in ``pid_file`` if it is alive and still one of our daemons, else None."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if str(conf).encode() in cmdline else None


def stop(folder: Path, *, grace: float = 3.0) -> None:
    """Stop the daemons started in ``folder``: TERM, then KILL after ``grace`` seconds."""
    folder = Path(folder).resolve()
    conf = folder / "ceph.conf"
    pids = [pid for f in sorted((folder / "run").glob("*.pid")) if (pid := _ours(f, conf))]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if _alive(pid)]
        time.sleep(0.05)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a killed daemon waits as a zombie until init reaps it


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("up", "down"):
        print("usage: python -m quanlu.testing.rgw up|down FOLDER", file=sys.stderr)
        return 2
    if argv[0] == "down":
        stop(Path(argv[1]))
        return 0
    began = time.monotonic()
    try:
        rgw = start(Path(argv[1]))
    except RGWError as exc:
        print(f"rgw: {exc}", file=sys.stderr)
        return 1
    print(
        f"RGW ready on {rgw.endpoint} in {time.monotonic() - began:.1f} s "
        f"(access key {rgw.access_key}, secret key {rgw.secret_key}, region {rgw.region})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
