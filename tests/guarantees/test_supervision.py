"""Guarantee figures for supervision: what `figures.guarantees.figures` counts in a window,
how the dashboard, its exports and the monthly PDF show it, and who sees which rows.

The book, one firm in 福州, letters and loans made through the real services (then dated
back), monthly reports added as rows the way tests/guarantees/test_compensation.py does:

- L1: bank A, 甲 (0.80%, covers 80%), 100 万元 disbursed 2025-01-10 for 24 months; reported
  95 万元 in January, 70 in April, 损失 at 60 in May; 甲 pays 48 万元 on 2025-06-15; 12 万元
  recovered on 2025-07-20, of which 9.6 is the guarantor's (the bank keeps its 20%);
- L2: bank B, 甲, 50 万元 disbursed 2025-01-20 for 3 months (matures 2025-04-20, released
  without compensation); reported 48 万元 in January, 30 in February;
- L3: bank A, 乙 (0.60%, covers 70%), 80 万元 disbursed 2025-03-05 for 24 months; not reported
  until June (75 万元).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest
from flask import Flask
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.dates import SHANGHAI, today_in_china
from portal.enums import FiveTierClass, Role
from portal.extensions import db
from portal.figures.guarantees import GuaranteeGroup, figures, figures_as_of
from portal.figures.live import Filters
from portal.guarantees import compensation as services
from portal.guarantees import requests as guarantees
from portal.guarantees.models import Compensation, Guarantee
from portal.institutions.models import FinancialInstitution
from portal.leads import services as leads
from portal.leads.models import Lead, Loan
from portal.monthly import services as monthly
from portal.reporting.models import LoanStatusReport
from tests.conftest import signed_in
from tests.factories import AgencyFactory, UserFactory
from tests.guarantees.conftest import (
    DECIDED_RATE,
    Market,
    accepted_lead,
    current,
    offer_guarantee,
    requests_of,
    submit,
    user,
)
from tests.supervision.test_dashboard import read_csv

D = Decimal
WAN = D(10000)
NORMAL, LOSS = FiveTierClass.NORMAL, FiveTierClass.LOSS
FIRM_CITY, OTHER_CITY = "350100", "350200"
POPPLER = ("pdftotext",)
needs_poppler = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in POPPLER),
    reason="poppler-utils (pdftotext) is not installed; .ci/run installs it",
)


def month(year: int, number: int) -> dt.date:
    return dt.date(year, number, 1)


# --- helpers copied from tests/guarantees/test_compensation.py ---------------------------------


def guarantor_officer(market: Market, guarantor: str = "甲") -> User:
    return user(market.guarantor_officers[guarantor])


def bank_officer(market: Market, bank: str = "A") -> User:
    return user(market.bank_officers[bank])


def report(
    letter: Guarantee, period: dt.date, balance: Decimal, tier: FiveTierClass = NORMAL
) -> LoanStatusReport:
    """The bank's monthly report of the guaranteed loan."""
    row = LoanStatusReport(
        loan_id=letter.loan_id,
        institution_id=letter.bank_institution_id,
        period=period,
        balance=balance,
        days_overdue=0,
        five_tier_class=tier,
    )
    db.session.add(row)
    db.session.commit()
    return row


def found(market: Market, letter: Guarantee, bank: str = "A") -> services.GuaranteedLoan:
    """The letter's loan as the bank's list of guaranteed loans shows it."""
    listed = services.guaranteed_loans(bank_officer(market, bank))
    [row] = [f for f in listed if f.letter.id == letter.id]
    return row


# --- the book ----------------------------------------------------------------------------------


def guaranteed_loan(
    market: Market,
    *,
    bank: str,
    guarantor: str,
    amount: Decimal,
    term: int,
    contract: str,
    disbursed_on: dt.date,
    maturity_on: dt.date,
) -> Guarantee:
    """A need offering an agency guarantee, the bank's decision on the condition, the
    guarantor's letter, the firm takes the offer and the bank disburses.

    The services disburse today only; the loan is then dated back, as a bank recording an
    older loan would have had it, so the windows below are fixed months.
    """
    lead = accepted_lead(market, submit(market, amount=amount, term=term), bank)
    decision = leads.CreditDecision(
        amount=amount, rate=DECIDED_RATE[bank], term_months=term, with_guarantee=True
    )
    leads.record_decision(bank_officer(market, bank), lead, decision)
    [request] = requests_of(lead.id)
    assert request.institution_id == market.guarantors[guarantor]
    guarantees.accept(guarantor_officer(market, guarantor), request)
    letter = guarantees.issue(guarantor_officer(market, guarantor), request)
    leads.take_offer(user(market.firm_user_id), current(Lead, lead.id))
    loan = leads.disburse(
        bank_officer(market, bank), current(Lead, lead.id), contract, today_in_china()
    )
    db.session.execute(
        update(Loan)
        .where(Loan.id == loan.id)
        .values(disbursed_on=disbursed_on, maturity_on=maturity_on)
    )
    db.session.commit()
    return current(Guarantee, letter.id)


