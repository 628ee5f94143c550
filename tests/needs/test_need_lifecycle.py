"""A need that closes: after an offer is taken or the need is withdrawn nothing routes, claims or
accepts any more; a need reaches at most three banks; offers keep to the product's terms;
a disbursement keeps to the offer. Everything through the pages, as the firm and the banks."""

from __future__ import annotations

import datetime as dt
import re
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.dates import today_in_china
from portal.enums import LeadCloseReason, LeadStatus, NeedStatus, Role
from portal.extensions import db
from portal.leads import services as lead_services
from portal.leads.models import Lead, Loan
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.needs.models import FinancingNeed
from portal.notifications.models import Notification
from tests.conftest import signed_in
from tests.factories import FirmFactory, InstitutionFactory, UserFactory, published_product

BANKS = 5
SETTLED = "已接受一家银行的授信方案，该需求不能再推送、领取或受理"
WITHDRAWN = "该需求已撤回，不能再推送、领取或受理"
CLOSED_OTHER = "该线索已关闭：企业选择了其他银行的方案，不能再操作"
CLOSED_WITHDRAWN = "该线索已关闭：企业撤回了融资需求，不能再操作"
CAP = "本需求已推送给 3 家银行，已达每个需求的上限，不能再推送"


@pytest.fixture
def market(app: Flask) -> SimpleNamespace:
    """Five banks with a product the firm qualifies for; bank 0 pre-approves (秒批) the need's
    amount; every product is published at 3.30–4.35% over 12–36 months for 10–500 万元."""
    with app.app_context():
        firm = FirmFactory(revenue=Decimal("20000000"), employees=60)
        sme = UserFactory(role=Role.SME, firm=firm)
        officers, products, banks = [], [], []
        for n in range(BANKS):
            bank = InstitutionFactory(short_name=f"银行{n}", name=f"测试银行{n}福建分行")
            product = published_product(
                bank,
                f"经营贷{n}",
                "3.30",
                'size_class != "large"',
                instant_approval="amount <= 1000000" if n == 0 else None,
                formula="min(amount, revenue * 0.3)",
            )
            product.max_rate, product.min_term_months = Decimal("4.35"), 12
            officers.append(UserFactory(role=Role.BANK_OFFICER, institution=bank).email)
            products.append(product.id)
            banks.append(bank.id)
        db.session.commit()
        invalidate_catalogue_cache()
        return SimpleNamespace(sme=sme.email, officers=officers, products=products, banks=banks)


@pytest.fixture
def firm(app: Flask, market: SimpleNamespace) -> FlaskClient:
    return signed_in(app, market.sme)


@pytest.fixture
def bank(app: Flask, market: SimpleNamespace):
    """A signed-in client per bank officer, made on first use."""
    clients: dict[int, FlaskClient] = {}

    def client(n: int) -> FlaskClient:
        if n not in clients:
            clients[n] = signed_in(app, market.officers[n])
        return clients[n]

    return client


# --- steps through the pages ---------------------------------------------------------------------


def submit(client: FlaskClient, max_rate: str = "4.00") -> int:
    """Submit an 80 万元, 24-month need through the form; its id."""
    page = client.get("/firm/needs/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {
        "amount_wan": "80",
        "term_months": "24",
        "guarantee_type": "credit",
        "max_rate": max_rate,
        "purpose": "采购原材料",
        "consent": "y",
        "idempotency_key": key,
    }
    response = client.post("/firm/needs/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/firm/needs/(\d+)$", response.headers["Location"]).group(1))


