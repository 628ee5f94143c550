"""Scheduled jobs, run by one process of their own (`flask --app wsgi scheduler run`).

APScheduler 3.x inside gunicorn would run every job once per worker, so the web app never
starts it. Every job pushes its own app context and is idempotent: running one twice changes
nothing the first run did not. A lock makes a second scheduler process wait instead of running
the same jobs at the same time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.exc import OperationalError

from portal.db import utcnow
from portal.extensions import db
from portal.scheduler.runs import record_run

log = logging.getLogger(__name__)


def expire_overdue_leads() -> int:
    """Expire unanswered leads past their deadline and reroute their needs."""
    from portal.leads.services import expire_overdue

    return expire_overdue(utcnow())


def expire_overdue_guarantee_requests() -> int:
    """Expire guarantee requests past their deadline and ask the next guarantor."""
    from portal.guarantees.requests import expire_overdue

    return expire_overdue(utcnow())


def warn_near_deadlines() -> int:
    """Remind banks of leads close to their deadline."""
    from portal.leads.services import warn_near_deadlines as warn

    return warn(utcnow())


def close_lapsed_offers() -> int:
    """Close credit offers the firm did not take by their validity date."""
    from portal.dates import today_in_china
    from portal.leads.offers import close_lapsed_offers as close

    return close(today_in_china())


def remind_missing_loan_reports() -> int:
    """From the 10th, remind banks that have not reported last month's loan status."""
    from portal.dates import today_in_china
    from portal.reporting.services import remind_missing_reports

    return remind_missing_reports(today_in_china())


def make_monthly_reports() -> int:
    """From the 1st, make last month's PDF reports that do not exist yet."""
    from portal.dates import today_in_china
    from portal.monthly.services import generate_due_reports

    return generate_due_reports(today_in_china())


def forget_old_idempotency_keys() -> int:
    """API answers kept for retries expire after a day (portal/api/idempotency.py)."""
    from portal.api.idempotency import forget_old

    return forget_old()


def write_api_call_log() -> int:
    """Move the API calls queued in Redis into each client's call log (portal/api/call_log.py)."""
    from portal.api.call_log import flush

    return flush(wait=False)  # a flush under way moves them; the next minute comes anyway


def purge_throttle_counters() -> int:
    """Forget sign-in failure counters whose window has passed (database store only)."""
    from portal.accounts.throttle import purge_expired

    return purge_expired()


def refresh_dashboard_rollups() -> int:
    """Rebuild the dashboard rollups of every month changed since the last refresh."""
    from portal.figures.rollups import refresh_dirty

    return refresh_dirty()


def settle_interest_subsidies() -> int:
    """After the 10th, settle last month's interest subsidies (drafts recomputed, approved and
    paid batches left alone)."""
    from portal.subsidies.settlement import settle_due

    return settle_due()


def reverify_firm_facts() -> int:
    """Re-verify a bounded batch of firms against the data exchange (none when unconfigured)."""
    from portal.datasources.refresh import refresh
    from portal.datasources.verification import exchange_client
    from portal.dates import today_in_china

    if exchange_client() is None:
        return 0
    return refresh(today_in_china()).firms


def retry_deferred_instant() -> int:
    """Grant the 秒批 that waited for verified facts, once the facts are verified."""
    from portal.dates import today_in_china
    from portal.matching.services import retry_deferred_instant as retry

    return retry(today_in_china())


def send_outbox_emails() -> int:
    """Send the e-mail that is due (none while MAIL_SERVER is unset)."""
    from portal.mail.sender import send_due

    return send_due()


def purge_old_webhooks() -> int:
    """Deliveries that ended 90 days ago, and their events, leave the log."""
    from portal.api.webhooks import purge_old

    return purge_old()


def send_due_webhooks() -> int:
    """Post the webhook deliveries that are due (portal/api/webhooks.py)."""
    from portal.api.webhooks import send_due

    return send_due()


# (job, how often) — each job is a plain function that needs only an app context. The monthly
# jobs run hourly and do nothing once their month's work is done.
JOBS: tuple[tuple[Callable[[], int], dt.timedelta], ...] = (
    (expire_overdue_leads, dt.timedelta(minutes=1)),
    (expire_overdue_guarantee_requests, dt.timedelta(minutes=1)),
    (warn_near_deadlines, dt.timedelta(minutes=10)),
    (close_lapsed_offers, dt.timedelta(hours=1)),
    (remind_missing_loan_reports, dt.timedelta(hours=1)),
    (make_monthly_reports, dt.timedelta(hours=1)),
    (refresh_dashboard_rollups, dt.timedelta(minutes=1)),  # rollups.REFRESH_EVERY
    (purge_throttle_counters, dt.timedelta(hours=1)),
    (forget_old_idempotency_keys, dt.timedelta(hours=1)),
    (write_api_call_log, dt.timedelta(minutes=1)),
    (settle_interest_subsidies, dt.timedelta(hours=1)),
    (reverify_firm_facts, dt.timedelta(minutes=10)),
    (retry_deferred_instant, dt.timedelta(minutes=10)),
    (send_outbox_emails, dt.timedelta(seconds=15)),  # a reset link should not keep people waiting
    (send_due_webhooks, dt.timedelta(minutes=1)),  # the shortest backoff step
    (purge_old_webhooks, dt.timedelta(days=1)),
)


def run_job(app: Flask, job: Callable[[], int]) -> int:
    """Run one job in a fresh app context; a failure is logged and the session rolled back.

    Either way the job's last run is recorded for the health endpoint.
    """
    with app.app_context():
        started_at = utcnow()
        try:
            done = job()
        except Exception as error:
            db.session.rollback()
            if isinstance(error, OperationalError) and is_database_busy(error):
                # SQLite takes one writer: a job that waited out the busy timeout behind another
                # runs again at its next turn. A line, not a traceback: nothing is broken.
                log.warning("scheduled job %s: database busy; runs again next time", job.__name__)
            else:
                log.exception("scheduled job %s failed", job.__name__)
            record_run(job.__name__, started_at, utcnow(), ok=False, handled=0)
            return 0
        if done:
            log.info("%s: %s", job.__name__, done)
        record_run(job.__name__, started_at, utcnow(), ok=True, handled=done or 0)
        return done


def is_database_busy(error: OperationalError) -> bool:
    """SQLite's "database is locked": another writer held the database past the busy timeout."""
    return "database is locked" in str(error.orig)


def configure(scheduler: BlockingScheduler | BackgroundScheduler, app: Flask) -> None:
    """Add every job, each at most one instance at a time, run late rather than skipped.

    On SQLite (the demo, development) the jobs run one after another: the database takes one
    writer at a time, and a dozen jobs starting together would only queue for its lock."""
    if app.extensions["portal.db"].dialect.name == "sqlite":
        scheduler.configure(executors={"default": ThreadPoolExecutor(max_workers=1)})
    for job, every in JOBS:
        scheduler.add_job(
            run_job,
            "interval",
            args=(app, job),
            seconds=int(every.total_seconds()),
            id=job.__name__,
            max_instances=1,
            coalesce=True,
            # Late is still due: on SQLite the jobs queue for the one worker, and a job that
            # waited past APScheduler's one-second grace would be skipped (and logged) instead.
            misfire_grace_time=None,
            next_run_time=dt.datetime.now(dt.UTC),
        )
