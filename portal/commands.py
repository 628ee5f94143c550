"""Command-line commands: `flask --app wsgi db|i18n|audit ...` (the demo's are in demo/)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import click
from alembic import command as alembic_command
from flask import Flask, current_app
from flask.cli import AppGroup

from portal import migrate

audit_cli = AppGroup("audit", help="The audit log (its hash chain).")
db_cli = AppGroup(
    "db",
    help="Database migrations (Alembic), backup, restore and the application's role; "
    "as the owner (MIGRATION_DATABASE_URL, else DATABASE_URL).",
)
i18n_cli = AppGroup("i18n", help="Message catalogues.")
policies_cli = AppGroup("policies", help="Government policy files under policies/.")
scheduler_cli = AppGroup("scheduler", help="The scheduled jobs (deadlines, reminders).")
supervision_cli = AppGroup("supervision", help="Supervision data (the dashboard's rollups).")
users_cli = AppGroup("users", help="Accounts an operator creates from the command line.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", "full_name", required=True, help="The administrator's full name.")
@click.password_option(help="Asked for when not given (never stored in shell history).")
def users_create_admin(email: str, full_name: str, password: str) -> None:
    """Create a platform administrator: the first account of a new installation.

    The administrator enrols an authenticator app at first sign-in and then creates the bank,
    government and regulator accounts in the portal.
    """
    from portal.accounts.passwords import (
        MAX_PASSWORD_LENGTH,
        MIN_PASSWORD_LENGTH,
        is_common_password,
    )
    from portal.accounts.services import EmailTaken, create_admin_from_cli

    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise click.BadParameter("must be 8 to 128 characters", param_hint="password")
    if is_common_password(password):
        raise click.BadParameter("is a common password; choose another", param_hint="password")
    try:
        user = create_admin_from_cli(email, full_name, password)
    except EmailTaken:
        raise click.ClickException(f"{email} already has an account.") from None
    click.echo(f"Administrator {user.email} created; two-factor enrolment at first sign-in.")


@supervision_cli.command("rebuild-rollups")
def supervision_rebuild_rollups() -> None:
    """Rebuild every dashboard rollup from the live tables (safe to run at any time)."""
    import time

    from portal.figures.rollups import rebuild

    started = time.perf_counter()
    written = rebuild()
    click.echo(
        f"Dashboard rollups rebuilt: {written:,} rows in {time.perf_counter() - started:.1f} s."
    )


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduler in this process until stopped (run exactly one in production)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from portal.scheduler import configure
    from portal.scheduler.lock import scheduler_lock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()
    with scheduler_lock(app.extensions["portal.db"], app.instance_path) as still_held:
        scheduler = BlockingScheduler(timezone="Asia/Shanghai")
        configure(scheduler, app)
        scheduler.add_job(_exit_unless, "interval", seconds=30, args=[still_held])
        click.echo("Scheduler running (Ctrl+C to stop).")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            scheduler.shutdown(wait=False)


def _exit_unless(still_held: Callable[[], bool]) -> None:
    """Stop at once when the scheduler lock is lost (the database restarted): another scheduler
    may now hold it. The service manager starts this one again, and it waits for the lock."""
    if not still_held():
        logging.getLogger("portal.scheduler").error("scheduler lock lost; exiting")
        os._exit(75)  # EX_TEMPFAIL; every job is idempotent, an interrupted one is redone


@policies_cli.command("load")
@click.argument("directory", default="policies", type=click.Path(exists=True, file_okay=False))
def policies_load(directory: str) -> None:
    """Validate every policy file in DIRECTORY and upsert them; running it twice changes nothing."""
    from portal.catalog.policy_files import PolicyFileError, load_directory

    try:
        report = load_directory(directory)
    except PolicyFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(report.summary())


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(revision)
    click.echo(f"Database upgraded to {revision}.")
    _grant_configured_app_role()


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Reverse migrations down to REVISION (default: one step; 'base' removes everything)."""
    migrate.downgrade(revision)
    click.echo(f"Database downgraded to {revision}.")
    _grant_configured_app_role()