def page_of(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def apply(client: FlaskClient, need_id: int, *product_ids: int) -> str:
    data = {"product_id": [str(p) for p in product_ids]}
    return page_of(client.post(f"/firm/needs/{need_id}/apply", data=data, follow_redirects=True))


def firm_post(client: FlaskClient, need_id: int, action: str, **data: str) -> str:
    url = f"/firm/needs/{need_id}/{action}"
    return page_of(client.post(url, data={"confirmed": "y", **data}, follow_redirects=True))


def bank_post(client: FlaskClient, lead_id: int, action: str, **data: str) -> str:
    url = f"/bank/leads/{lead_id}/{action}"
    return page_of(client.post(url, data={"confirmed": "y", **data}, follow_redirects=True))


def decide(client: FlaskClient, lead_id: int, amount="80", rate="3.50", term="24") -> str:
    return bank_post(client, lead_id, "decide", amount_wan=amount, rate=rate, term_months=term)


def decline(client: FlaskClient, lead_id: int) -> str:
    return bank_post(client, lead_id, "decline", reason="collateral", note="")


def disburse(client: FlaskClient, lead_id: int, day: dt.date, amount: str = "") -> str:
    data = {"contract_no": "HT-1", "disbursed_on": day.isoformat(), "amount_wan": amount}
    return bank_post(client, lead_id, "disburse", **data)


def leads_of(app: Flask, need_id: int) -> list[Lead]:
    with app.app_context():
        statement = select(Lead).where(Lead.need_id == need_id).order_by(Lead.id)
        return list(db.session.scalars(statement))


def lead_of_bank(app: Flask, market: SimpleNamespace, need_id: int, n: int) -> Lead:
    [lead] = [x for x in leads_of(app, need_id) if x.institution_id == market.banks[n]]
    return lead


def pooled_lead(app: Flask, need_id: int) -> Lead:
    [lead] = [x for x in leads_of(app, need_id) if x.origin == "pool"]
    return lead


def offer_from_bank0(app, market, firm, bank, need_id: int, **decision: str) -> Lead:
    """Bank 0 accepts its lead and makes an offer."""
    lead = lead_of_bank(app, market, need_id, 0)
    bank_post(bank(0), lead.id, "accept")
    decide(bank(0), lead.id, **decision)
    return lead


@pytest.fixture
def taken(app, market, firm, bank) -> SimpleNamespace:
    """A need applied to banks 0 and 1 and put in the pool; bank 0's offer is taken while bank 1's
    lead is open and the pooled lead unclaimed."""
    need_id = submit(firm)
    apply(firm, need_id, market.products[0], market.products[1])
    firm_post(firm, need_id, "pool")
    lead = offer_from_bank0(app, market, firm, bank, need_id)
    page = firm_post(firm, need_id, f"offers/{lead.id}/take")
    assert "已接受该方案" in page
    return SimpleNamespace(
        need_id=need_id,
        lead_id=lead.id,
        other_id=lead_of_bank(app, market, need_id, 1).id,
        pooled_id=pooled_lead(app, need_id).id,
    )


# --- A: taking an offer settles the need ---------------------------------------------------------


def test_taking_an_offer_closes_every_other_lead_and_tells_the_banks(app, market, firm, taken):
    """The open and the pooled lead close, bank 1 is told, and no SLA breach is counted."""
    others = [x for x in leads_of(app, taken.need_id) if x.id != taken.lead_id]
    assert {(x.status, x.closed_reason) for x in others} == {
        (LeadStatus.CLOSED, LeadCloseReason.OTHER_OFFER_TAKEN)
    }
    assert not any(x.sla_breached for x in others)
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == market.officers[1]))
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == officer.id)
        )
        assert "lead.closed" in list(kinds)
        # The scheduler neither expires nor reroutes anything of the settled need, years later.
        lead_services.expire_overdue(dt.datetime.now(dt.UTC) + dt.timedelta(days=3650))
    assert len(leads_of(app, taken.need_id)) == 3
    assert not any(x.sla_breached for x in leads_of(app, taken.need_id))


def test_statuses_say_the_offer_was_taken(app, firm, bank, taken):
    """The firm's need and the bank's lead both say the offer was taken and the loan is awaited."""
    assert "已接受授信方案，待放款" in page_of(firm.get(f"/firm/needs/{taken.need_id}"))
    assert "已接受授信方案，待放款" in page_of(firm.get("/firm/needs/"))
    assert "企业已接受方案，待放款" in page_of(bank(0).get(f"/bank/leads/{taken.lead_id}"))


