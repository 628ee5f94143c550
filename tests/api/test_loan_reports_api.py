"""Monthly loan reports through the API: a whole month per batch, checked as the file is."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.api.models import ApiClient
from portal.api.scopes import Scope
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.dates import shift_month
from portal.extensions import db
from portal.leads.models import Loan
from portal.reporting import loan_files
from portal.reporting import services as reporting
from portal.reporting.models import LoanReportUpload, LoanStatusReport
from tests.api.conftest import fetch_token, make_client

PERIOD = reporting.last_month()
MONTH = f"{PERIOD:%Y-%m}"
URL = f"/api/v1/loan-reports/{MONTH}"


def add_loan(bank_id: int, firm_id: int, contract_no: str, amount: str = "1000000") -> int:
    disbursed = shift_month(PERIOD, -2)
    loan = Loan(
        institution_id=bank_id,
        firm_id=firm_id,
        contract_no=contract_no,
        amount=Decimal(amount),
        rate=Decimal("3.45"),
        term_months=12,
        disbursed_on=disbursed,
        maturity_on=disbursed.replace(year=disbursed.year + 1),
    )
    db.session.add(loan)
    db.session.flush()
    return loan.id


@pytest.fixture
def loans(app, market):
    """Three loans of bank A and one of bank B, all due for PERIOD."""
    with app.app_context():
        for n in (1, 2, 3):
            add_loan(market.banks["A"], market.firm_id, f"A-{n:03}")
        add_loan(market.banks["B"], market.firm_id, "B-001")
        db.session.commit()


def row(contract: str, balance: str = "800000.00", days: int = 0, tier: str = "normal"):
    return {
        "contract_no": contract,
        "balance": balance,
        "days_overdue": days,
        "five_tier_class": tier,
    }


GOOD = [row("A-001"), row("A-002", "0"), row("A-003", "500000", 10, "关注")]


def reports(app) -> list[tuple]:
    with app.app_context():
        found = db.session.execute(
            select(
                Loan.contract_no,
                LoanStatusReport.balance,
                LoanStatusReport.days_overdue,
                LoanStatusReport.five_tier_class,
            )
            .join(Loan, Loan.id == LoanStatusReport.loan_id)
            .where(LoanStatusReport.period == PERIOD)
            .order_by(Loan.contract_no)
        )
        return [tuple(r) for r in found]


def test_good_batch_applies_and_counts_say_so(app, api, loans):
    before = api("GET", URL).get_json()
    assert before["counts"] == {"due": 3, "reported": 0, "missing": 3, "contradicting": 0}
    assert [loan["contract_no"] for loan in before["loans"]] == ["A-001", "A-002", "A-003"]
    assert not any(loan["reported"] for loan in before["loans"])

    response = api("PUT", URL, json={"rows": GOOD})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["rows"] == 3 and body["replaced"] == 0 and body["warnings"] == []
    assert body["counts"] == {"due": 3, "reported": 3, "missing": 0, "contradicting": 0}
    assert reports(app) == [
        ("A-001", Decimal("800000.00"), 0, "normal"),
        ("A-002", Decimal("0.00"), 0, "normal"),
        ("A-003", Decimal("500000.00"), 10, "special_mention"),
    ]
    after = api("GET", URL).get_json()
    assert after["counts"]["reported"] == 3
    assert after["loans"][2] == {
        "contract_no": "A-003",
        "reported": True,
        "balance": "500000.00",
        "days_overdue": 10,
        "five_tier_class": "special_mention",
    }


def test_batch_is_audited_as_an_upload_by_the_client(app, api, loans):
    api("PUT", URL, json={"rows": GOOD})
    with app.app_context():
        upload = db.session.scalars(select(LoanReportUpload)).one()
        client_user = db.session.scalars(select(ApiClient)).one().user_id
        assert upload.applied and upload.row_count == 3 and upload.uploaded_by_id == client_user
        assert upload.filename.endswith("信贷系统 A")
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.LOAN_REPORTS_UPLOAD)
        ).one()
        assert entry.actor_id == client_user


def test_one_bad_row_applies_nothing_and_lists_that_row(app, api, loans):
    api("PUT", URL, json={"rows": [row("A-001", "1")]})  # an earlier month's state
    bad = [row("A-001"), row("A-002", "abc"), row("A-003")]
    response = api("PUT", URL, json={"rows": bad})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]["rows"]
    assert errors == [
        {"row": 2, "field": "balance", "message": errors[0]["message"]},
    ]
    assert "abc" in errors[0]["message"]
    assert reports(app) == [("A-001", Decimal("1.00"), 0, "normal")]  # untouched


def test_every_bad_row_is_listed(api, loans):
    bad = [
        row("A-001", days=-1),
        {"contract_no": "A-002", "balance": "1", "days_overdue": 0},
        row("A-001", tier="excellent"),
    ]
    errors = api("PUT", URL, json={"rows": bad}).get_json()["errors"]["rows"]
    listed = {(e["row"], e["field"]) for e in errors}
    assert listed == {
        (1, "days_overdue"),
        (2, "five_tier_class"),
        (3, "contract_no"),  # the same loan twice
        (3, "five_tier_class"),
    }


def test_same_batch_twice_leaves_the_same_state(app, api, loans):
    first = api("PUT", URL, json={"rows": GOOD})
    state = reports(app)
    second = api("PUT", URL, json={"rows": GOOD})
    assert first.status_code == second.status_code == 200
    assert second.get_json()["replaced"] == 3
    assert reports(app) == state
    assert first.get_json()["counts"] == second.get_json()["counts"]


def test_a_batch_replaces_the_whole_month(app, api, loans):
    api("PUT", URL, json={"rows": GOOD})
    response = api("PUT", URL, json={"rows": [row("A-002", "1")]})
    assert response.get_json()["counts"] == {
        "due": 3,
        "reported": 1,
        "missing": 2,
        "contradicting": 0,
    }
    assert reports(app) == [("A-002", Decimal("1.00"), 0, "normal")]


def test_another_banks_contract_is_refused_as_in_the_file(app, api, market, loans):
    response = api("PUT", URL, json={"rows": [row("A-001"), row("B-001")]})
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]["rows"]
    assert (error["row"], error["field"]) == (2, "contract_no")
    with app.test_request_context():  # the file upload's message for the same row
        officer = db.session.get(User, market.officers["A"])
        data = "合同编号,报告月份,贷款余额（元）,逾期天数,五级分类\n"
        data += f"A-001,{MONTH},800000,0,正常\nB-001,{MONTH},800000,0,正常\n"
        received = loan_files.receive(io.BytesIO(data.encode()))
        outcome = reporting.upload_file(officer, PERIOD, "m.csv", received)
        (problem,) = outcome.upload.problems
        assert problem["message"] == error["message"]
    assert reports(app) == []


def test_contradicting_rows_are_applied_with_warnings(api, loans):
    rows = [row("A-001", days=120, tier="normal"), row("A-002"), row("A-003")]
    body = api("PUT", URL, json={"rows": rows}).get_json()
    assert body["counts"]["contradicting"] == 1
    (warning,) = body["warnings"]
    assert (warning["row"], warning["field"]) == (1, "five_tier_class")


def test_month_rules_are_the_pages(api, loans):
    future = shift_month(reporting.latest_reportable(), 1)
    response = api("PUT", f"/api/v1/loan-reports/{future:%Y-%m}", json={"rows": GOOD})
    assert response.status_code == 422 and "period" in response.get_json()["errors"]
    assert api("GET", "/api/v1/loan-reports/2026-13").status_code == 422
    wrong_month = [{**row("A-001"), "period": f"{shift_month(PERIOD, -1):%Y-%m}"}]
    errors = api("PUT", URL, json={"rows": wrong_month}).get_json()["errors"]["rows"]
    assert [(e["row"], e["field"]) for e in errors] == [(1, "period")]


def test_empty_batch_and_unknown_fields_are_refused(api, loans):
    assert api("PUT", URL, json={"rows": []}).status_code == 422
    response = api("PUT", URL, json={"rows": [{**row("A-001"), "five_tier": "normal"}]})
    assert response.status_code == 422


def test_reports_need_the_reports_scope(app, client, market, loans):
    with app.app_context():
        issued = make_client(market, "A", scopes=[Scope.LEADS_READ])
        key, secret = issued.client.client_key, issued.secret
        db.session.commit()
    token = fetch_token(client, key, secret)
    response = client.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_periods_before_disbursement_are_refused(api, loans):
    early = shift_month(PERIOD, -3)
    response = api("PUT", f"/api/v1/loan-reports/{early:%Y-%m}", json={"rows": [row("A-001")]})
    (error,) = response.get_json()["errors"]["rows"]
    assert (error["row"], error["field"]) == (1, "period")


def test_due_date_is_given(app, api, loans):
    body = api("GET", URL).get_json()
    with app.app_context():
        assert dt.date.fromisoformat(body["due_on"]) == reporting.reports_due_on(PERIOD)
