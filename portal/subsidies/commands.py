"""`flask --app wsgi subsidies settle --period 2026-03`: settle a month's interest subsidies."""

from __future__ import annotations

import click
from flask.cli import AppGroup

subsidies_cli = AppGroup("subsidies", help="Interest-subsidy settlement (贴息 免申即享).")


@subsidies_cli.command("settle")
@click.option("--period", required=True, help="The month to settle, as YYYY-MM.")
def subsidies_settle(period: str) -> None:
    """Make or recompute the month's settlement batches (safe to run again: approved and paid
    batches are left alone, drafts are recomputed, nothing is paid twice)."""
    from portal.reporting.loan_files import parse_month
    from portal.subsidies.settlement import SettlementError, settle_month

    month = parse_month(period)
    if month is None:
        raise click.BadParameter("must be a month as YYYY-MM, e.g. 2026-03", param_hint="--period")
    try:
        result = settle_month(month)
    except SettlementError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{month:%Y-%m}: {result.created} batches created, {result.updated} recomputed, "
        f"{result.kept} approved or paid left as they were."
    )