@pytest.mark.parametrize("action", ["apply", "route-best", "pool"])
def test_firm_cannot_route_a_settled_need(app, market, firm, taken, action):
    """After the offer is taken, applying, routing and pooling are refused with a reason."""
    data = {"product_id": str(market.products[3])} if action == "apply" else {}
    page = firm_post(firm, taken.need_id, action, **data)
    assert SETTLED in page
    assert len(leads_of(app, taken.need_id)) == 3


def test_firm_cannot_withdraw_after_taking_an_offer(app, firm, taken):
    """Withdrawing a need whose offer was taken is refused; the taken lead stays approved."""
    page = firm_post(firm, taken.need_id, "withdraw")
    assert "您已接受银行的授信方案，需求不能再撤回" in page
    with app.app_context():
        assert db.session.get(FinancingNeed, taken.need_id).status == NeedStatus.ROUTED
        assert db.session.get(Lead, taken.lead_id).status == LeadStatus.APPROVED


def test_firm_cannot_take_a_second_offer(app, market, firm, bank):
    """With two offers made, taking one closes the other; taking that one is then refused."""
    need_id = submit(firm)
    apply(firm, need_id, market.products[0], market.products[1])
    first = offer_from_bank0(app, market, firm, bank, need_id)
    second = lead_of_bank(app, market, need_id, 1)
    bank_post(bank(1), second.id, "accept")
    decide(bank(1), second.id)
    firm_post(firm, need_id, f"offers/{first.id}/take")
    page = firm_post(firm, need_id, f"offers/{second.id}/take")
    assert SETTLED in page
    with app.app_context():
        assert db.session.get(Lead, second.id).offer_taken_at is None


@pytest.mark.parametrize("action", ["accept", "decline", "decide"])
def test_bank_cannot_work_a_lead_closed_by_the_taken_offer(app, bank, taken, action):
    """Bank 1's closed lead refuses accept, decline and decision, saying why."""
    post = {"accept": lambda c, i: bank_post(c, i, "accept"), "decline": decline, "decide": decide}
    page = post[action](bank(1), taken.other_id)
    assert CLOSED_OTHER in page
    with app.app_context():
        assert db.session.get(Lead, taken.other_id).status == LeadStatus.CLOSED


def test_bank_cannot_claim_the_pooled_lead_of_a_settled_need(app, market, bank, taken):
    """The pooled lead closed with the taken offer; a bank that tries to claim it is told."""
    page = bank_post(bank(3), taken.pooled_id, "claim")
    assert SETTLED in page
    with app.app_context():
        assert db.session.get(Lead, taken.pooled_id).institution_id is None


def test_bank_cannot_accept_a_claimed_lead_after_the_offer_is_taken(app, market, firm, bank):
    """A pooled lead a bank claimed, still unanswered when the offer is taken, cannot be accepted:
    the bank never sees the firm's profile."""
    need_id = submit(firm)
    apply(firm, need_id, market.products[0])
    firm_post(firm, need_id, "pool")
    bank_post(bank(2), pooled_lead(app, need_id).id, "claim")
    lead = offer_from_bank0(app, market, firm, bank, need_id)
    firm_post(firm, need_id, f"offers/{lead.id}/take")
    claimed = lead_of_bank(app, market, need_id, 2)
    assert CLOSED_OTHER in bank_post(bank(2), claimed.id, "accept")
    with app.app_context():
        assert db.session.get(Lead, claimed.id).accepted_at is None


def test_bank_cannot_disburse_a_closed_lead(app, bank, taken):
    """Disbursing on a lead that closed is refused with its reason; no loan is made."""
    page = disburse(bank(1), taken.other_id, today_in_china())
    assert CLOSED_OTHER in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Loan.id))) == 0


# --- A: a withdrawn need --------------------------------------------------------------------------


@pytest.fixture
def withdrawn(app, market, firm, bank) -> SimpleNamespace:
    """A need applied to bank 0 (who made an offer) and bank 1, pooled, then withdrawn."""
    need_id = submit(firm)
    apply(firm, need_id, market.products[0], market.products[1])
    firm_post(firm, need_id, "pool")
    lead = offer_from_bank0(app, market, firm, bank, need_id)
    assert "需求已撤回" in firm_post(firm, need_id, "withdraw")
    return SimpleNamespace(
        need_id=need_id,
        offer_id=lead.id,
        other_id=lead_of_bank(app, market, need_id, 1).id,
        pooled_id=pooled_lead(app, need_id).id,
    )


