"""`python -m exchange seed | serve | demo-identities`: run the stand-in exchange."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from sqlalchemy import inspect, select
from werkzeug.serving import run_simple

from exchange.app import create_app
from exchange.config import from_environment
from exchange.generate import extra_firm
from exchange.models import RegistryFirm
from exchange.seed import seed_from_portal
from exchange.state import make_engine

_STATUS_LABELS = {"active": "存续", "cancelled": "注销", "revoked": "吊销"}


@click.group()
def cli() -> None:
    """The stand-in provincial government data exchange (政务数据共享交换平台)."""


@cli.command()
@click.option("--from-portal-db", "portal_url", required=True, help="The portal's database URL.")
@click.option("--extra", default=40, show_default=True, help="Registry-only firms to add.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Records' day (default today).")
def seed(portal_url: str, extra: int, as_of: dt.datetime | None) -> None:
    """Replace the exchange's data with records for the portal's firms (read-only) and extras."""
    url = from_environment()["DATABASE_URL"]
    report = seed_from_portal(url, portal_url, extra=extra, as_of=as_of and as_of.date())
    click.echo(report.summary())
    click.echo(f"Database: {url}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5061, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the API with werkzeug's threaded server (a stand-in, not a production server)."""
    app = create_app()
    state = app.extensions["exchange"]
    if not inspect(state.engine).has_table(RegistryFirm.__tablename__):
        raise click.ClickException("the exchange has no data yet: run `python -m exchange seed`")
    clients = ", ".join(state.clients) or "none (set EXCHANGE_CLIENTS)"
    click.echo(f"Exchange at http://{host}:{port} · clients: {clients}")
    run_simple(host, port, app, threaded=True)


@cli.command("demo-identities")
@click.option("--count", default=5, show_default=True, help="How many registry-only firms.")
@click.option("--code", "chosen", multiple=True, help="Show these firms instead (repeatable).")
def demo_identities(count: int, chosen: tuple[str, ...]) -> None:
    """Firms a demo user can register with: code, name, representative, ID number, status.

    By default the first registry-only firms (not on the portal); with --code, any firm, such as
    a demo firm whose representative should sign in with a verified identity.
    """
    codes = list(chosen) or [extra_firm(index)["credit_code"] for index in range(1, count + 1)]
    rows = _registry_rows(codes)
    if not rows:
        raise click.ClickException("none found: seed first (with --extra for new firms)")
    click.echo("# 统一社会信用代码  企业名称  法定代表人  身份证号  登记状态")
    for row in rows:
        click.echo(
            f"{row.credit_code}  {row.name}  {row.legal_representative}  "
            f"{row.legal_rep_id_number}  {_STATUS_LABELS[row.status]}"
        )


def _registry_rows(codes: list[str]) -> list[Any]:
    """The registry's rows for the codes that it has, in the order asked."""
    engine = make_engine(from_environment()["DATABASE_URL"])
    table = RegistryFirm.__table__
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(table).where(table.c.credit_code.in_(codes))).all()
    finally:
        engine.dispose()
    by_code = {row.credit_code: row for row in rows}
    return [by_code[code] for code in codes if code in by_code]


if __name__ == "__main__":
    cli()
