"""The guarantor's request page as its officer uses it: an anonymous teaser, taking it on, a
decline that needs a reason and the ticked box and then goes to the next guarantor."""

from __future__ import annotations

from portal.enums import GuaranteeRequestStatus, ProductStatus, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.guarantees.models import GuaranteeProduct
from portal.institutions.models import FinancialInstitution
from tests.conftest import signed_in
from tests.factories import UserFactory
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


def test_an_archived_products_risk_sharing_cannot_be_changed(app, market, cooperating):
    """Archived is final: a post of new shares is refused with a message and changes nothing."""
    with app.app_context():
        product = db.session.get(GuaranteeProduct, cooperating["甲"])
        product.status = ProductStatus.ARCHIVED
        db.session.commit()
        guarantor = db.session.get(FinancialInstitution, market.guarantors["甲"])
        admin = UserFactory(role=Role.GUARANTOR_ADMIN, institution=guarantor).email
        db.session.commit()
    client = signed_in(app, admin)
    shares = {"guarantor_share": "40", "reguarantee_share": "30", "bank_share": "20"}
    refused = client.post(
        f"/guarantor/products/{cooperating['甲']}/risk-share",
        data={**shares, "government_share": "10"},
    )
    assert refused.status_code == 302
    assert "已下架的担保产品不能修改" in page(client.get(refused.headers["Location"]))
    with app.app_context():
        assert db.session.get(GuaranteeProduct, cooperating["甲"]).risk_share is None