@pytest.mark.parametrize("action", ["apply", "route-best", "pool"])
def test_firm_cannot_route_a_withdrawn_need(app, market, firm, withdrawn, action):
    """A withdrawn need is not applied, routed or pooled again."""
    data = {"product_id": str(market.products[3])} if action == "apply" else {}
    assert WITHDRAWN in firm_post(firm, withdrawn.need_id, action, **data)
    assert len(leads_of(app, withdrawn.need_id)) == 3


def test_firm_cannot_take_an_offer_of_a_withdrawn_need(app, firm, withdrawn):
    """The offer made before the withdrawal closed with it and cannot be taken."""
    page = firm_post(firm, withdrawn.need_id, f"offers/{withdrawn.offer_id}/take")
    assert WITHDRAWN in page
    with app.app_context():
        assert db.session.get(Lead, withdrawn.offer_id).offer_taken_at is None


def test_firm_cannot_withdraw_twice(firm, withdrawn):
    """A second withdrawal says the need has already ended."""
    assert "该需求已结束，无需撤回" in firm_post(firm, withdrawn.need_id, "withdraw")


@pytest.mark.parametrize("action", ["accept", "decline", "decide"])
def test_bank_cannot_work_a_lead_of_a_withdrawn_need(app, bank, withdrawn, action):
    """Bank 1's lead closed with the withdrawal; each answer is refused with that reason."""
    post = {"accept": lambda c, i: bank_post(c, i, "accept"), "decline": decline, "decide": decide}
    assert CLOSED_WITHDRAWN in post[action](bank(1), withdrawn.other_id)


def test_bank_cannot_claim_the_pooled_lead_of_a_withdrawn_need(app, bank, withdrawn):
    """The pooled lead closed with the withdrawal; a claim is refused and no bank gets it."""
    assert WITHDRAWN in bank_post(bank(3), withdrawn.pooled_id, "claim")
    with app.app_context():
        assert db.session.get(Lead, withdrawn.pooled_id).institution_id is None


def test_withdrawn_leads_tell_the_banks_and_count_no_breach(app, market, withdrawn):
    """Every lead of the withdrawn need closed; bank 1 was told; nothing counts as a breach."""
    leads = leads_of(app, withdrawn.need_id)
    assert {x.status for x in leads} == {LeadStatus.CLOSED}
    assert not any(x.sla_breached for x in leads)
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.email == market.officers[1]))
        titles = db.session.scalars(
            select(Notification.title).where(Notification.user_id == officer.id)
        )
        assert any("企业撤回了融资需求" in t for t in titles)


# --- A: declined and expired leads ----------------------------------------------------------------


