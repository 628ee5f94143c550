"""The guarantor's request page as its officer uses it: an anonymous teaser, taking it on, a
decline that needs a reason and the ticked box and then goes to the next guarantor."""

from __future__ import annotations

from portal.enums import GuaranteeRequestStatus
from portal.extensions import db
from portal.firms.models import Firm
from tests.conftest import signed_in
from tests.guarantees.conftest import guaranteed_offer, requests_of, user


def page(response) -> str:
    return response.get_data(as_text=True)


def test_the_officer_declines_through_the_page_and_the_next_guarantor_is_asked(
    app, market, cooperating
):
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        firm_name = db.session.get(Firm, market.firm_id).name
        officer = user(market.guarantor_officers["甲"]).email
    client = signed_in(app, officer)
    url = f"/guarantor/requests/{request.id}"
    teaser = page(client.get(url))
    assert "银行A" in teaser and firm_name not in teaser  # anonymous until taken on

    refused = client.post(f"{url}/decline", data={"reason": "credit_history", "note": "征信有逾期"})
    assert refused.status_code == 200  # the box was not ticked: nothing changed
    assert 'id="confirmed-error"' in page(refused)
    with app.app_context():
        assert requests_of(lead.id)[0].status == GuaranteeRequestStatus.OPEN

    assert client.post(f"{url}/accept").status_code == 302
    assert firm_name in page(client.get(url))  # taken on: the firm is shown (and the view logged)

    declined = client.post(
        f"{url}/decline",
        data={"reason": "credit_history", "note": "征信有逾期", "confirmed": "y"},
    )
    assert declined.status_code == 302
    with app.app_context():
        first, second = requests_of(lead.id)
        assert first.status == GuaranteeRequestStatus.DECLINED
        assert first.decline_code == "credit_history" and first.decline_note == "征信有逾期"
        assert second.institution_id == market.guarantors["乙"]
        assert second.status == GuaranteeRequestStatus.OPEN
    assert client.get(f"/guarantor/requests/{second.id}").status_code == 404  # 乙's, not 甲's