def compensate(market: Market, letter: Guarantee, loss: Decimal, paid_at: dt.datetime) -> int:
    """Bank A claims the loss, 甲 pays; the payment is then dated `paid_at`."""
    claim = services.file(bank_officer(market), found(market, letter), loss, "逾期催收无果")
    services.pay(guarantor_officer(market), claim)
    db.session.execute(
        update(Compensation).where(Compensation.id == claim.id).values(decided_at=paid_at)
    )
    db.session.commit()
    return claim.id


@dataclass
class Book:
    names: dict[str, str]  # short name -> institution id (as the figures key it)


@pytest.fixture
def book(app: Flask, market: Market) -> Book:
    """The three loans of the module docstring, their reports, the compensation and recovery."""
    with app.app_context():
        offer_guarantee(market, "甲", "甲保", "0.80", coverage_share="80")
        l1 = guaranteed_loan(
            market,
            bank="A",
            guarantor="甲",
            amount=100 * WAN,
            term=24,
            contract="HT-L1",
            disbursed_on=dt.date(2025, 1, 10),
            maturity_on=dt.date(2027, 1, 10),
        )
        l2 = guaranteed_loan(
            market,
            bank="B",
            guarantor="甲",
            amount=50 * WAN,
            term=3,
            contract="HT-L2",
            disbursed_on=dt.date(2025, 1, 20),
            maturity_on=dt.date(2025, 4, 20),
        )
        # 乙 comes in cheaper for bank A after L1 and L2: the next request on A goes to 乙.
        offer_guarantee(market, "乙", "乙保", "0.60", banks=("A",), coverage_share="70")
        l3 = guaranteed_loan(
            market,
            bank="A",
            guarantor="乙",
            amount=80 * WAN,
            term=24,
            contract="HT-L3",
            disbursed_on=dt.date(2025, 3, 5),
            maturity_on=dt.date(2027, 3, 5),
        )
        report(l1, month(2025, 1), 95 * WAN)
        report(l1, month(2025, 4), 70 * WAN)
        report(l1, month(2025, 5), 60 * WAN, LOSS)
        report(l2, month(2025, 1), 48 * WAN)
        report(l2, month(2025, 2), 30 * WAN)
        report(l3, month(2025, 6), 75 * WAN)
        paid_at = dt.datetime(2025, 6, 15, 10, tzinfo=SHANGHAI).astimezone(dt.UTC)
        claim_id = compensate(market, l1, 60 * WAN, paid_at)
        services.record_recovery(
            guarantor_officer(market),
            current(Compensation, claim_id),
            12 * WAN,
            dt.date(2025, 7, 20),
            "拍卖抵押物",
        )
        assert current(Compensation, claim_id).claimed_amount == 48 * WAN
        assert (l1.fee_rate, l2.fee_rate, l3.fee_rate) == (D("0.80"), D("0.80"), D("0.60"))
        names = {"甲担保": market.guarantors["甲"], "乙担保": market.guarantors["乙"]}
        names |= {"银行A": market.banks["A"], "银行B": market.banks["B"]}
        return Book({name: str(i) for name, i in names.items()})


# --- the figures ---------------------------------------------------------------------------------


class Row(NamedTuple):
    """A group's figures, amounts in 万元, rates as figures() gives them (None: no base)."""

    letters: int
    amount: Decimal
    fee_rate: Decimal | None
    balance: Decimal
    released: Decimal
    compensated: Decimal
    compensation_rate: Decimal | None
    recovery_rate: Decimal | None


def row_of(group: GuaranteeGroup) -> Row:
    return Row(
        group.letters,
        group.amount / WAN,
        group.average_fee_rate,
        group.balance / WAN,
        group.released / WAN,
        group.compensated / WAN,
        group.compensation_rate,
        group.recovery_rate,
    )


