"""What the simulated users do, and the ledger of what the portal told them.

Firm users register a firm, then submit financing needs (sometimes the same form twice at the
same moment, as a double click does) and put most of them in the open pool. Bank officers watch
the pool, claim leads (several banks go for the same lead), accept what they win, and record a
credit decision or decline. The ledger keeps only what a user was told succeeded; afterwards the
database must hold exactly that (`bench.load_check`).
"""

from __future__ import annotations

import random
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import requests

from bench.load_client import PageError, PortalClient, flashed_success, form_in, path_of
from portal.firms.standards import CREDIT_CODE_ALPHABET, FUJIAN_REGIONS

NEED_PATH = re.compile(r"^/firm/needs/(\d+)$")
PREFECTURES = [code for code, _ in FUJIAN_REGIONS if not code.endswith("0000")]
LETTERS = [c for c in CREDIT_CODE_ALPHABET if c.isalpha()]


@dataclass(frozen=True)
class Account:
    """A sign-in made before the run: a bank officer (with its bank) or a returning firm user."""

    email: str
    password: str
    institution_id: int | None = None
    totp_secret: str | None = None


@dataclass
class Ledger:
    """What each user was told, recorded the moment the portal said so."""

    registered: dict[str, str] = field(default_factory=dict)  # email -> credit code
    needs: dict[str, set[int]] = field(default_factory=dict)  # idempotency key -> need ids shown
    double_submits: int = 0
    confirmations: int = 0  # need pages shown after a submission (two for a double submit)
    pooled: set[int] = field(default_factory=set)  # need ids
    claims: list[tuple[int, str, bool]] = field(default_factory=list)  # lead, officer, won
    accepted: set[int] = field(default_factory=set)
    approved: dict[int, Decimal] = field(default_factory=dict)  # lead id -> amount in yuan
    declined: set[int] = field(default_factory=set)
    aborted: list[str] = field(default_factory=list)  # users stopped by an unexpected page
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, change: Callable[[Ledger], None]) -> None:
        with self._lock:
            change(self)

    def need_shown(self, key: str, need_id: int) -> None:
        def change(ledger: Ledger) -> None:
            ledger.needs.setdefault(key, set()).add(need_id)
            ledger.confirmations += 1

        self.record(change)


@dataclass(frozen=True)
class Run:
    """What every user of one run shares."""

    base_url: str
    ledger: Ledger
    stop_at: float  # time.monotonic() deadline
    tag: str  # makes emails and credit codes unique to this run
    # Registry-only firms (code, legal representative, ID number) users may register.
    identities: list[tuple[str, str, str]] = field(default_factory=list)

    def running(self) -> bool:
        return time.monotonic() < self.stop_at


def run_tag() -> str:
    """Three random letters of the credit-code alphabet, so runs on one database do not collide."""
    return "".join(secrets.choice(LETTERS) for _ in range(3))


def think(rng: random.Random) -> None:
    time.sleep(rng.uniform(0.0, 0.2))


# --- firm users ----------------------------------------------------------------------------------


def firm_user(
    client: PortalClient, run: Run, number: int, account: Account | None, rng: random.Random
) -> None:
    """Register a firm (or sign in to one), then submit needs and pool most of them."""
    if account is not None:
        client.login(account.email, account.password, account.totp_secret)
    elif register_firm(client, run, number, rng) is None:
        return
    while run.running():
        need_id = submit_need(client, run, rng)
        think(rng)
        if need_id is not None and rng.random() < 0.8:
            send_to_pool(client, run, need_id)
        if rng.random() < 0.3:
            client.get("/firm/needs/")
        think(rng)


def register_firm(client: PortalClient, run: Run, number: int, rng: random.Random) -> str | None:
    """Fill in the registration form; return the email if the portal signed the firm in."""
    email = f"firm{number}.{run.tag.lower()}@load-bench.example.com"
    if not run.identities:
        run.ledger.record(lambda ledger: ledger.aborted.append("register: no registry firms"))
        return None
    code, representative, id_number = run.identities[number % len(run.identities)]
    password = f"Load-{run.tag}-{number}-pass"
    form = client.form("/register")
    page = client.post(
        "/register",
        form.data(
            name=f"压测企业{run.tag}{number}有限公司",
            legal_representative="张三",
            region_code=rng.choice(PREFECTURES),
            industry_code="13",
            employees=str(rng.randint(20, 200)),
            revenue_wan=str(rng.randint(600, 3000)),
            total_assets_wan=str(rng.randint(500, 4000)),
            established_on="2018-05-01",
            tax_credit_grade=rng.choice("AAB"),
            qualifications="green",
            full_name=f"联系人{number}",
            email=email,
            phone="13800000000",
            password=password,
            password_confirm=password,
            credit_code=code,
            legal_rep_name=representative,
            legal_rep_id_number=id_number,
            consent="y",
        ),
    )
    if path_of(page) != "/firm":
        run.ledger.record(lambda ledger: ledger.aborted.append(f"register {email}: {page.url}"))
        return None
    run.ledger.record(lambda ledger: ledger.registered.__setitem__(email, code))
    return email