@db_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(path: Path) -> None:
    """Write a backup of the database to PATH (SQLite: a copy; PostgreSQL: pg_dump -Fc)."""
    from portal.backup import BackupError, backup

    try:
        backup(migrate.owner_url(), path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {path}.")


@db_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that already has tables.")
def db_restore(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH (stop the web and scheduler services first)."""
    from portal.backup import BackupError, is_empty, restore

    url = migrate.owner_url()
    if not yes and not is_empty(url):
        raise click.ClickException(
            "The database is not empty; restoring replaces everything in it. "
            "Run again with --yes to go ahead."
        )
    # No pooled connection of this process may hold the old database open.
    current_app.extensions["portal.db"].dispose()
    try:
        restore(url, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Database restored from {path}.")
    # The restore brings no privileges back (--no-privileges): grant the app's role again.
    _grant_configured_app_role()


@db_cli.command("grant-app-role")
@click.argument("role", required=False)
@click.option("--sql", "print_sql", is_flag=True, help="Print the SQL instead of running it.")
def db_grant_app_role(role: str | None, print_sql: bool) -> None:
    """Grant ROLE (default: DATABASE_URL's user) what the application needs, as the owner.

    SELECT, INSERT, UPDATE, DELETE on every table and USAGE on every sequence, now and for
    tables later migrations add; on audit_log SELECT and INSERT only. PostgreSQL only.
    """
    from portal.db_roles import RoleError, grant_app_role, grant_statements

    role = role or _configured_app_role()
    if role is None:
        raise click.UsageError(
            "Name the ROLE, or set DATABASE_URL to the application's role and "
            "MIGRATION_DATABASE_URL to the owner's."
        )
    try:
        if print_sql:
            click.echo("".join(f"{statement};\n" for statement in grant_statements(role)), nl=False)
            return
        grant_app_role(migrate.owner_url(), role)
    except RoleError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Granted the application's privileges to {role} (audit_log: SELECT, INSERT).")


def _configured_app_role() -> str | None:
    from portal.db_roles import app_role

    return app_role(current_app.config["DATABASE_URL"], migrate.owner_url())


def _grant_configured_app_role() -> None:
    """After a schema change, grant the application's own role again, when it is a separate one."""
    from portal.db_roles import RoleError, grant_app_role

    role = _configured_app_role()
    if role is None:
        return
    try:
        grant_app_role(migrate.owner_url(), role)
    except RoleError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Granted the application's privileges to {role} again.")


@audit_cli.command("verify")
@click.option(
    "--expect",
    "expected",
    metavar="HASH",
    help="A last hash printed earlier: fail if that entry is no longer in the log.",
)
def audit_verify(expected: str | None) -> None:
    """Check the audit log's hash chain; name the first broken entry and exit 1 if there is one."""
    from portal.audit.chain import holds, verify
    from portal.extensions import db

    result = verify(db.session)
    broken = result.broken
    if broken is None and expected and not holds(db.session, expected):
        click.echo(
            f"Audit log BROKEN: entry missing: no entry has the hash {expected} any more; "
            "the newest entries were removed.",
            err=True,
        )
        raise SystemExit(1)
    if broken is None:
        head = f"; last entry {result.head_id}, hash {result.head_hash}" if result.head_id else ""
        click.echo(f"Audit log intact: {result.checked:,} entries{head}.")
        return
    at = broken.at.strftime("%Y-%m-%d %H:%M:%S UTC") if broken.at else "unknown time"
    click.echo(
        f"Audit log BROKEN at entry {broken.entry_id} ({at}): {broken.kind}: "
        f"{broken.explanation}. The {result.checked:,} entries before it are intact.",
        err=True,
    )
    raise SystemExit(1)


@db_cli.command("current")
def db_current() -> None:
    """Show the database's current revision."""
    alembic_command.current(migrate.alembic_config(), verbose=True)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration (review it by hand before committing)."""
    alembic_command.revision(migrate.alembic_config(), message=message, autogenerate=autogenerate)


@i18n_cli.command("compile")
def i18n_compile() -> None:
    """Compile .po catalogues into .mo files."""
    from portal.i18n import compile_catalogues

    written = compile_catalogues()
    click.echo(f"Compiled {len(written)} catalogue(s).")


datasources_cli = AppGroup("datasources", help="The government data exchange.")


@datasources_cli.command("reverify")
@click.option("--limit", default=500, show_default=True, help="Firms to re-verify in this run.")
def datasources_reverify(limit: int) -> None:
    """Fetch the oldest-checked firms' records from the exchange and apply them."""
    from portal.datasources.refresh import refresh
    from portal.dates import today_in_china

    report = refresh(today_in_china(), limit)
    click.echo(
        f"Re-verified {report.firms} firms: {report.changed} changed, "
        f"{report.flagged_leads} open leads flagged."
    )


def register(app: Flask) -> None:
    for group in (
        audit_cli,
        datasources_cli,
        db_cli,
        i18n_cli,
        policies_cli,
        scheduler_cli,
        users_cli,
        supervision_cli,
    ):
        app.cli.add_command(group)
    from portal.subsidies.commands import subsidies_cli

    app.cli.add_command(subsidies_cli)
