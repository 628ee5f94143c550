"""Firm self-registration: credit code checked, size class derived, nothing half-saved.

The registry and the bureaus give the firm's profile, so these tests run against the real
exchange (tests/exchange_server.py); tests/datasources/test_registration_identity.py covers
the identity checks and every refusal of the exchange.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.datasources.client import reset_breakers
from portal.extensions import db
from portal.firms.models import Firm
from tests.datasources.identity_support import (
    CLEAN,
    ELSEWHERE,
    FIRMS,
    id_number,
    identity_exchange,
    point_app_at,
    registration,
)
from tests.exchange_server import ExchangeServer
from tests.factories import FirmFactory

VALID_CODE = CLEAN
CLEAN_NAME = next(firm["name"] for firm in FIRMS if firm["credit_code"] == CLEAN)


@pytest.fixture(scope="module")
def exchange_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExchangeServer]:
    with identity_exchange(tmp_path_factory.mktemp("registration-exchange")) as server:
        yield server


@pytest.fixture(autouse=True)
def exchange(app, exchange_service: ExchangeServer) -> Iterator[ExchangeServer]:
    saved = point_app_at(app, exchange_service)
    reset_breakers()
    try:
        yield exchange_service
    finally:
        app.config.update(saved)
        reset_breakers()


def registration_form(**overrides: Any) -> dict[str, Any]:
    return registration(**overrides)


def count(app: Any, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_registration_creates_firm_and_first_user_with_derived_size(app, client):
    """A valid registration creates the firm and its user, signs in and shows the size class."""
    response = client.post("/register", data=registration_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/firm")
    with app.app_context():
        firm = db.session.scalar(select(Firm).where(Firm.credit_code == VALID_CODE))
        assert firm is not None
        assert firm.name == CLEAN_NAME
        # Industry (division 34): some 45 insured people and about 1,800 万元 of revenue on the
        # tax returns is small (X≥20 & Y≥300).
        assert firm.size_class == "small"
        assert 17_000_000 <= firm.revenue <= 19_000_000
        assert set(firm.qualifications) == {"specialised", "agricultural"}
        user = db.session.scalar(select(User).where(User.firm_id == firm.id))
        assert user.email == "lin.xiao@minhou.example.com"
        assert user.password_hash != "a long enough password"
    home = client.get("/firm")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert CLEAN_NAME in page
    assert "小型" in page


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (VALID_CODE[:17], "应为 18 位，当前为 17 位"),
        (VALID_CODE[:4] + "I" + VALID_CODE[5:], "第 5 位字符“I”"),
        (
            VALID_CODE[:16] + ("0" if VALID_CODE[16] != "0" else "1") + VALID_CODE[17],
            "组织机构代码",
        ),
        (VALID_CODE[:17] + ("0" if VALID_CODE[17] != "0" else "1"), f"应为“{VALID_CODE[17]}”"),
    ],
)
def test_invalid_credit_code_is_refused_with_reason_and_nothing_saved(app, client, code, expected):
    """Each kind of bad credit code gets its own message, and no firm or user is written."""
    firms, users = count(app, Firm), count(app, User)
    response = client.post("/register", data=registration_form(credit_code=code))
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)
    assert (count(app, Firm), count(app, User)) == (firms, users)


def test_duplicate_credit_code_is_refused(app, client, create):
    """A second registration of the same firm is refused with a message on the code field."""
    create(FirmFactory, credit_code=VALID_CODE)
    response = client.post("/register", data=registration_form())
    assert response.status_code == 200
    assert "该统一社会信用代码已注册" in response.get_data(as_text=True)
    assert count(app, User) == 0


def test_duplicate_email_is_refused(app, client):
    """An email already in use cannot register a second firm."""
    client.post("/register", data=registration_form())
    client.post("/logout")
    response = client.post(
        "/register",
        data=registration_form(credit_code=ELSEWHERE, legal_rep_id_number=id_number(ELSEWHERE)),
    )
    assert "该邮箱已注册" in response.get_data(as_text=True)
    assert count(app, Firm) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "short", "密码长度应为 8 到 128 个字符"),
        ("password_confirm", "something else entirely", "两次输入的密码不一致"),
        ("total_assets_wan", "-3", "资产总额应在 0 到"),
        ("total_assets_wan", "abc", "请输入数字"),
        ("employees", "-3", "从业人员数应在 0 到 1000 万之间"),
        ("legal_rep_name", "", "请填写法定代表人姓名"),
        ("legal_rep_id_number", "", "请填写法定代表人的 18 位居民身份证号码"),
    ],
)
def test_bad_fields_say_what_to_fix(app, client, field, value, message):
    """Invalid fields come back with a message on the field; nothing is saved."""
    response = client.post("/register", data=registration_form(**{field: value}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "请按提示修改标红的项目后再提交" in page
    assert message in page
    assert count(app, Firm) == 0


def test_registration_page_labels_every_field(client):
    """Every input on the registration form has a label tied to it; nothing the registry gives
    (name, region, industry, date) is asked."""
    page = client.get("/register").get_data(as_text=True)
    for field_id in (
        "credit_code",
        "legal_rep_name",
        "legal_rep_id_number",
        "not_legal_rep",
        "letter",
        "total_assets_wan",
        "employees",
        "revenue_wan",
        "tax_credit_grade",
        "email",
        "password",
    ):
        assert f'for="{field_id}"' in page
    for registry_field in ("region_code", "industry_code", "established_on"):
        assert f'name="{registry_field}"' not in page


def test_registration_needs_an_exchange(app, client):
    """Without an exchange nothing is created: the page says to try again in a few minutes."""
    saved = point_app_at(app, None)
    try:
        response = client.post("/register", data=registration_form())
    finally:
        app.config.update(saved)
    assert "政务数据共享服务暂时无法访问" in response.get_data(as_text=True)
    assert count(app, Firm) == 0
