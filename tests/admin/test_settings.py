"""The settings page: every operational parameter in one place, checked, audited as values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal import settings
from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from portal.leads.services import default_valid_until
from tests.factories import UserFactory


@pytest.fixture
def admin_client(client, auth, create):
    admin = create(UserFactory, role=Role.ADMIN)
    auth.login(admin.email)
    return client


def save(client, key: str, value: str):
    return client.post(f"/admin/settings/{key}", data={"value": value})


def last_entry(app) -> AuditEntry:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()


def test_the_page_lists_every_setting_with_its_value_and_default(admin_client):
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    for setting in settings.SETTINGS:
        assert str(setting.label) in page
        assert f'id="setting-{setting.key}"' in page
    assert "当前：3%" in page and "当前：3 家" in page and "当前：开启" in page


@pytest.mark.parametrize(
    ("key", "typed", "read"),
    [
        (settings.NPL_ALERT_THRESHOLD, "2.5", Decimal("0.025")),
        (settings.MAX_BANKS_PER_NEED, "５", 5),  # full-width digits from a Chinese input method
        (settings.REPORT_DEADLINE_DAY, "15", 15),
        (settings.OFFER_VALID_DAYS, "30", 30),
        (settings.NEW_INSTITUTION_RESPONSE_DAYS, "3", 3),
        (settings.INSTANT_REQUIRES_VERIFIED, "off", False),
    ],
)
def test_a_saved_value_takes_effect(app, admin_client, key, typed, read):
    response = save(admin_client, key, typed)
    assert response.status_code == 302
    with app.app_context():
        assert settings.value(key) == read


def test_a_change_is_audited_with_the_values_people_read(app, admin_client):
    save(admin_client, settings.NPL_ALERT_THRESHOLD, "4")
    entry = last_entry(app)
    assert entry.action == "setting.save"
    assert entry.detail == {"key": "npl_alert_threshold", "before": "3%", "after": "4%"}


@pytest.mark.parametrize(
    ("key", "typed", "message"),
    [
        (settings.MAX_BANKS_PER_NEED, "11", "请输入 1 至 10 之间的整数（家）"),
        (settings.MAX_BANKS_PER_NEED, "1e3", "请输入 1 至 10 之间的整数（家）"),
        (settings.REPORT_DEADLINE_DAY, "31", "请输入 1 至 28 之间的整数（日）"),
        (
            settings.NPL_ALERT_THRESHOLD,
            "100",
            "请输入 0.01 至 99.99 之间的数字（%），最多 2 位小数",
        ),
        (settings.NPL_ALERT_THRESHOLD, "NaN", "请输入"),
        (settings.OFFER_VALID_DAYS, "", "请输入"),
        (settings.INSTANT_REQUIRES_VERIFIED, "maybe", "请选择开启或关闭"),
    ],
)
def test_a_value_out_of_range_is_refused_with_both_bounds(app, admin_client, key, typed, message):
    before = last_entry(app).id
    response = save(admin_client, key, typed)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="value-{key}-error"' in page
    assert last_entry(app).id == before
    with app.app_context():
        assert settings.stored(key) is None


def test_an_unknown_setting_is_a_404(admin_client):
    assert save(admin_client, "no_such_setting", "1").status_code == 404


def test_a_value_edited_by_hand_out_of_range_reads_as_the_default(app, create):
    admin = create(UserFactory, role=Role.ADMIN)
    with app.app_context():
        settings.set_setting(
            db.session.get(UserFactory._meta.model, admin.id), "max_banks_per_need", "999"
        )
        assert settings.max_banks_per_need() == 3


def test_the_offer_validity_setting_is_the_banks_default(app, admin_client):
    save(admin_client, settings.OFFER_VALID_DAYS, "20")
    with app.app_context():
        assert default_valid_until(dt.date(2026, 12, 1)) == dt.date(2026, 12, 21)


def test_the_page_in_english(admin_client):
    admin_client.post("/language", data={"locale": "en"})
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert "Maximum banks per need" in page