def submit_need(client: PortalClient, run: Run, rng: random.Random) -> int | None:
    """Submit the need form; one time in five, send the same form twice at once."""
    form = client.form("/firm/needs/new")
    data = form.data(
        amount_wan=str(rng.choice((50, 100, 150, 200, 300))),
        term_months=str(rng.choice((12, 24, 36))),
        guarantee_type="credit",
        max_rate="",
        purpose="采购原材料",
        consent="y",
    )
    key = data["idempotency_key"]
    if rng.random() < 0.2:
        pages = _twice_at_once(client, "/firm/needs/new", data)
        run.ledger.record(
            lambda ledger: setattr(ledger, "double_submits", ledger.double_submits + 1)
        )
    else:
        pages = [client.post("/firm/needs/new", data)]
    shown = None
    for page in pages:
        match = NEED_PATH.match(path_of(page))
        if match:
            shown = int(match.group(1))
            run.ledger.need_shown(key, shown)
    return shown


def _twice_at_once(
    client: PortalClient, path: str, data: dict[str, str]
) -> list[requests.Response]:
    """Two tabs of one browser post the same form at the same moment."""
    twin, pages = client.clone(), []
    barrier = threading.Barrier(2)

    def post(tab: PortalClient) -> None:
        barrier.wait()
        pages.append(tab.post(path, data))

    other = threading.Thread(target=post, args=(twin,))
    other.start()
    post(client)
    other.join()
    return pages


def send_to_pool(client: PortalClient, run: Run, need_id: int) -> None:
    detail = client.get(f"/firm/needs/{need_id}")
    if f'action="/firm/needs/{need_id}/pool"' not in detail.text:
        return  # no eligible product: the page offers no pool button
    page = client.post(f"/firm/needs/{need_id}/pool", {"csrf_token": client.csrf_token(detail)})
    if flashed_success(page.text):
        run.ledger.record(lambda ledger: ledger.pooled.add(need_id))


# --- bank officers -------------------------------------------------------------------------------


def bank_officer(client: PortalClient, run: Run, officer: Account, rng: random.Random) -> None:
    """Claim pooled leads (racing other banks), accept the ones won, then decide.

    The officer is already signed in: officers are at their desks when the run starts.
    """
    while run.running():
        pool = client.get("/bank/leads/pool")
        leads = _claimable(pool)
        if not leads:
            time.sleep(0.3)
            continue
        # Most officers go for the newest lead, so several banks click on the same one.
        lead_id = leads[0] if rng.random() < 0.7 else rng.choice(leads)
        if claim(client, run, officer, lead_id, client.csrf_token(pool)):
            work_on(client, run, lead_id, rng)
        think(rng)


def _claimable(pool: requests.Response) -> list[int]:
    """The pooled leads on the page, newest first."""
    return [int(m) for m in re.findall(r'action="/bank/leads/(\d+)/claim"', pool.text)]


def claim(client: PortalClient, run: Run, officer: Account, lead_id: int, token: str) -> bool:
    page = client.post(f"/bank/leads/{lead_id}/claim", {"csrf_token": token})
    won = path_of(page) == f"/bank/leads/{lead_id}" and flashed_success(page.text)
    run.ledger.record(lambda ledger: ledger.claims.append((lead_id, officer.email, won)))
    return won


def work_on(client: PortalClient, run: Run, lead_id: int, rng: random.Random) -> None:
    """Accept the lead, then offer credit (seven times in ten) or decline it."""
    path = f"/bank/leads/{lead_id}"
    detail = client.get(path)
    page = client.post(f"{path}/accept", {"csrf_token": client.csrf_token(detail)})
    if not flashed_success(page.text):
        raise PageError(f"accepting lead {lead_id} failed: {page.url}")
    run.ledger.record(lambda ledger: ledger.accepted.add(lead_id))
    think(rng)
    if rng.random() < 0.7:
        form = form_in(page, f"{path}/decide")
        amount_wan = Decimal(form.fields.get("amount_wan") or "100")
        page = client.post(f"{path}/decide", form.data(rate="3.85", amount_wan=str(amount_wan)))
        if flashed_success(page.text):
            amount = (amount_wan * 10000).quantize(Decimal("0.01"))
            run.ledger.record(lambda ledger: ledger.approved.__setitem__(lead_id, amount))
        return
    form = form_in(page, f"{path}/decline")
    page = client.post(
        f"{path}/decline", form.data(reason="amount", note="额度已用完", confirmed="y")
    )
    if flashed_success(page.text):
        run.ledger.record(lambda ledger: ledger.declined.add(lead_id))
