"""Every figure of docs/benchmarks.md in one run, each against its target or ceiling.

    .venv/bin/python -m bench.run --database-url postgresql://postgres@127.0.0.1:5432/province

On a database seeded with `flask --app wsgi demo seed --scale province` it:

1. gives the busiest bank 5,000 open leads (bench.inbox_setup; adds nothing the second time);
2. starts the portal and bench/hello.py under gunicorn with the same settings
   (deploy/gunicorn.conf.py when it exists, else 2 x CPUs + 1 sync workers), each on a free port;
3. runs --runs rounds; each round loads, for --seconds each, with --connections connections:
   Flask "hello world", the filtered public product list and a product page (wrk), 20 firms
   submitting financing needs (matching and instant pre-approval, CSRF on; a thread per firm,
   each signed in once), and one bank officer's lead inbox (wrk with the session cookie);
4. reads the peak resident memory (VmHWM) of every gunicorn worker of the portal;
5. runs the scheduler (`flask --app wsgi scheduler run`) until its jobs have run once and
   reads its VmHWM;
6. runs bench.rematch_bench, bench.dashboard_bench and bench.match_bench --thresholds round.

It prints the table for docs/benchmarks.md: min, median and max over the runs, the target, the
ratio to the ceiling where there is one, and whether the median meets the target. Needs `wrk`
(Debian: apt-get install wrk) and bench/requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import inbox_setup, rematch_bench
from bench.webclient import Browser, SignInFailed, csrf_token

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
PRODUCT_LIST = "/products?region=350500&amount=200&term=12&guarantee=credit&sort=rate"
INBOX = "/bank/leads/"
NEED_FORM = "/firm/needs/new"
OPEN_LEADS = 5000
FIRMS = 20


# --- results ----------------------------------------------------------------------------------


@dataclass
class Row:
    """One figure of the table: values over the runs, its target and how it compares."""

    figure: str
    unit: str
    values: list[float]
    target: str
    passed: bool | None
    ratio: str = ""

    def cells(self) -> list[str]:
        if not self.values:
            return [self.figure, self.target, "–", "–", "–", self.ratio, "not measured"]
        low, mid, high = min(self.values), statistics.median(self.values), max(self.values)
        verdict = {True: "pass", False: "**miss**", None: ""}[self.passed]
        return [
            self.figure,
            self.target,
            _num(low, self.unit),
            _num(mid, self.unit),
            _num(high, self.unit),
            self.ratio,
            verdict,
        ]


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print("  " + " | ".join(row.cells()), flush=True)

    def markdown(self) -> str:
        lines = [
            "| figure | target | min | median | max | ratio | |",
            "|---|---|---:|---:|---:|---:|---|",
        ]
        lines += ["| " + " | ".join(row.cells()) + " |" for row in self.rows]
        return "\n".join(lines + [""] + [f"- {note}" for note in self.notes])


def _num(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "rps":
        return f"{value:,.0f}/s"
    if unit == "s":
        return f"{value:,.2f} s"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    return f"{value:,.2f}"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


# --- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A gunicorn master started by this benchmark (stopped by its own pid only)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def gunicorn_settings() -> list[str]:
    """deploy/gunicorn.conf.py when it exists; otherwise gunicorn's advice, 2 x CPUs + 1."""
    if GUNICORN_CONF.exists():
        return ["--config", str(GUNICORN_CONF)]
    return ["--workers", str(2 * (os.cpu_count() or 1) + 1), "--worker-class", "sync"]