def row(*values: object) -> Row:
    """A Row from short literals: amounts and rates as strings, None kept."""
    letters, *rest = values
    return Row(int(letters), *(None if v is None else D(str(v)) for v in rest))  # type: ignore[arg-type]


# Per window: the total, then each guarantor and each bank, worked out by hand from the book.
#   letters, amount, fee, balance, released, compensated, compensation rate, recovery rate
WINDOWS = {
    # The month of disbursement of L1 and L2: 150 万元 at 0.80%; balances from January's
    # reports (95 + 48), the later reports ignored; nothing released or compensated yet.
    "2025-01": (
        (month(2025, 1), month(2025, 1)),
        row(2, 150, "0.8", 143, 0, 0, None, None),
        {"甲担保": row(2, 150, "0.8", 143, 0, 0, None, None)},
        {
            "银行A": row(1, 100, "0.8", 95, 0, 0, None, None),
            "银行B": row(1, 50, "0.8", 48, 0, 0, None, None),
        },
    ),
    # L3 is new business (80 万元 at 0.60%, never reported: its principal is its balance);
    # L1 counts at April's 70; L2 matured on 04-20: released, out of the balance, nothing
    # paid on it, so the compensation rate is 0 (a base, unlike None).
    "2025-02..04": (
        (month(2025, 2), month(2025, 4)),
        row(1, 80, "0.6", 150, 50, 0, 0, None),
        {
            "乙担保": row(1, 80, "0.6", 80, 0, 0, None, None),
            "甲担保": row(0, 0, None, 70, 50, 0, 0, None),
        },
        {
            "银行A": row(1, 80, "0.6", 150, 0, 0, None, None),
            "银行B": row(0, 0, None, 0, 50, 0, 0, None),
        },
    ),
    # June: L1 compensated (48 of its 100 released, out of the balance), nothing recovered by
    # the end of June; L3 at June's 75. Bank B has nothing in June: it has no row.
    "2025-06": (
        (month(2025, 6), month(2025, 6)),
        row(0, 0, None, 75, 100, 48, "0.48", 0),
        {
            "乙担保": row(0, 0, None, 75, 0, 0, None, None),
            "甲担保": row(0, 0, None, 0, 100, 48, "0.48", 0),
        },
        {
            "银行A": row(0, 0, None, 75, 100, 48, "0.48", 0),
        },
    ),
    # A later window holding both releases: 48 ÷ (100 + 50) = 32%; of the 12 万元 recovered
    # in July the guarantor's 9.6 count: 9.6 ÷ 48 = 20%. L1 and L2 were disbursed before it:
    # they count in released and compensated, not in letters or amount.
    "2025-02..07": (
        (month(2025, 2), month(2025, 7)),
        row(1, 80, "0.6", 75, 150, 48, "0.32", "0.2"),
        {
            "乙担保": row(1, 80, "0.6", 75, 0, 0, None, None),
            "甲担保": row(0, 0, None, 0, 150, 48, "0.32", "0.2"),
        },
        {
            "银行A": row(1, 80, "0.6", 75, 100, 48, "0.48", "0.2"),
            "银行B": row(0, 0, None, 0, 50, 0, 0, None),
        },
    ),
}


def by_name(groups: list[GuaranteeGroup]) -> dict[str, Row]:
    return {group.label: row_of(group) for group in groups}


@pytest.mark.parametrize("window", WINDOWS)
def test_figures_match_the_hand_computation(app, book, window):
    """Total, per guarantor and per bank: every figure as worked out by hand for the window."""
    (start, end), total, per_guarantor, per_bank = WINDOWS[window]
    with app.app_context():
        result = figures(Filters(start, end))
    assert row_of(result.total) == total
    assert by_name(result.cuts["guarantors"]) == per_guarantor
    assert by_name(result.cuts["banks"]) == per_bank
    assert {g.label: g.key for g in result.cuts["guarantors"] + result.cuts["banks"]} == {
        name: book.names[name] for name in {**per_guarantor, **per_bank}
    }


