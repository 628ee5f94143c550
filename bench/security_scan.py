"""Scan the running portal with Wapiti, anonymously and signed in as each role.

    python -m venv /tmp/wapiti && /tmp/wapiti/bin/pip install 'wapiti3==3.2.*'
    .venv/bin/python -m bench.security_scan --wapiti /tmp/wapiti/bin/wapiti --out /tmp/scan

Starts gunicorn on a fresh demo database (SQLite, CSRF on, development config so that cookies
work over plain HTTP), signs each demo account in (second factor included) and hands Wapiti the
session cookie and the same User-Agent (sessions are bound to the agent). Logout and the
language switch are excluded so the scan keeps its session; each report lists the pages crawled,
which shows the scan was signed in. Wapiti is kept out of the project's
virtualenv: it pins its own versions of common libraries.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyotp
import requests

from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET

ROOT = Path(__file__).resolve().parent.parent
AGENT = "Mozilla/5.0 (X11; Linux x86_64) portal-security-scan"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_portal(workdir: Path, port: int, throttle: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LOGIN_THROTTLE": "on" if throttle else "off",
        "PORTAL_ENV": "development",
        "SECRET_KEY": os.urandom(16).hex(),
        "DATABASE_URL": f"sqlite:///{workdir / 'scan.sqlite3'}",
        "PORTAL_INSTANCE_PATH": str(workdir),
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    # Every command here is our own interpreter running our own modules, or Wapiti.
    for step in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([*flask, *step], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-w", "3", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "gunicorn.log", "wb"),  # noqa: SIM115  (lives as long as the server)
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=10)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("portal did not start")


def session_cookie(base: str, email: str) -> str:
    """Sign in through the real forms and return the session cookie's value."""
    http = requests.Session()
    http.headers["User-Agent"] = AGENT
    token = _csrf(http.get(f"{base}/login").text)
    response = http.post(
        f"{base}/login", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD}
    )
    if response.url.endswith("/login/verify"):
        token = _csrf(response.text)
        code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
        http.post(f"{base}/login/verify", data={"csrf_token": token, "code": code})
    return http.cookies["crt_session"]


def _csrf(html: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def scan(
    wapiti: str, base: str, label: str, cookie: str | None, out: Path, minutes: int, modules: str
) -> Path:
    report = out / f"wapiti-{label}.json"
    command = [
        wapiti, "-u", f"{base}/", "--scope", "folder", "-A", AGENT,
        "-x", f"{base}/logout", "-x", f"{base}/language",
        "--max-scan-time", str(minutes * 60), "--max-attack-time", str(minutes * 30),
        "--max-links-per-page", "40",
        "--flush-session", "-f", "json", "-o", str(report), "--no-bugreport", "-v", "0",
        "--detailed-report", "1",
    ]  # fmt: skip
    if modules:
        command += ["-m", modules]
    if cookie:
        # Not with --drop-set-cookie: Wapiti then drops this cookie too.
        command += ["-C", f"crt_session={cookie}"]
    subprocess.run(command, check=True)  # noqa: S603
    return report


def summarise(report: Path) -> str:
    """Findings by kind, and how many pages the crawl reached (signed-in pages prove the
    session held)."""
    data = json.loads(report.read_text())
    findings = {**data.get("vulnerabilities", {}), **data.get("anomalies", {})}
    found = {name: len(items) for name, items in findings.items() if items}
    pages = data.get("infos", {}).get("crawled_pages", [])
    paths = sorted({page["request"]["url"].split("?")[0].replace(_BASE[0], "") for page in pages})
    return f"{found or 'no findings'}; {len(paths)} pages crawled: {' '.join(paths)}"


_BASE: list[str] = [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wapiti", default="wapiti")
    parser.add_argument("--out", type=Path, default=Path("scan-reports"))
    parser.add_argument("--minutes", type=int, default=4, help="time limit per role")
    parser.add_argument("--roles", default="anonymous," + ",".join(a.role for a in DEMO_ACCOUNTS))
    parser.add_argument("--modules", default="", help="Wapiti modules (default: its own set)")
    parser.add_argument(
        "--no-throttle",
        action="store_true",
        help="switch sign-in throttling off, so that SQL-injection probes of the login form "
        "compare real answers rather than 429 pages",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    _BASE[0] = base
    with tempfile.TemporaryDirectory() as workdir:
        server = start_portal(Path(workdir), port, throttle=not args.no_throttle)
        try:
            for label in args.roles.split(","):
                account = next((a for a in DEMO_ACCOUNTS if a.role == label), None)
                cookie = session_cookie(base, account.email) if account else None
                report = scan(
                    args.wapiti, base, label, cookie, args.out, args.minutes, args.modules
                )
                print(f"{label:<14} {summarise(report)}", flush=True)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
