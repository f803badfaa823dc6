"""Supervision benchmark: every dashboard page and statistics query at scale, as the
people who use them, through a real `quanlu serve`, beside a plain COUNT(*) over the
same tables measured in the same run.

    # a scaled PostgreSQL site (see docs/notes/scale.md): 1,000,000 cases, ~20,000,000 events
    QUANLU_DATABASE_URL=postgres://…/bench QUANLU_DATA_DIR=… quanlu demo --scale 1000000
    QUANLU_DATABASE_URL=postgres://…/bench QUANLU_DATA_DIR=… .venv/bin/python bench/bench_supervision.py
    .venv/bin/python bench/bench_supervision.py --quick   # its own tiny SQLite site (seconds)

Each entry of QUERIES is (name, who, path, the tables it reads): ``who`` is the
province's supervisor (the top of the synthetic tree), the first county's head or the
province's justice bureau's supervisor — the accounts `quanlu demo --scale` prints. Pages
go through the session login, the API through a bearer token. Each is fetched --samples
times (after one warm-up); p50/p95 are printed beside the p50 of ``SELECT COUNT(*)``
over its tables, and p95 at or over --limit-ms (500 by default) is flagged. A page that
takes longer than --timeout seconds once is reported as such and not sampled again.
The JSON of every figure goes to the last line of stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "quanlu-demo"  # noqa: S105 - the synthetic accounts' password, printed by `quanlu demo`

# (name, who, path, tables). Add the new dashboards' pages and queries here.
QUERIES: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("统计 API（全省）", "supervisor", "/api/v1/statistics/agencies", ("cases_case", "supervision_deadline")),
    (
        "统计 API（近一年）",
        "supervisor",
        "/api/v1/statistics/agencies?since={year_ago}",
        ("cases_case", "supervision_deadline"),
    ),
    ("统计 API（县局）", "head", "/api/v1/statistics/agencies", ("cases_case", "supervision_deadline")),
    ("统计 API（司法厅）", "justice", "/api/v1/statistics/agencies", ("cases_case", "supervision_deadline")),
    ("案件列表 API（全省）", "supervisor", "/api/v1/cases", ("cases_case",)),
    ("案件列表 API（按阶段）", "supervisor", "/api/v1/cases?stage=investigation", ("cases_case",)),
    ("案件列表 API（第 200 页）", "supervisor", "/api/v1/cases?offset=10000", ("cases_case",)),
    ("案件列表 API（县局）", "head", "/api/v1/cases", ("cases_case",)),
    ("预警 API（全省）", "supervisor", "/api/v1/alerts", ("supervision_alert",)),
    ("预警 API（红牌）", "supervisor", "/api/v1/alerts?level=red", ("supervision_alert",)),
    ("预警 API（县局）", "head", "/api/v1/alerts", ("supervision_alert",)),
    ("变更数据 API（首页）", "supervisor", "/api/v1/feed?limit=500", ("ledger_event",)),
    ("整改通知 API", "supervisor", "/api/v1/rectification-orders", ("supervision_rectificationorder",)),
    ("备案情况 API", "justice", "/api/v1/rulebook-filings", ("org_agency",)),
    ("责任追究 API", "supervisor", "/api/v1/liability-cases", ("supervision_liabilitycase",)),
    ("执法监督总览页", "head", "/supervision/", ("cases_case", "supervision_deadline")),
    ("执法监督总览页（全省）", "supervisor", "/supervision/", ("cases_case", "supervision_deadline")),
    ("整改通知页", "supervisor", "/supervision/orders/", ("supervision_rectificationorder",)),
    ("备案页", "justice", "/supervision/filings/", ("org_agency",)),
    ("责任追究页", "supervisor", "/supervision/liability/", ("supervision_liabilitycase",)),
    # The compliance projection's figures and the dashboards drawn from them.
    (
        "规则符合情况 API（全省）",
        "supervisor",
        "/api/v1/statistics/rules",
        ("supervision_compliancefinding",),
    ),
    (
        "条款符合情况 API（全省）",
        "supervisor",
        "/api/v1/statistics/articles",
        ("supervision_compliancefinding",),
    ),
    ("音像覆盖 API（全省）", "supervisor", "/api/v1/statistics/coverage", ("supervision_casecompliance",)),
    ("存储及时性 API（全省）", "supervisor", "/api/v1/statistics/uploads", ("media_mediarecord",)),
    ("归档及时性 API（全省）", "supervisor", "/api/v1/statistics/archiving", ("supervision_deadline",)),
    ("阶段用时 API（全省）", "supervisor", "/api/v1/statistics/durations", ("cases_stagetransition",)),
    ("规则符合情况 API（县局）", "head", "/api/v1/statistics/rules", ("supervision_compliancefinding",)),
    ("驾驶舱（全省，本年）", "supervisor", "/supervision/dashboard/?period=year", ("cases_case",)),
    ("驾驶舱（司法厅，本年）", "justice", "/supervision/dashboard/?period=year", ("cases_case",)),
    ("驾驶舱（县局，本年）", "head", "/supervision/dashboard/?period=year", ("cases_case",)),
    ("驾驶舱导出 XLSX（全省）", "supervisor", "/supervision/dashboard/all.xlsx?period=year", ("cases_case",)),
    ("案卷评查活动页", "supervisor", "/file-reviews/", ("file_review_campaign",)),
]


def _django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanlu.config.settings")
    import django

    django.setup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "n": len(ms),
        "p50_ms": round(ms[len(ms) // 2], 2),
        "p95_ms": round(ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))], 1),
        "max_ms": round(ms[-1], 1),
    }


class Client:
    """One person's session on the live server: a login cookie for the pages, a bearer
    token for the API."""

    def __init__(self, base: str, username: str, token: str, timeout: float) -> None:
        self.base, self.token, self.timeout = base, token, timeout
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = self.opener.open(f"{base}/login/", timeout=timeout).read().decode()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found is not None, "no login form"
        body = f"csrfmiddlewaretoken={found.group(1)}&username={username}&password={PASSWORD}".encode()
        request = urllib.request.Request(f"{base}/login/", data=body, headers={"Referer": f"{base}/login/"})  # noqa: S310 - our own server on 127.0.0.1
        landed = self.opener.open(request, timeout=timeout).read().decode()
        assert "工作台" in landed, f"{username} could not sign in"

    def get(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        headers = {"Authorization": f"Bearer {self.token}"} if path.startswith("/api/") else {}
        request = urllib.request.Request(self.base + path, headers=headers)  # noqa: S310 - our own server on 127.0.0.1
        with self.opener.open(request, timeout=self.timeout) as response:
            return response.status, response.read(), dict(response.headers)


def _tokens() -> dict[str, tuple[str, str]]:
    """A bearer token for each synthetic login (made through the service, ledgered)."""
    from quanlu.demo.scale import logins
    from quanlu.org.services import accounts

    out = {}
    for label, officer in logins().items():
        _, secret = accounts.api_token_create(actor=officer, officer=officer, label="bench_supervision")
        out[label] = (officer.username, secret)
    return out


def _counts(tables: set[str], samples: int) -> dict[str, dict[str, Any]]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in sorted(tables):
            times, rows = [], 0
            for _ in range(samples):
                t = time.perf_counter()
                cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - our own table names
                rows = int(cursor.fetchone()[0])
                times.append(time.perf_counter() - t)
            out[table] = {"rows": rows, **_ms(times)}
    return out


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    # --no-jobs: the background jobs (deadline sweeps, …) would run over the whole
    # scaled site during the measurement; the pages are measured alone.
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "quanlu",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-jobs",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: _stop ends the workers too
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("quanlu serve did not start")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and its worker, which may still be busy with an abandoned request."""
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)