@pytest.mark.parametrize("window", WINDOWS)
def test_every_firm_cut_of_one_firm_is_the_total(app, book, window):
    """One firm in 福州, one industry and size: each of those cuts is a single total row."""
    (start, end), total, _guarantors, _banks = WINDOWS[window]
    with app.app_context():
        result = figures(Filters(start, end))
    for cut in ("regions", "industries", "sizes"):
        assert [row_of(g) for g in result.cuts[cut]] == [total], cut
    assert [g.key for g in result.cuts["regions"]] == [FIRM_CITY]


@pytest.mark.parametrize("window", WINDOWS)
def test_guarantor_and_bank_rows_add_up_to_the_total(app, book, window):
    """Letters, amount, balance, released and compensated of the rows sum to the total."""
    (start, end), *_expected = WINDOWS[window]
    with app.app_context():
        result = figures(Filters(start, end))
    additive = ("letters", "amount", "balance", "released", "compensated")
    for cut in ("guarantors", "banks"):
        for name in additive:
            summed = sum(getattr(g, name) for g in result.cuts[cut])
            assert summed == getattr(result.total, name), (cut, name)


def test_a_bank_filter_keeps_only_that_banks_loans(app, book):
    """Cut by bank B: L2 alone, 甲 the only guarantor."""
    with app.app_context():
        result = figures(
            Filters(month(2025, 1), month(2025, 7), institution_id=int(book.names["银行B"]))
        )
    assert row_of(result.total) == row(1, 50, "0.8", 0, 50, 0, 0, None)
    assert list(by_name(result.cuts["banks"])) == ["银行B"]
    assert list(by_name(result.cuts["guarantors"])) == ["甲担保"]


def test_a_region_filter_elsewhere_finds_nothing(app, book):
    """Cut by 厦门: the 福州 firm's loans are not there."""
    with app.app_context():
        result = figures(Filters(month(2025, 1), month(2025, 7), region_code=OTHER_CITY))
    assert row_of(result.total) == row(0, 0, None, 0, 0, 0, None, None)
    assert all(groups == [] for groups in result.cuts.values())


# --- the dashboard -------------------------------------------------------------------------------

LATER = "?start=2025-02&end=2025-07"
GUARANTEE_HEADERS = [
    "担保机构",
    "担保笔数",
    "担保金额（万元）",
    "期末在保余额（万元）",
    "平均担保费率（%）",
    "代偿金额（万元）",
    "代偿率（%）",
    "代偿回收率（%）",
]


@dataclass
class Viewers:
    regulator: str
    bank_admin: str  # bank A's
    city: str  # government staff of 福州
    other_city: str  # government staff of 厦门


@pytest.fixture
def viewers(app: Flask, market: Market) -> Viewers:
    with app.app_context():
        bank_a = db.session.get_one(FinancialInstitution, market.banks["A"])
        people = Viewers(
            UserFactory(role=Role.REGULATOR).email,
            UserFactory(role=Role.BANK_ADMIN, institution=bank_a).email,
            UserFactory(role=Role.GOV_STAFF, agency=AgencyFactory(region_code=FIRM_CITY)).email,
            UserFactory(role=Role.GOV_STAFF, agency=AgencyFactory(region_code=OTHER_CITY)).email,
        )
        db.session.commit()
        return people


