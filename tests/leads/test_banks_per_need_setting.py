"""How many banks a need may reach is a setting (default 3), held across every way of routing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal import settings
from portal.accounts.models import User
from portal.enums import GuaranteeType, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads import services as leads
from portal.needs import services as needs
from tests.factories import UserFactory


def _need(app, market):
    firm_user = db.session.get(User, market.firm_user_id)
    need = needs.submit_need(
        firm_user,
        db.session.get(Firm, market.firm_id),
        needs.NeedInput(Decimal("500000"), 12, "周转", GuaranteeType.CREDIT, None),
        "setting",
    )
    return firm_user, need


def test_the_default_is_three(app):
    with app.app_context():
        assert settings.max_banks_per_need() == 3


def test_an_admin_lowers_it_and_routing_obeys(app, market):
    with app.app_context():
        admin = UserFactory(role=Role.ADMIN)
        settings.set_max_banks_per_need(admin, 2)
        firm_user, need = _need(app, market)
        with pytest.raises(leads.LeadError):
            leads.apply_to_products(firm_user, need, list(market.products.values()))
        routed = leads.route_best(firm_user, need)
        assert len(routed) == 2
        with pytest.raises(leads.LeadError):
            leads.send_to_pool(firm_user, need)


def test_out_of_range_values_are_refused_and_hand_edits_ignored(app):
    with app.app_context():
        admin = UserFactory(role=Role.ADMIN)
        with pytest.raises(settings.InvalidSetting):
            settings.set_max_banks_per_need(admin, 0)
        settings.set_setting(admin, settings.MAX_BANKS_PER_NEED, "999")
        assert settings.max_banks_per_need() == 3
