"""The database stops mid-run and comes back: users see a 503 page in Chinese (never a 500), the
portal recovers by itself, and no request is half-applied."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from sqlalchemy import create_engine, text

from bench.load import gunicorn, prepare
from bench.load_check import check
from bench.load_client import PortalClient, Recorder, form_in, path_of
from bench.load_users import NEED_PATH, Account, Ledger
from tests.load.cluster import Cluster, postgres_bin

USERS = 6
BEFORE, DOWN, AFTER = 3.0, 5.0, 8.0  # seconds of each phase
UNAVAILABLE = "系统暂时无法访问数据库"

pytestmark = pytest.mark.skipif(
    postgres_bin() is None, reason="needs the PostgreSQL server binaries"
)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    own = Cluster(postgres_bin())
    own.init()
    try:
        yield own
    finally:
        own.remove()


@dataclass
class Observed:
    """What the users saw, with the time each need page came back."""

    unavailable_pages: list[requests.Response] = field(default_factory=list)
    successes: list[float] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def test_database_outage_gives_503_then_recovers_with_nothing_half_applied(cluster):
    """Stop PostgreSQL under load: 503 + Retry-After, no 500, recovery, every need whole once."""
    accounts = prepare(cluster.url, officers=1, firms=USERS).firms
    recorder, ledger, seen = Recorder(), Ledger(), Observed()
    stop = threading.Event()
    with gunicorn(cluster.url, workers=2) as server:
        users = [
            threading.Thread(
                target=_submit_needs, args=(server.base_url, a, recorder, ledger, seen, stop)
            )
            for a in accounts
        ]
        for user in users:
            user.start()
        # Phases wait for what they are about, not only for the clock: on a busy machine six
        # sign-ins can take longer than BEFORE, and a request longer than DOWN.
        _wait_until(lambda: len(seen.successes) >= USERS, at_least=BEFORE, at_most=60)
        cluster.stop()
        stopped_at = time.monotonic()
        _wait_until(lambda: bool(seen.unavailable_pages), at_least=DOWN, at_most=30)
        cluster.start()
        restarted_at = time.monotonic()
        time.sleep(AFTER)
        stop.set()
        for user in users:
            user.join(timeout=60)
        log = server.log_tail()

    assert not recorder.failures or all(f.startswith("503 ") for f in recorder.failures), log
    assert not [s for s in recorder.statuses if s >= 500 and s != 503], recorder.statuses
    assert not seen.unexpected, seen.unexpected
    # What users saw while the database was down.
    assert seen.unavailable_pages, "no request noticed the outage"
    for page in seen.unavailable_pages:
        assert UNAVAILABLE in page.text
        assert page.headers["Retry-After"].isdigit()
        assert 'class="error-page' in page.text  # the portal's own error page, not a bare one
    # The portal recovered by itself: needs were submitted after the restart.
    after = [t for t in seen.successes if t > restarted_at]
    assert len(after) >= USERS, f"{len(after)} needs submitted after the restart"
    # Every need exactly once, each with its match results; no other need in the database but
    # the one each firm had in the pool before the run.
    findings = check(cluster.url, ledger, [])
    assert findings.ok, (findings.lost, findings.doubled, findings.half_applied)
    engine = create_engine(cluster.url)
    with engine.connect() as connection:
        needs = connection.execute(
            text("SELECT count(*) FROM financing_needs WHERE idempotency_key NOT LIKE 'prepared-%'")
        ).scalar()
        bare = connection.execute(
            text(
                "SELECT count(*) FROM financing_needs n WHERE NOT EXISTS"
                " (SELECT 1 FROM match_results m WHERE m.need_id = n.id)"
            )
        ).scalar()
    engine.dispose()
    assert bare == 0
    assert needs == len(ledger.needs)
    first_after = min(after) - restarted_at
    print(
        f"\nrequests: {recorder.requests}, statuses: {dict(recorder.statuses)}, "
        f"503 pages: {len(seen.unavailable_pages)} in {time.monotonic() - stopped_at:.0f} s, "
        f"first need after restart: {first_after:.1f} s, needs: {needs}"
    )


def _wait_until(done, *, at_least: float, at_most: float) -> None:
    """Wait `at_least` seconds, and longer (up to `at_most`) until `done()` holds."""
    start = time.monotonic()
    time.sleep(at_least)
    while not done() and time.monotonic() - start < at_most:
        time.sleep(0.1)


def _submit_needs(
    base_url: str,
    account: Account,
    recorder: Recorder,
    ledger: Ledger,
    seen: Observed,
    stop: threading.Event,
) -> None:
    """Submit needs one after another; on a 503, send the same form again a moment later."""
    client = PortalClient(base_url, recorder, agent=f"outage/{account.email}")
    client.login(account.email, account.password, account.totp_secret)
    pending: dict[str, str] | None = None
    give_up = None
    while pending is not None or not stop.is_set():
        if stop.is_set():
            give_up = give_up or time.monotonic() + 30  # finish the form in hand, then stop
            if time.monotonic() > give_up:
                seen.unexpected.append(f"{account.email}: form never went through")
                return
        page = client.get("/firm/needs/new") if pending is None else None
        if page is not None and not _unavailable(page, seen):
            pending = form_in(page, "/firm/needs/new").data(
                amount_wan="100",
                term_months="12",
                guarantee_type="credit",
                purpose="备货",
                consent="y",
            )
        if pending is None:
            time.sleep(0.3)
            continue
        page = client.post("/firm/needs/new", pending)
        if _unavailable(page, seen):
            time.sleep(0.3)  # the page says to try again shortly: the same form, the same key
            continue
        match = NEED_PATH.match(path_of(page))
        if match is None:
            with seen.lock:
                seen.unexpected.append(f"{page.status_code} {page.url}")
            return
        ledger.need_shown(pending["idempotency_key"], int(match.group(1)))
        with seen.lock:
            seen.successes.append(time.monotonic())
        pending = None


def _unavailable(page: requests.Response, seen: Observed) -> bool:
    if page.status_code != 503:
        return False
    with seen.lock:
        seen.unavailable_pages.append(page)
    return True