def start_gunicorn(app: str, env: dict[str, str], log_dir: Path, ready_path: str) -> Server:
    port = free_port()
    log = log_dir / f"gunicorn-{app.replace(':', '-')}.log"
    command = [
        str(VENV_BIN / "gunicorn"),
        *gunicorn_settings(),
        "--bind",
        f"127.0.0.1:{port}",
        "--error-logfile",
        str(log),
        "--access-logfile",
        os.devnull,
        app,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - our own command line
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn {app} exited; see {log}")
        try:
            with urllib.request.urlopen(server.url + ready_path, timeout=10) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"gunicorn {app} did not answer {ready_path}; see {log}")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def proc_status(pid: int, key: str) -> int:
    """A field of /proc/<pid>/status in KiB (VmHWM, VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


class MemorySampler(threading.Thread):
    """Reads VmHWM of a master's workers twice a second: workers are recycled under load."""

    def __init__(self, master: int) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.peaks: dict[int, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.sample()

    def sample(self) -> None:
        for pid in children(self.master):
            try:
                peak = proc_status(pid, "VmHWM") / 1024
            except (OSError, KeyError):
                continue  # the worker exited between the two reads
            self.peaks[pid] = max(peak, self.peaks.get(pid, 0.0))

    def stop(self) -> dict[int, float]:
        self.sample()
        self.done.set()
        self.join()
        return self.peaks


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


# --- load -------------------------------------------------------------------------------------


def wrk(url: str, seconds: int, connections: int, cookie: str = "") -> dict[str, float]:
    """One wrk run with two threads; throughput, latency percentiles, errors."""
    env = {**os.environ, "WRK_COOKIE": cookie}
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(WRK_SCRIPT),
        url,
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    found = re.search(r"^WRK_JSON (.*)$", output, re.M)
    if found is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    result = json.loads(found.group(1))
    if result["non_2xx"] or result["socket_errors"]:
        print(f"    {url}: {result['non_2xx']} non-2xx, {result['socket_errors']} socket errors")
    return result


# Mean seconds a firm waits after each answer in the paced run: twenty firms then send about
# twenty needs a second, far above a province's busiest hour.
PACED_PAUSE = 1.0


@dataclass
class NeedLoad:
    """Firms submitting financing needs in a closed loop, one thread (and connection) each."""

    browsers: list[Browser]
    tokens: list[str]

    @classmethod
    def sign_in(cls, base_url: str, emails: list[str], password: str) -> NeedLoad:
        browsers, tokens = [], []
        for email in emails:
            browser = Browser(base_url)
            browser.sign_in(email, password, totp_secret())
            page = browser.get(NEED_FORM)
            if page.status != 200:
                raise SignInFailed(f"{email}: {NEED_FORM} answered {page.status}")
            browsers.append(browser)
            tokens.append(csrf_token(page.body))
        return cls(browsers, tokens)

    def run(self, seconds: float, pause: float = 0.0) -> dict[str, float]:
        """Every firm submits needs for `seconds`, waiting `pause` seconds after each answer
        (0: back to back, which measures the server saturated); latency of each POST."""
        latencies: list[list[float]] = [[] for _ in self.browsers]
        failures = [0] * len(self.browsers)
        stop_at = time.monotonic() + seconds

        def firm(index: int) -> None:
            browser, token = self.browsers[index], self.tokens[index]
            # Paced firms start and pause at random (mean `pause`), as people do; in step they
            # would all arrive in the same instant every time and measure a burst, not a load.
            jitter = random.Random(index)  # noqa: S311  (think time, not security)
            if pause:
                time.sleep(jitter.uniform(0, pause))
            n = 0
            while time.monotonic() < stop_at:
                n += 1
                answer = browser.post(NEED_FORM, need_form(token, index, n))
                if answer.status == 302 and "/firm/needs/" in (answer.location or ""):
                    latencies[index].append(answer.seconds * 1000)
                else:
                    failures[index] += 1
                if pause:
                    time.sleep(jitter.uniform(0, 2 * pause))

        threads = [threading.Thread(target=firm, args=(i,)) for i in range(len(self.browsers))]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        every = sorted(ms for firm_latencies in latencies for ms in firm_latencies)
        if failures := sum(failures):
            print(f"    need submission: {failures} failed answers")
        return {
            "requests": len(every),
            "rps": len(every) / elapsed,
            "p50_ms": percentile(every, 50),
            "p95_ms": percentile(every, 95),
            "failures": failures,
        }


def need_form(token: str, firm: int, n: int) -> dict[str, str]:
    """A need as a firm types it: 50–500 万元 on credit for a year, so some get 秒批."""
    amounts = ("50", "100", "200", "300", "500")
    return {
        "csrf_token": token,
        "amount_wan": amounts[(firm + n) % len(amounts)],
        "term_months": "12",
        "guarantee_type": "credit",
        "max_rate": "",
        "purpose": "采购原材料",
        "consent": "y",
        "idempotency_key": secrets.token_urlsafe(24),
    }


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return float("nan")
    rank = max(1, round(p / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def totp_secret() -> str | None:
    """The demo's shared two-factor secret, once the seed defines one."""
    from demo import seed

    return getattr(seed, "DEMO_TOTP_SECRET", None)


# --- the run ----------------------------------------------------------------------------------


def portal_env(database_url: str, instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),  # the same key in every worker
        "DATABASE_URL": database_url,
        "PORTAL_INSTANCE_PATH": str(instance),
    }


def prepare(database_url: str) -> dict[str, Any]:
    """Open leads for the busiest bank; the firms, officer and product page to use."""
    from sqlalchemy import func, select

    from demo.seed import DEMO_PASSWORD
    from portal import create_app
    from portal.accounts.models import User
    from portal.catalog.models import BankProduct
    from portal.config import normalise_database_url
    from portal.enums import OnboardingStatus, ProductStatus, Role
    from portal.extensions import db
    from portal.firms.models import Firm
    from portal.institutions.models import FinancialInstitution
    from portal.leads.models import Lead, Loan

    app = create_app("development", DATABASE_URL=normalise_database_url(database_url))
    with app.app_context():
        bank = inbox_setup.busiest_bank()
        added = inbox_setup.ensure_open_leads(bank, OPEN_LEADS)
        open_leads = db.session.scalar(
            select(func.count()).where(Lead.institution_id == bank, Lead.status == "open")
        )
        officer = inbox_setup.officer_email(bank)
        firms = db.session.scalars(
            select(User.email)
            .join(Firm, Firm.id == User.firm_id)
            .where(User.role == Role.SME, Firm.size_class.in_(("small", "micro")))
            .where(User.email.like("%province%"))
            .order_by(User.id)
            .offset(1000)
            .limit(FIRMS * 500)
        ).all()[::500]
        product = db.session.scalar(
            select(Loan.product_id)
            .join(BankProduct, BankProduct.id == Loan.product_id)
            .join(FinancialInstitution, FinancialInstitution.id == BankProduct.institution_id)
            .where(
                BankProduct.status == ProductStatus.PUBLISHED,
                FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED,
            )
            .group_by(Loan.product_id)
            .order_by(func.count().desc())
            .limit(1)
        )
    return {
        "bank": bank,
        "added": added,
        "open_leads": open_leads,
        "officer": officer,
        "firms": firms,
        "product": product,
        "password": DEMO_PASSWORD,
    }


def web(args: argparse.Namespace, setup: dict[str, Any], report: Report, logs: Path) -> None:
    """The pages under load, round by round, and the workers' memory afterwards."""
    env = portal_env(args.database_url, logs / "instance")
    hello = start_gunicorn("bench.hello:app", env, logs, "/")
    portal = start_gunicorn("wsgi:app", env, logs, "/products")
    try:
        workers = portal.workers()
        report.notes.append(
            f"gunicorn: {' '.join(gunicorn_settings())}; {len(workers)} workers "
            f"(the same for bench/hello.py); wrk -t2 -c{args.connections} -d{args.seconds}s"
        )
        officer = Browser(portal.url)
        officer.sign_in(setup["officer"], setup["password"], totp_secret())
        cookie = officer.cookie_header()
        if officer.get(INBOX).status != 200:
            raise RuntimeError(f"{setup['officer']} cannot open {INBOX}")
        needs = NeedLoad.sign_in(portal.url, setup["firms"], setup["password"])
        product = f"/products/{setup['product']}"
        pages = {
            "hello": (hello.url + "/", ""),
            "list": (portal.url + PRODUCT_LIST, ""),
            "product": (portal.url + product, ""),
            "inbox": (portal.url + INBOX, cookie),
        }
        for url, page_cookie in pages.values():  # warm every worker's caches
            wrk(url, 3, args.connections, page_cookie)
        needs.run(3)
        sampler = MemorySampler(portal.process.pid)
        sampler.start()
        names = [*pages, "inbox_few", "needs", "needs_paced"]
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in names}
        for number in range(1, args.runs + 1):
            print(f"  round {number} of {args.runs}", flush=True)
            for name, (url, page_cookie) in pages.items():
                rounds[name].append(wrk(url, args.seconds, args.connections, page_cookie))
            # Four officers of one bank at their inboxes at once, rather than twenty clients
            # with no pause, which measures the two cores saturated.
            rounds["inbox_few"].append(wrk(portal.url + INBOX, args.seconds, 4, cookie))
            rounds["needs"].append(needs.run(args.seconds))
            rounds["needs_paced"].append(needs.run(args.seconds, pause=PACED_PAUSE))
        peaks = sampler.stop()
        memory = sorted(peaks.values(), reverse=True)
        master = proc_status(portal.process.pid, "VmHWM") / 1024
    finally:
        portal.stop()
        hello.stop()
    web_rows(args, setup, report, rounds)
    report.add(
        Row(
            "peak RSS of one portal worker under the load (VmHWM, largest worker)",
            "MiB",
            [max(memory)],
            "",
            None,
            ratio=f"median worker {median(memory):.0f} MiB",
        )
    )
    report.notes.append(
        f"portal workers' VmHWM, sampled twice a second during the rounds ({len(memory)} worker "
        f"processes seen; max_requests recycles them): {', '.join(f'{m:.0f}' for m in memory)} "
        f"MiB; master {master:.0f} MiB"
    )


def web_rows(
    args: argparse.Namespace,
    setup: dict[str, Any],
    report: Report,
    rounds: dict[str, list[dict[str, float]]],
) -> None:
    hello_rps = [r["rps"] for r in rounds["hello"]]
    report.add(
        Row('Flask "hello world" (bench/hello.py): requests/s', "rps", hello_rps, "ceiling", None)
    )
    for name, label in (
        ("list", f"product list `{PRODUCT_LIST}`"),
        ("product", f"product page `/products/{setup['product']}`"),
    ):
        rps = [r["rps"] for r in rounds[name]]
        ratios = [r / h for r, h in zip(rps, hello_rps, strict=True)]
        report.add(
            Row(
                f"{label}: requests/s",
                "rps",
                rps,
                "≥ 25 % of hello",
                median(ratios) >= 0.25,
                ratio=f"{median(ratios):.1%} of hello (per round {min(ratios):.1%}–"
                f"{max(ratios):.1%})",
            )
        )
        report.add(
            Row(f"{label}: p95 latency", "ms", [r["p95_ms"] for r in rounds[name]], "", None)
        )
    for name, how in (
        ("needs_paced", f"each submitting again {PACED_PAUSE:g} s after its answer"),
        ("needs", "back to back, no pause (saturation)"),
    ):
        needs = rounds[name]
        report.add(
            Row(
                f"need submission (POST {NEED_FORM}, matching + 秒批), {FIRMS} firms, {how}: p95",
                "ms",
                [r["p95_ms"] for r in needs],
                "≤ 150 ms",
                median([r["p95_ms"] for r in needs]) <= 150,
                ratio=f"{median([r['rps'] for r in needs]):.1f} needs/s",
            )
        )
    for name, how in (("inbox_few", "4 connections"), ("inbox", f"{args.connections} connections")):
        inbox = rounds[name]
        report.add(
            Row(
                f"bank lead inbox `{INBOX}`, {setup['open_leads']:,} open leads, {how}: p95",
                "ms",
                [r["p95_ms"] for r in inbox],
                "≤ 150 ms",
                median([r["p95_ms"] for r in inbox]) <= 150,
                ratio=f"{median([r['rps'] for r in inbox]):.0f}/s",
            )
        )
    failed = sum(
        r.get("non_2xx", 0) + r.get("socket_errors", 0) + r.get("failures", 0)
        for runs in rounds.values()
        for r in runs
    )
    report.notes.append(f"failed or non-2xx answers over all rounds: {failed}")


def scheduler_memory(args: argparse.Namespace, report: Report, logs: Path) -> None:
    """Run the scheduler until its jobs have run once (its CPU time stops growing)."""
    env = portal_env(args.database_url, logs / "instance")
    log = (logs / "scheduler.log").open("w")
    command = [str(VENV_BIN / "flask"), "--app", "wsgi", "scheduler", "run"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
    started = time.monotonic()
    try:
        last, quiet_since = -1, time.monotonic()
        while time.monotonic() - started < args.scheduler_timeout:
            time.sleep(1)
            if process.poll() is not None:
                raise RuntimeError(f"the scheduler exited; see {logs / 'scheduler.log'}")
            ticks = cpu_ticks(process.pid)
            if ticks != last:
                last, quiet_since = ticks, time.monotonic()
            elif time.monotonic() - quiet_since >= 5 and time.monotonic() - started >= 10:
                break
        busy = quiet_since - started
        peak = proc_status(process.pid, "VmHWM") / 1024
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    report.add(
        Row("peak RSS of the scheduler process, its jobs run once (VmHWM)", "MiB", [peak], "", None)
    )
    report.notes.append(f"scheduler: busy for {busy:.0f} s, then idle; log in {logs}")


def rematch(args: argparse.Namespace, report: Report) -> None:
    found = rematch_bench.run(args.database_url, args.runs, 2000)
    report.add(
        Row(
            f"whole-province re-match: {found['firms']:,} firms against one new policy, "
            "reading firms from PostgreSQL included",
            "s",
            found["streamed"],
            "< 3 s",
            median(found["streamed"]) < 3,
            ratio=f"{found['ratio_one_at_a_time']:.0f} × faster than one firm at a time "
            f"through the ORM",
        )
    )
    report.add(
        Row(
            f"the same, one firm at a time through the ORM ({found['sample']:,} firms "
            "timed, extrapolated)",
            "s",
            found["orm_one_at_a_time"],
            "",
            None,
        )
    )
    report.add(
        Row(
            "the same, every firm an ORM object, streamed (the previous what-if)",
            "s",
            found["orm_objects"],
            "",
            None,
            ratio=f"{found['ratio_objects']:.1f} × the streamed columns",
        )
    )


def dashboard(args: argparse.Namespace, report: Report) -> None:
    output = run_module(
        "bench.dashboard_bench", "--database-url", args.database_url, "--runs", str(args.runs)
    )
    blocks = re.split(r"\n(?=\S[^\n]*: [\d,]+ loans)", output)
    found = 0
    for block in blocks[1:]:
        label = block.split(":", 1)[0]
        timing = r"median\s+([\d.]+) ms\s+\(min ([\d.]+), max ([\d.]+)\)"
        page = re.search(r"rollups\.figures\(\)\s+" + timing, block)
        alerts = re.search(r"alerts \(2 queries\)\s+" + timing, block)
        sql = re.search(r"hand-written SQL \(live\)\s+median\s+([\d.]+) ms", block)
        if not (page and sql):
            continue
        found += 1
        values = [float(page.group(2)), float(page.group(1)), float(page.group(3))]
        ratio = float(page.group(1)) / float(sql.group(1))
        report.add(
            Row(
                f"dashboard figures (rollups), 12 months, {label}",
                "ms",
                values,
                "≤ 300 ms, ≤ 1.5 × SQL",
                float(page.group(1)) <= 300 and ratio <= 1.5,
                ratio=f"{ratio:.2f} × hand-written SQL ({float(sql.group(1)):.0f} ms)",
            )
        )
        if alerts:
            report.add(
                Row(
                    f"dashboard alerts (live), 12 months, {label}",
                    "ms",
                    [float(alerts.group(2)), float(alerts.group(1)), float(alerts.group(3))],
                    "part of the page",
                    None,
                )
            )
    if not found:
        report.notes.append("bench.dashboard_bench printed no figures this run:\n" + output)


def matcher(args: argparse.Namespace, report: Report) -> None:
    output = run_module("bench.match_bench", "--thresholds", "round")
    sizes = re.findall(
        r"\n([\d,]+) products, round thresholds(.*?)(?=\n[\d,]+ products|\Z)", output, re.S
    )
    for count, block in sizes:
        row = re.search(
            r"\| match\(\): decisions \+ failure records\s+\|\s*([\d.]+)\s*\|\s*"
            r"([\d.]+)\s*\|[^|]*\|\s*(\d+)\s*\|\s*([\d.]+)",
            block,
        )
        if row is None:
            continue
        mid, p95, runs, ratio = (
            float(row.group(1)),
            float(row.group(2)),
            int(row.group(3)),
            float(row.group(4)),
        )
        limit = 1.0 if count == "1,000" else 10.0
        report.add(
            Row(
                f"matcher, {count} products: `match()` median (p95 as max; {runs} runs "
                "per firm)",
                "ms",
                [mid, mid, p95],
                f"≤ {limit:g} ms, ≥ 50 × rule-engine",
                mid <= limit and ratio >= 50,
                ratio=f"{ratio:.0f} × rule-engine",
            )
        )


def run_module(module: str, *arguments: str) -> str:
    print(f"  python -m {module} {' '.join(arguments)}", flush=True)
    done = subprocess.run(  # noqa: S603 - our own modules
        [sys.executable, "-m", module, *arguments], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"{module} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def machine() -> str:
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout  # noqa: S603, S607
    total = next((line.split()[1] for line in memory.splitlines() if line.startswith("Mem:")), "?")
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs (`nproc`), {total} GiB (`free -g`), Python "
        f"{sys.version.split()[0]}; load average at the end {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f}"
    )


STEPS: dict[str, Callable[..., None]] = {
    "web": web,
    "scheduler": scheduler_memory,
    "rematch": rematch,
    "dashboard": dashboard,
    "matcher": matcher,
}


def main() -> None:
    """Run the chosen steps and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--scheduler-timeout", type=int, default=600)
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated subset")
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk)")
    steps = [step.strip() for step in args.steps.split(",") if step.strip()]
    report = Report()
    logs = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    (logs / "instance").mkdir()
    started = time.monotonic()
    print("setup: open leads, firms, officer, product", flush=True)
    setup = prepare(args.database_url)
    report.notes.append(
        f"bank {setup['bank']}: {setup['open_leads']:,} open leads ({setup['added']:,} added by "
        f"the setup step); officer {setup['officer']}; {len(setup['firms'])} small and micro firms"
    )
    for step in steps:
        print(f"{step}:", flush=True)
        if step == "web":
            web(args, setup, report, logs)
        elif step == "scheduler":
            scheduler_memory(args, report, logs)
        else:
            STEPS[step](args, report)
    report.notes.append(machine())
    report.notes.append(f"whole run {time.monotonic() - started:.0f} s; logs in {logs}")
    table = report.markdown()
    print("\n" + table)
    if args.output:
        args.output.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