def _start(
    tokens: dict[str, tuple[str, str]], timeout: float
) -> tuple[subprocess.Popen[bytes], dict[str, Client]]:
    port = _free_port()
    server = _serve(dict(os.environ), port)
    base = f"http://127.0.0.1:{port}"
    return server, {label: Client(base, u, t, timeout) for label, (u, t) in tokens.items()}


def _quick_site(tmp: Path) -> None:
    """A tiny synthetic site of its own (SQLite) for --quick."""
    os.environ["QUANLU_DATA_DIR"] = str(tmp)
    os.environ.pop("QUANLU_DATABASE_URL", None)
    tmp.chmod(0o700)
    quanlu = [sys.executable, "-m", "quanlu"]
    subprocess.run([*quanlu, "migrate", "-v0"], check=True, capture_output=True)
    subprocess.run([*quanlu, "demo", "--scale", "30", "--agencies", "4"], check=True, capture_output=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    import datetime as dt

    _django()
    from django.db import connection

    tokens = _tokens()
    missing = {who for _, who, _, _ in QUERIES} - set(tokens)
    if missing:
        raise SystemExit(f"no synthetic accounts {sorted(missing)}: run `quanlu demo --scale N` first")
    year_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    results: list[dict[str, Any]] = []
    server, clients = _start(tokens, args.timeout)
    try:
        for name, who, template, tables in QUERIES:
            if args.only and not any(word in name or word in template for word in args.only):
                continue
            path = template.format(year_ago=year_ago)
            client = clients[who]
            row: dict[str, Any] = {"name": name, "who": who, "path": path, "tables": list(tables)}
            times: list[float] = []
            began = time.perf_counter()
            try:
                for i in range(args.samples + 1):
                    if times and time.perf_counter() - began > args.budget:
                        row["note"] = f"超过每项 {args.budget:.0f} 秒预算，只计 {len(times)} 次"
                        break
                    t = time.perf_counter()
                    status, body, headers = client.get(path)
                    elapsed = time.perf_counter() - t
                    if i == 0:  # warm-up: caches, the first query plan
                        row.update(status=status, bytes=len(body), total=headers.get("X-Total-Count"))
                        if elapsed > args.timeout / 2:
                            times.append(elapsed)
                            row["note"] = "首次请求已过慢，只计一次"
                            break
                        continue
                    times.append(elapsed)
            except (TimeoutError, urllib.error.URLError) as exc:
                row["error"] = f"超时或失败（>{args.timeout:.0f} 秒）：{exc}"
                # The worker is still busy with the abandoned request: start afresh.
                _stop(server)
                server, clients = _start(tokens, args.timeout)
            if times:
                row.update(_ms(times))
            results.append(row)
            print(f"  … {name}: {row.get('p95_ms', row.get('error'))}", file=sys.stderr, flush=True)
    finally:
        _stop(server)
    counts = _counts({t for r in results for t in r["tables"]}, max(5, args.samples // 2))
    return {"vendor": connection.vendor, "results": results, "counts": counts}


def report(out: dict[str, Any], limit_ms: float) -> None:
    counts = out["counts"]
    print(f"数据库：{out['vendor']}；" + "，".join(f"{t} {c['rows']:,} 行" for t, c in counts.items()))
    head = f"{'页面/查询':<26}{'身份':<11}{'p50 ms':>9}{'p95 ms':>9}  {'COUNT(*) p50 ms':>16}{'p95/COUNT':>10}  结论"
    print(head)
    for r in out["results"]:
        base = sum(counts[t]["p50_ms"] for t in r["tables"])
        if "p95_ms" not in r:
            print(
                f"{r['name']:<26}{r['who']:<11}{'—':>9}{'—':>9}  {base:>16.2f}{'—':>10}  ✗ {r.get('error', '')}"
            )
            continue
        ratio = f"{r['p95_ms'] / base:.0f}×" if base >= 0.05 else "—"
        verdict = "✓" if r["p95_ms"] < limit_ms and r.get("status") == 200 else f"✗ ≥ {limit_ms:.0f} ms"
        if r.get("status") != 200:
            verdict = f"✗ HTTP {r.get('status')}"
        note = f"（{r['note']}）" if r.get("note") else ""
        print(
            f"{r['name']:<26}{r['who']:<11}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}  {base:>16.2f}{ratio:>10}  {verdict}{note}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a tiny SQLite site of its own, 2 samples")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds before a request counts as failed"
    )
    parser.add_argument("--limit-ms", type=float, default=500.0)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds of sampling per entry at most")
    parser.add_argument(
        "--only", nargs="*", default=[], help="only the entries whose name or path has one of these"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-supervision-") as tmp:
        if args.quick:
            args.samples = min(args.samples, 2)
            _quick_site(Path(tmp))
        out = run(args)
    report(out, args.limit_ms)
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