@pytest.mark.parametrize("action", ["accept", "decline", "decide"])
def test_a_declined_lead_takes_no_more_answers(app, market, firm, bank, action):
    """Once the bank declined, accepting, declining again or deciding is refused."""
    need_id = submit(firm)
    apply(firm, need_id, market.products[1])
    lead = lead_of_bank(app, market, need_id, 1)
    decline(bank(1), lead.id)
    post = {"accept": lambda c, i: bank_post(c, i, "accept"), "decline": decline, "decide": decide}
    assert "该线索已拒绝，不能再操作" in post[action](bank(1), lead.id)


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_an_expired_lead_takes_no_more_answers(app, market, firm, bank, action):
    """A lead the scheduler expired cannot be accepted or declined any more."""
    need_id = submit(firm)
    apply(firm, need_id, market.products[1])
    lead = lead_of_bank(app, market, need_id, 1)
    with app.app_context():
        lead_services.expire_overdue(dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    post = {"accept": lambda c, i: bank_post(c, i, "accept"), "decline": decline}
    assert "该线索已超过响应时限，不能再操作" in post[action](bank(1), lead.id)


# --- A: at most three banks per need --------------------------------------------------------------


def test_a_need_reaches_at_most_three_banks_across_clicks(app, market, firm):
    """Two applications, then the platform's pick adds one bank; apply, route and pool refuse."""
    need_id = submit(firm)
    apply(firm, need_id, market.products[0], market.products[1])
    assert "每个需求最多推送给 3 家银行，本需求还可再选 1 家" in apply(
        firm, need_id, market.products[2], market.products[3]
    )
    assert "平台已为您推荐并推送给 1 家银行" in firm_post(firm, need_id, "route-best")
    assert CAP in apply(firm, need_id, market.products[4])
    assert CAP in firm_post(firm, need_id, "route-best")
    assert CAP in firm_post(firm, need_id, "pool")
    assert len(leads_of(app, need_id)) == 3


def test_the_pooled_lead_holds_a_place_and_reroute_stops_at_three(app, market, firm, bank):
    """Two applications and the pool fill the three places; the claim is the third bank, and
    when a lead expires the scheduler sends the need to no fourth bank."""
    need_id = submit(firm)
    apply(firm, need_id, market.products[0], market.products[1])
    firm_post(firm, need_id, "pool")
    assert CAP in firm_post(firm, need_id, "route-best")
    bank_post(bank(2), pooled_lead(app, need_id).id, "claim")
    with app.app_context():
        lead_services.expire_overdue(dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    leads = leads_of(app, need_id)
    assert len(leads) == 3 and {x.status for x in leads} == {LeadStatus.EXPIRED}
    with app.app_context():
        told = db.session.scalars(
            select(Notification.title).where(Notification.kind == "need.no_more_banks")
        ).all()
    assert len(told) == 3 and all("达到上限" in message for message in told)


@pytest.mark.real_commits
def test_simultaneous_applications_never_pass_three_banks(app):
    """Three requests apply to two new banks each at the same moment: one wins, the others are
    told the need has one place left, and the need reaches two banks, not six."""
    with app.app_context():
        sme = UserFactory(role=Role.SME, firm__revenue=Decimal("20000000"), firm__employees=60)
        products = []
        for n in range(6):
            product = published_product(InstitutionFactory(), f"产品{n}", "3.50", "")
            products.append(product.id)
        db.session.commit()
        invalidate_catalogue_cache()
        email = sme.email
    client = signed_in(app, email)
    need_id = submit(client)
    with app.app_context():
        sme_id = db.session.scalar(select(User.id).where(User.email == email))
        db.session.commit()
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def apply_as(pair: list[int]) -> None:
        with app.app_context():
            user = db.session.get(User, sme_id)
            need = db.session.get(FinancingNeed, need_id)
            db.session.commit()  # no thread holds a lock at the start line
            barrier.wait()
            try:
                lead_services.apply_to_products(user, need, pair)
                outcomes.append("won")
            except lead_services.LeadError as error:
                outcomes.append(str(error))

    pairs = [products[0:2], products[2:4], products[4:6]]
    threads = [threading.Thread(target=apply_as, args=(pair,)) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    room = "每个需求最多推送给 3 家银行，本需求还可再选 1 家"
    assert sorted(outcomes) == sorted(["won", room, room])
    assert len(leads_of(app, need_id)) == 2


# --- B: offers inside the product's terms ---------------------------------------------------------


@pytest.fixture
def accepted(app, market, firm, bank) -> SimpleNamespace:
    """A need applied to bank 0 (秒批 up to 80 万元) and bank 1; both accepted."""
    need_id = submit(firm)
    apply(firm, need_id, market.products[0], market.products[1])
    lead0, lead1 = lead_of_bank(app, market, need_id, 0), lead_of_bank(app, market, need_id, 1)
    bank_post(bank(0), lead0.id, "accept")
    bank_post(bank(1), lead1.id, "accept")
    return SimpleNamespace(need_id=need_id, pre_approved=lead0.id, plain=lead1.id)


def test_decision_form_says_the_allowed_ranges(bank, accepted):
    """Beside each field: the product's rate and term, and the 秒批 limit for the amount."""
    page = page_of(bank(0).get(f"/bank/leads/{accepted.pre_approved}"))
    assert "本产品公布的年利率为 3.3% 至 4.35%" in page
    assert "本产品的期限为 12 至 36 个月" in page
    assert "可批 10 至 80 万元（不超过秒批额度）" in page


@pytest.mark.parametrize(
    ("rate", "term", "amount", "message"),
    [
        ("12", "24", "80", "年利率超出范围：本产品公布的年利率为 3.3% 至 4.35%"),
        ("3.20", "24", "80", "年利率超出范围"),
        ("3.50", "120", "80", "期限超出范围：本产品的期限为 12 至 36 个月"),
        ("3.50", "6", "80", "期限超出范围"),
        ("3.50", "24", "5", "批复金额超出范围：可批 10 至 500 万元（本产品的额度范围）"),
    ],
)
def test_offer_outside_the_products_terms_is_refused(
    app, bank, accepted, rate, term, amount, message
):
    """12% for 120 months on a 3.30–4.35%, 12–36 month product (and the like) is refused."""
    page = decide(bank(1), accepted.plain, amount=amount, rate=rate, term=term)
    assert message in page
    with app.app_context():
        assert db.session.get(Lead, accepted.plain).status == LeadStatus.ACCEPTED


def test_offer_above_the_pre_approved_limit_is_refused(app, bank, accepted):
    """A 秒批 lead pre-approved at 80 万元 cannot be offered 90 万元."""
    page = decide(bank(0), accepted.pre_approved, amount="90")
    assert "批复金额超出范围：可批 10 至 80 万元（不超过秒批额度）" in page
    with app.app_context():
        assert db.session.get(Lead, accepted.pre_approved).approved_amount is None


def test_offer_above_the_firms_highest_rate_is_allowed_with_a_warning(app, firm, bank, accepted):
    """4.20% is within the product but above the firm's 4.00%: sent, and the firm is warned."""
    assert "授信方案已发送给企业" in decide(bank(1), accepted.plain, rate="4.20")
    decide(bank(0), accepted.pre_approved, rate="3.50")
    page = page_of(firm.get(f"/firm/needs/{accepted.need_id}"))
    assert page.count("高于您填写的可接受最高年利率") == 1
    assert "注意：该方案年利率 4.2" in page


# --- C: disbursement ------------------------------------------------------------------------------


@pytest.fixture
def to_disburse(app, market, firm, bank) -> int:
    """Bank 0's offer of 80 万元, taken by the firm."""
    need_id = submit(firm)
    apply(firm, need_id, market.products[0])
    lead = offer_from_bank0(app, market, firm, bank, need_id)
    firm_post(firm, need_id, f"offers/{lead.id}/take")
    return lead.id


def test_disbursement_before_the_credit_decision_is_refused(app, bank, to_disburse):
    """A disbursement dated six years before the decision is refused, naming the allowed days."""
    six_years_ago = today_in_china() - dt.timedelta(days=6 * 365)
    page = disburse(bank(0), to_disburse, six_years_ago)
    assert f"放款日期应在授信批复日 {today_in_china().isoformat()} 至今天" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Loan.id))) == 0


def test_disbursement_after_today_is_refused(app, bank, to_disburse):
    """Tomorrow's date is refused beside the field."""
    page = disburse(bank(0), to_disburse, today_in_china() + dt.timedelta(days=1))
    assert "放款日期不能晚于今天" in page
    with app.app_context():
        assert db.session.get(Lead, to_disburse).status == LeadStatus.APPROVED


def test_disbursement_above_the_offer_is_refused(app, bank, to_disburse):
    """90 万元 on an offer of 80 万元 is refused; 60 万元 makes a loan of 60 万元."""
    assert "放款金额不能超过批复金额 80 万元" in disburse(
        bank(0), to_disburse, today_in_china(), "90"
    )
    assert "放款已登记" in disburse(bank(0), to_disburse, today_in_china(), "60")
    with app.app_context():
        assert db.session.scalar(select(Loan.amount)) == Decimal("600000")
        need = db.session.get(Lead, to_disburse).need
        assert need.status == NeedStatus.FULFILLED