def page_of(client, query: str = LATER) -> str:
    response = client.get(f"/dashboard/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def exported(client, table: str, query: str = LATER) -> list[list[str]]:
    response = client.get(f"/dashboard/export/{table}.csv{query}")
    assert response.status_code == 200
    return read_csv(response.data)


def guarantee_section(html: str) -> str:
    """The page from the 融资担保 heading on (the bank filter above lists every institution)."""
    return html[html.index('id="guarantees-title"') :]


def test_the_regulator_sees_the_guarantee_section(app, book, viewers):
    """The 融资担保 section names both guarantors and both banks, with the total's figures."""
    section = guarantee_section(page_of(signed_in(app, viewers.regulator)))
    assert "融资担保" in section and "融资担保：按担保机构" in section
    for name in ("甲担保", "乙担保", "银行A", "银行B", "福州市"):
        assert name in section
    assert "32.00%" in section and "20.00%" in section  # the total's two rates


def test_the_guarantors_csv_carries_the_figures_in_wan_and_percent(app, book, viewers):
    """Amounts in 万元 to two places, the fee rate and both ratios in percent, blank for none."""
    rows = exported(signed_in(app, viewers.regulator), "guarantors")
    assert rows == [
        GUARANTEE_HEADERS,
        ["乙担保", "1", "80.00", "75.00", "0.60", "0.00", "", ""],
        ["甲担保", "0", "0.00", "0.00", "", "48.00", "32.00", "20.00"],
    ]
    january = exported(
        signed_in(app, viewers.regulator), "guarantors", "?start=2025-01&end=2025-01"
    )
    assert january[1:] == [["甲担保", "2", "150.00", "143.00", "0.80", "0.00", "", ""]]


def test_a_bank_admin_sees_only_its_own_bank(app, book, viewers):
    """Bank A's admin: guaranteed_banks holds 银行A alone, even when the URL asks for B; 银行B
    is nowhere on the page."""
    client = signed_in(app, viewers.bank_admin)
    banks = exported(client, "guaranteed_banks")
    assert [row[0] for row in banks[1:]] == ["银行A"]
    assert banks[1] == ["银行A", "1", "80.00", "75.00", "0.60", "48.00", "48.00", "20.00"]
    widened = exported(client, "guaranteed_banks", f"{LATER}&bank={book.names['银行B']}")
    assert [row[0] for row in widened[1:]] == ["银行A"]
    html = page_of(client)
    assert "银行A" in html and "银行B" not in html


def test_government_staff_see_only_their_citys_firms(app, book, viewers):
    """厦门's staff get header-only guarantee tables and no guarantor in the section; 福州's
    see the rows."""
    other = signed_in(app, viewers.other_city)
    for table in ("guarantors", "guaranteed_banks", "guaranteed_regions", "guaranteed_sizes"):
        assert len(exported(other, table)) == 1, table
    section = guarantee_section(page_of(other))
    assert "甲担保" not in section and "乙担保" not in section
    city = signed_in(app, viewers.city)
    assert [row[0] for row in exported(city, "guarantors")[1:]] == ["乙担保", "甲担保"]
    assert [row[0] for row in exported(city, "guaranteed_regions")[1:]] == ["福州市"]


# --- the monthly PDF -----------------------------------------------------------------------------


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is not installed"
    done = subprocess.run(  # noqa: S603
        [tool, "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


@needs_poppler
def test_the_monthly_pdf_of_the_disbursement_month_has_the_guarantee_section(app, book, tmp_path):
    """January 2025, province: 七、融资担保 with 甲担保's 2 letters, 150 and 143 万元, before
    八、风险提示."""
    with app.app_context():
        text = pdftotext(monthly.render(month(2025, 1), "province"), tmp_path)
    assert "七、融资担保" in text and "八、风险提示" in text
    assert text.index("七、融资担保") < text.index("八、风险提示")
    section = text[text.index("七、融资担保") : text.index("八、风险提示")]
    [guarantor_line] = [line for line in section.splitlines() if "甲担保" in line]
    assert re.search(r"甲担保\s+2\s+150\.00\s+143\.00\s", guarantor_line), guarantor_line
    assert "银行A" in section and "银行B" in section


def test_the_dashboard_keeps_its_figures_until_the_rollups_refresh_or_a_letter_changes(
    app: Flask, market: Market, book: Book
):
    """The dashboard's kept guarantee figures: the same object while nothing changed; afresh
    after the rollups' refresh, or at once when a compensation is paid; always afresh before
    the rollups were ever built."""
    window = Filters(month(2025, 1), month(2025, 12))
    first_refresh = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with app.app_context():
        kept = figures_as_of(window, first_refresh)
        assert figures_as_of(window, first_refresh) is kept
        assert figures_as_of(window, (None, None)) is not kept
        later = (dt.datetime(2026, 1, 1, 0, 5, tzinfo=dt.UTC), first_refresh[1])
        assert figures_as_of(window, later) is not kept
        assert kept.total.compensated_to_date == 48 * WAN

        l3 = db.session.scalar(
            select(Guarantee)
            .join(Loan, Loan.id == Guarantee.loan_id)
            .where(Loan.contract_no == "HT-L3")
        )
        report(l3, month(2025, 7), 75 * WAN, LOSS)
        paid_at = dt.datetime(2025, 8, 1, 10, tzinfo=SHANGHAI).astimezone(dt.UTC)
        compensate(market, l3, 75 * WAN, paid_at)
        fresh = figures_as_of(window, first_refresh)
        assert fresh is not kept
        assert fresh.total.compensated_to_date == 48 * WAN + 75 * WAN * D("0.70")
