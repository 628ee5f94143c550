"""Compensation (代偿) through the API: the bank's system files, the guarantor's pays, rejects and
reports recoveries, under the pages' services and rules; no one sees another's claims."""

from __future__ import annotations

from decimal import Decimal

from portal.dates import today_in_china
from portal.enums import ClaimStatus
from portal.extensions import db
from portal.guarantees.models import Compensation
from tests.api.conftest import make_client
from tests.guarantees.conftest import current
from tests.guarantees.test_compensation import defaulted, product  # noqa: F401  (the fixture)
from tests.guarantees.test_requests_api import _caller, _client_of

LOANS = "/api/v1/guaranteed-loans"
COMPENSATIONS = "/api/v1/compensations"


def _callers(app, client, market) -> dict[str, object]:
    """A client of each bank (A, B) and of each guarantor (甲, 乙)."""
    with app.app_context():
        issued = {
            "A": make_client(market, "A"),
            "B": make_client(market, "B"),
            "甲": _client_of(market, "甲"),
            "乙": _client_of(market, "乙"),
        }
        db.session.commit()
    return {name: _caller(client, one) for name, one in issued.items()}


def _filed(app, client, market) -> tuple[dict[str, object], int, int]:
    """A's 100 万元 loss on 甲's letter, filed by A's client: the callers, letter and claim ids."""
    with app.app_context():
        letter_id = defaulted(market).id
    call = _callers(app, client, market)
    filed = call["A"](
        "POST",
        f"{LOANS}/{letter_id}/compensation",
        {"loss_amount": "1000000", "evidence_note": "逾期催收无果，已起诉"},
    )
    assert filed.status_code == 201, filed.get_json()
    return call, letter_id, filed.get_json()["id"]


def test_the_bank_files_the_guarantor_pays_and_recovers(app, client, market, product):  # noqa: F811
    """Listed as claimable on the loss ground; filed, paid (onward shares claimed), 10 万元
    recovered and shared back 4/3/2/1; each side reads the same claim."""
    with app.app_context():
        letter_id = defaulted(market).id
    call = _callers(app, client, market)
    [listed] = call["A"]("GET", LOANS).get_json()
    assert (listed["guarantee_id"], listed["claimable"], listed["ground"]) == (
        letter_id,
        True,
        "loss",
    )
    assert listed["estimate"] == "800000.00" and listed["latest_report"]["balance"] == "1000000.00"
    assert call["B"]("GET", LOANS).get_json() == []

    filed = call["A"](
        "POST",
        f"{LOANS}/{letter_id}/compensation",
        {"loss_amount": "1000000", "evidence_note": "逾期催收无果，已起诉"},
    )
    assert filed.status_code == 201, filed.get_json()
    claim = filed.get_json()
    assert (claim["status"], claim["claimed_amount"]) == ("submitted", "800000.00")
    assert claim["split"] == {
        "guarantor": "400000.00",
        "reguarantee": "300000.00",
        "bank": "200000.00",
        "government": "100000.00",
    }
    url = f"{COMPENSATIONS}/{claim['id']}"
    listed = call["甲"]("GET", COMPENSATIONS).get_json()
    assert [item["id"] for item in listed["items"]] == [claim["id"]]
    assert listed["next_cursor"] is None
    assert call["甲"]("GET", url).get_json()["evidence_note"] == "逾期催收无果，已起诉"

    paid = call["甲"]("POST", f"{url}/payment")
    assert paid.status_code == 200 and paid.get_json()["status"] == "approved"
    assert {s["party"]: s["amount"] for s in paid.get_json()["shares"]} == {
        "reguarantee": "300000.00",
        "government": "100000.00",
    }
    recovered = call["甲"](
        "POST",
        f"{url}/recoveries",
        {"amount": "100000", "recovered_on": today_in_china().isoformat(), "note": "拍卖抵押物"},
    )
    assert recovered.status_code == 201, recovered.get_json()
    assert recovered.get_json()["recovered_total"] == "100000.00"
    assert recovered.get_json()["recoveries"][0]["split"]["guarantor"] == "40000.00"
    seen_by_bank = call["A"]("GET", url).get_json()
    assert (seen_by_bank["status"], seen_by_bank["recovered_total"]) == ("approved", "100000.00")


def test_what_is_refused(app, client, market, product):  # noqa: F811
    """Filing twice and paying twice are 409; an amount the services refuse is a 422 naming the
    API's field; another bank's or guarantor's claim is a 404; a bank's client cannot pay."""
    with app.app_context():
        letter_id = defaulted(market, balance=Decimal(600000)).id
    call = _callers(app, client, market)
    file_url = f"{LOANS}/{letter_id}/compensation"
    too_much = call["A"]("POST", file_url, {"loss_amount": "600000.01", "evidence_note": "违约"})
    assert too_much.status_code == 422 and set(too_much.get_json()["errors"]) == {"loss_amount"}
    no_note = call["A"]("POST", file_url, {"loss_amount": "600000", "evidence_note": "  "})
    assert no_note.status_code == 422 and set(no_note.get_json()["errors"]) == {"evidence_note"}
    others = call["B"]("POST", file_url, {"loss_amount": "1", "evidence_note": "x"})
    assert others.status_code == 404
    filed = call["A"]("POST", file_url, {"loss_amount": "600000", "evidence_note": "违约"})
    assert filed.status_code == 201
    again = call["A"]("POST", file_url, {"loss_amount": "600000", "evidence_note": "违约"})
    assert again.status_code == 409

    url = f"{COMPENSATIONS}/{filed.get_json()['id']}"
    assert call["B"]("GET", url).status_code == 404
    assert call["乙"]("GET", url).status_code == 404
    assert call["乙"]("POST", f"{url}/payment").status_code == 404
    assert call["乙"]("GET", COMPENSATIONS).get_json()["items"] == []
    assert call["A"]("POST", f"{url}/payment").status_code == 403  # not the bank's to pay

    assert call["甲"]("POST", f"{url}/payment").status_code == 200
    assert call["甲"]("POST", f"{url}/payment").status_code == 409
    assert call["甲"]("POST", f"{url}/rejection", {"reason": "迟了"}).status_code == 409
    today = today_in_china().isoformat()
    over = call["甲"]("POST", f"{url}/recoveries", {"amount": "600000.01", "recovered_on": today})
    assert over.status_code == 422 and set(over.get_json()["errors"]) == {"amount"}


def test_the_guarantor_rejects_with_a_reason(app, client, market, product):  # noqa: F811
    """A blank reason is a 422 on `reason`; a reason the bank reads rejects the claim."""
    call, _letter, claim_id = _filed(app, client, market)
    url = f"{COMPENSATIONS}/{claim_id}"
    blank = call["甲"]("POST", f"{url}/rejection", {"reason": "   "})
    assert blank.status_code == 422 and set(blank.get_json()["errors"]) == {"reason"}
    rejected = call["甲"]("POST", f"{url}/rejection", {"reason": "贷款未按约定用途使用"})
    assert rejected.status_code == 200
    assert call["A"]("GET", url).get_json()["decision_reason"] == "贷款未按约定用途使用"
    with app.app_context():
        assert current(Compensation, claim_id).status == ClaimStatus.REJECTED
