"""The demo's commands: `flask --app wsgi demo seed|run`.

The demo data, the province-sized generator and the stand-in exchange's records live in this
package, beside the portal rather than inside it: a deployment runs `portal` and never needs them.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from werkzeug.serving import run_simple

from portal import migrate

demo_cli = AppGroup("demo", help="Demo data and a one-command demo server.")


@demo_cli.command("seed")
@click.option(
    "--scale",
    type=click.Choice(["demo", "province"]),
    default="demo",
    help="demo: a small province to try the portal; province: the full Fujian-sized dataset.",
)
def demo_seed(scale: str) -> None:
    """Build the demo province and one account per role (running it twice changes nothing)."""
    from demo.seed import seed_demo

    report = seed_demo()
    click.echo(report.summary())
    if scale == "province":
        from demo.province import seed_province
        from portal.figures.rollups import rebuild

        click.echo(seed_province().summary())
        click.echo(f"Dashboard rollups rebuilt: {rebuild():,} rows.")
    _print_accounts()


@demo_cli.command("run")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def demo_run(host: str, port: int) -> None:
    """Compile catalogues, migrate, seed and serve the portal for a demo."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from demo.seed import seed_demo
    from portal.i18n import compile_catalogues
    from portal.scheduler import configure

    compile_catalogues()
    migrate.upgrade("head")
    click.echo(seed_demo().summary())
    app = current_app._get_current_object()
    if not os.environ.get("PORTAL_BASE_URL"):
        app.config["PORTAL_BASE_URL"] = f"http://{host}:{port}"  # links in the demo's e-mail
    exchange = _start_demo_exchange(app)
    sink = _start_mail_sink(app)
    _print_accounts()
    # Development only: the scheduler runs beside the web server in this one process.
    # In production it is its own process (`flask --app wsgi scheduler run`).
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    configure(scheduler, app)
    scheduler.start()
    # Stopped by a signal (not Ctrl+C) the demo still stops the exchange it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"\n产融通 is running at http://{host}:{port}  (Ctrl+C to stop)\n")
    try:
        # app.run() refuses to block inside the flask CLI; serve with werkzeug directly.
        run_simple(host, port, app, threaded=True)
    finally:
        scheduler.shutdown(wait=False)
        if sink is not None:
            sink.stop()
        if exchange is not None:
            exchange.stop()


def _start_demo_exchange(app: Flask):
    """Start the stand-in data exchange beside the demo (unless EXCHANGE_URL names a real one)
    and verify every firm against it, so the demo's 秒批 rests on verified facts."""
    from demo import exchange as demo_exchange
    from portal.datasources.refresh import refresh
    from portal.dates import today_in_china

    exchange = None
    if not app.config.get("EXCHANGE_URL"):
        directory = Path(app.instance_path) / "exchange"
        exchange = demo_exchange.start(app.config["DATABASE_URL"], directory)
        app.config.update(exchange.config)
        click.echo(f"\nGovernment data exchange (stand-in) at {exchange.url}")
        click.echo("Firms not yet on the portal that you may register (registry records):")
        click.echo(demo_exchange.identities(exchange))
    report = refresh(today_in_china(), limit=10_000)
    click.echo(f"Verified {report.firms} firms against the data exchange.")
    return exchange


def _start_mail_sink(app: Flask):
    """Keep the demo's e-mail in instance/mail/ (unless MAIL_SERVER names a real server)."""
    from demo.mail_sink import MailSink

    if app.config.get("MAIL_SERVER"):
        return None
    sink = MailSink(Path(app.instance_path) / "mail").start()
    app.config.update(sink.config)
    click.echo(f"E-mail the portal sends is kept in {sink.directory}/ (one .eml file each).")
    return sink


def _print_accounts() -> None:
    from demo.seed import (
        DEMO_ACCOUNTS,
        DEMO_API_CLIENT,
        DEMO_API_SECRET,
        DEMO_PASSWORD,
        DEMO_TOTP_SECRET,
    )

    click.echo(f"\nDemo accounts (password for all: {DEMO_PASSWORD})")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.email:<27} {account.role.value:<18} {account.role.label}")
    click.echo(
        f"Staff accounts (all but sme@) ask for a two-factor code: add the secret "
        f"{DEMO_TOTP_SECRET} to an authenticator app (TOTP, SHA-1, 6 digits, 30 s),\n"
        f'or print the current code with: python -c "import pyotp; '
        f"print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\""
    )
    click.echo(
        f"The demo bank's credit system calls the open API (/api/v1/docs) as client "
        f"{DEMO_API_CLIENT} with secret {DEMO_API_SECRET}."
    )
