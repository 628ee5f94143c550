"""Firm self-registration: credit code checked, size class derived, nothing half-saved."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.standards import make_credit_code
from tests.factories import FirmFactory

VALID_CODE = make_credit_code("9", "1", "350100", "MA2Y0001")


def registration_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "credit_code": VALID_CODE,
        "name": "福州闽江精密机械有限公司",
        "legal_representative": "林海",
        "region_code": "350100",
        "industry_code": "34",
        "employees": "45",
        "revenue_wan": "1800",
        "total_assets_wan": "2600",
        "established_on": "2016-04-18",
        "tax_credit_grade": "A",
        "qualifications": ["specialised", "high_tech"],
        "full_name": "林晓",
        "email": "lin.xiao@minjiang.example.com",
        "phone": "13800000000",
        "password": "a long enough password",
        "password_confirm": "a long enough password",
        "consent": "y",
    }
    form.update(overrides)
    return form


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
        # Industry (division 34): 45 people and 1,800 万元 revenue is small (X≥20 & Y≥300).
        assert firm.size_class == "small"
        assert firm.revenue == 18_000_000
        assert firm.qualifications == ["specialised", "high_tech"]
        user = db.session.scalar(select(User).where(User.firm_id == firm.id))
        assert user.email == "lin.xiao@minjiang.example.com"
        assert user.password_hash != "a long enough password"
    home = client.get("/firm")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "福州闽江精密机械有限公司" in page
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
    other_code = make_credit_code("9", "1", "350200", "MA2Y0002")
    response = client.post(
        "/register", data=registration_form(credit_code=other_code, name="另一家公司")
    )
    assert "该邮箱已注册" in response.get_data(as_text=True)
    assert count(app, Firm) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "short", "密码长度应为 8 到 128 个字符"),
        ("password_confirm", "something else entirely", "两次输入的密码不一致"),
        ("employees", "-3", "从业人员数应在 0 到 1000 万之间"),
        ("revenue_wan", "abc", "Not a valid decimal value"),
        ("established_on", "2999-01-01", "成立日期不能晚于今天"),
        ("industry_code", "", "请选择所属行业"),
    ],
)
def test_bad_fields_say_what_to_fix(app, client, field, value, message):
    """Invalid profile fields come back with a message on the field; nothing is saved."""
    response = client.post("/register", data=registration_form(**{field: value}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "请按提示修改标红的项目后再提交" in page
    if not message.startswith("Not a valid"):
        assert message in page
    assert count(app, Firm) == 0


def test_registration_page_labels_every_field(client):
    """Every input on the registration form has a label tied to it."""
    page = client.get("/register").get_data(as_text=True)
    for field_id in (
        "credit_code",
        "name",
        "region_code",
        "industry_code",
        "employees",
        "revenue_wan",
        "total_assets_wan",
        "email",
        "password",
    ):
        assert f'for="{field_id}"' in page
