"""Identity at registration, against the real exchange over HTTP: the registry must know the code
and have the firm 存续 where the code says; the registrant is the legal representative (checked
with the registry, the ID number kept as a salted hash) or sends a letter that platform staff
review. Every refusal says what to do, and nothing is half-saved."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.datasources.identity import id_number_matches
from portal.datasources.models import FirmFact, IdentityLetter
from portal.enums import Role
from portal.extensions import db
from portal.firms.models import Firm
from tests.conftest import signed_in
from tests.datasources.identity_support import (
    CANCELLED,
    CLEAN,
    ELSEWHERE,
    FIRMS,
    NEW,
    PDF,
    REVOKED,
    UNKNOWN,
    id_number,
    identity_exchange,
    point_app_at,
    registration,
    valid_id,
)
from tests.exchange_server import ExchangeServer
from tests.factories import UserFactory

CLEAN_FIRM = next(firm for firm in FIRMS if firm["credit_code"] == CLEAN)
TABLES = (Firm, User, FirmFact, IdentityLetter)


@pytest.fixture(scope="module")
def exchange_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExchangeServer]:
    with identity_exchange(tmp_path_factory.mktemp("identity-exchange")) as server:
        yield server


def counts(app: Any) -> dict[str, int]:
    with app.app_context():
        found = {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in TABLES
        }
        found["register"] = db.session.scalar(
            select(func.count()).where(AuditEntry.action == "firm.register")
        )
        return found


def refused(app: Any, client: Any, form: dict[str, Any], *messages: str, **post: Any) -> str:
    """Post the form; it comes back with the messages and nothing is saved."""
    before = counts(app)
    response = client.post("/register", data=form, **post)
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    for message in messages:
        assert message in page, message
    assert counts(app) == before
    return page


def firm_by_code(code: str) -> Firm:
    return db.session.scalar(select(Firm).where(Firm.credit_code == code))


# --- success -----------------------------------------------------------------------------------


def test_registry_fills_the_profile_and_only_a_hash_of_the_id_number_is_kept(app, client, exchange):
    """Name, region, industry and date come from the registry, figures from the bureaus; the
    representative is confirmed, and the ID number appears nowhere but as a salted hash."""
    response = client.post("/register", data=registration())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/firm")
    secret = app.config["SECRET_KEY"]
    with app.app_context():
        firm = firm_by_code(CLEAN)
        assert firm.name == CLEAN_FIRM["name"] and firm.region_code == "350100"
        assert firm.industry_code == "34" and firm.established_on == CLEAN_FIRM["established_on"]
        assert firm.legal_representative == "林海"
        assert firm.identity_method == "registry" and firm.identity_verified_at is not None
        verified = firm.verified_fields
        assert verified["name"]["source"] == "registry" and verified["name"]["reference"]
        assert verified["tax_credit_grade"]["source"] == "tax"
        assert verified["employees"]["source"] == "social_insurance"
        assert "total_assets" not in verified  # declared: no source gives it
        assert firm.total_assets == 26_000_000
        assert set(firm.qualifications) == {"specialised", "agricultural"}
        number = id_number(CLEAN)
        assert firm.legal_rep_id_hash.startswith("scrypt$")
        assert number not in firm.legal_rep_id_hash
        assert id_number_matches(firm.legal_rep_id_hash, number, secret)
        assert not id_number_matches(firm.legal_rep_id_hash, valid_id("35010219900101123"), secret)
        # A second firm's hash of the same number differs: the salt is the firm's own.
        assert len(firm.legal_rep_id_hash.split("$")[4]) == 32
        for entry in db.session.scalars(select(AuditEntry)):
            assert number not in str(entry.detail)
        for fact in db.session.scalars(select(FirmFact).where(FirmFact.firm_id == firm.id)):
            assert number not in str(fact.data)
    page = client.get("/firm").get_data(as_text=True)
    assert CLEAN_FIRM["name"] in page and "已核验" in page


def test_a_slow_exchange_still_registers_within_its_timeouts(app, client, exchange):
    """Sources answering in 0.4–0.6 s (under their 2–3 s timeouts) slow registration, no more."""
    exchange.set_switches(latency_ms={"registry": 400, "tax": 600, "social-insurance": 500})
    response = client.post("/register", data=registration())
    assert response.status_code == 302
    with app.app_context():
        assert firm_by_code(CLEAN).identity_method == "registry"


def test_bureaus_without_a_record_ask_the_firm_to_state_its_figures(app, client, exchange):
    """A firm the tax and social-insurance bureaus do not know yet states employees, revenue and
    grade itself; they stay marked as declared."""
    form = registration(NEW, legal_rep_id_number=id_number(NEW))
    refused(app, client, form, "社保部门暂无贵企业的参保记录", "新设立企业选 M 级")
    form |= {"employees": "6", "revenue_wan": "0", "tax_credit_grade": "M"}
    assert client.post("/register", data=form).status_code == 302
    with app.app_context():
        firm = firm_by_code(NEW)
        assert firm.tax_credit_grade == "M" and firm.employees == 6
        assert "tax_credit_grade" not in firm.verified_fields
        assert firm.verified_fields["name"]["source"] == "registry"


# --- refusals ----------------------------------------------------------------------------------


def test_a_code_the_registry_does_not_know_is_refused(app, client, exchange):
    """Check the code; a new firm waits a few working days for the registry."""
    refused(app, client, registration(UNKNOWN), "查不到该统一社会信用代码", "3 个工作日后再试")


@pytest.mark.parametrize(("code", "status"), [(REVOKED, "吊销"), (CANCELLED, "注销")])
def test_a_revoked_or_cancelled_firm_cannot_register(app, client, exchange, code, status):
    """吊销 and 注销 firms are refused, with the status named."""
    form = registration(code, legal_rep_id_number=id_number(code))
    refused(app, client, form, f"该企业已{status}", "不能在平台注册")


def test_a_code_issued_elsewhere_than_the_registered_region_is_refused(app, client, exchange):
    """The code's authority (厦门, 350200) against the registry's region (福州): both named."""
    form = registration(ELSEWHERE, legal_rep_id_number=id_number(ELSEWHERE))
    refused(app, client, form, "登记机关代码为 350200", "福州市（350100）", "两者不一致")


def test_a_wrong_representative_name_is_refused_with_the_letter_route(app, client, exchange):
    """The name is named as the problem, and the letter route is offered."""
    page = refused(
        app, client, registration(legal_rep_name="林山"), "法定代表人姓名与市场监管登记不一致"
    )
    assert "我不是法定代表人，上传授权委托书" in page
    assert 'id="legal_rep_name-error"' in page


def test_a_wrong_id_number_is_refused_with_the_letter_route(app, client, exchange):
    """A well-formed ID number of someone else: the number is named as the problem."""
    other = valid_id("35010219800101456")
    page = refused(
        app, client, registration(legal_rep_id_number=other), "该身份证号码与市场监管登记"
    )
    assert 'id="legal_rep_id_number-error"' in page


def _wrong_check(first17: str) -> str:
    right = valid_id(first17)[-1]
    return first17 + ("0" if right != "0" else "1")


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("3501021990010112", "身份证号码应为 18 位，当前为 16 位"),
        ("35010219900101123A", "前 17 位应为数字"),
        ("350102199013011230", "出生日期无效"),
        (_wrong_check("35010219900101123"), "校验位（第 18 位）不正确"),
    ],
)
def test_the_id_number_is_checked_in_the_form(app, client, number, message):
    """GB 11643: length, digits, date of birth and check character, before any exchange call."""
    refused(app, client, registration(legal_rep_id_number=number), message)


def test_guessing_id_numbers_is_throttled(app, client, exchange):
    """After five wrong answers for a code from one address, the registry is not asked again."""
    for n in range(5):
        wrong = valid_id(f"35010219800110{n}45")
        refused(app, client, registration(legal_rep_id_number=wrong), "该身份证号码")
    response = client.post("/register", data=registration())
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)


# --- when the exchange fails: nothing half-saved ------------------------------------------------


@pytest.mark.parametrize("source", ["registry", "tax"])
def test_an_exchange_that_is_down_saves_nothing(app, client, exchange, source):
    """Registry down (nothing checked) or tax down (after the identity check): no firm, no user,
    no fact; the page says to try again in a few minutes."""
    exchange.set_switches(fail=[source])
    refused(app, client, registration(), "政务数据共享服务暂时无法访问", "本次未保存任何内容")


def test_no_exchange_configured_saves_nothing(app, client):
    """Without an exchange, registration waits with the same message."""
    saved = point_app_at(app, None)
    try:
        refused(app, client, registration(), "请过几分钟后重新提交")
    finally:
        app.config.update(saved)


# --- the letter route ----------------------------------------------------------------------------


def _letter(content: bytes = PDF, name: str = "授权委托书.pdf") -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name


def register_with_letter(client: Any, **overrides: Any) -> Any:
    form = registration(
        legal_rep_name=None, legal_rep_id_number=None, not_legal_rep="y", letter=_letter()
    )
    form.update(overrides)
    return client.post("/register", data=form, content_type="multipart/form-data")


def test_a_letter_registers_the_firm_and_holds_its_needs_until_staff_approve(
    app, client, create, exchange
):
    """Firm created unconfirmed with the letter kept; needs wait on a clear page; an admin
    approves once (a second decision changes nothing) and the firm may seek finance."""
    response = register_with_letter(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/firm/identity")
    with app.app_context():
        firm = firm_by_code(CLEAN)
        assert firm.identity_method is None and firm.legal_rep_id_hash is None
        letter = db.session.scalar(select(IdentityLetter).where(IdentityLetter.firm_id == firm.id))
        assert letter.status == "submitted" and letter.content == PDF
        assert letter.content_type == "application/pdf"
        letter_id = letter.id
    held = client.get("/firm/needs/new")
    assert held.status_code == 302 and held.headers["Location"].endswith("/firm/identity")
    page = client.get("/firm/identity").get_data(as_text=True)
    assert "正在由平台工作人员审核" in page

    admin = create(UserFactory, role=Role.ADMIN)
    staff = signed_in(app, admin.email)
    listing = staff.get("/admin/reviews").get_data(as_text=True)
    assert CLEAN_FIRM["name"] in listing
    download = staff.get(f"/admin/reviews/letters/{letter_id}/file")
    assert download.data == PDF and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    decision = {"decision": "approve", "reason": "", "confirmed": "y"}
    assert staff.post(f"/admin/reviews/letters/{letter_id}", data=decision).status_code == 302
    again = staff.post(
        f"/admin/reviews/letters/{letter_id}",
        data={"decision": "reject", "reason": "再次审核不应生效", "confirmed": "y"},
        follow_redirects=True,
    )
    assert "已经审核过" in again.get_data(as_text=True)
    with app.app_context():
        firm = firm_by_code(CLEAN)
        assert firm.identity_method == "letter" and firm.identity_verified_at is not None
        assert db.session.get(IdentityLetter, letter_id).status == "approved"
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.firm_id == firm.id)
        ).all()
        assert {"identity.letter_submit", "identity.letter_approved"} <= set(actions)
    assert client.get("/firm/needs/new").status_code == 200


def test_a_rejected_letter_says_why_and_another_may_be_sent(app, client, create, exchange):
    """A rejection needs a reason, which the firm sees; the firm uploads a new letter."""
    register_with_letter(client)
    with app.app_context():
        letter_id = db.session.scalar(select(IdentityLetter.id))
    admin = create(UserFactory, role=Role.ADMIN)
    staff = signed_in(app, admin.email)
    no_reason = staff.post(
        f"/admin/reviews/letters/{letter_id}",
        data={"decision": "reject", "reason": "", "confirmed": "y"},
    )
    assert "不通过时请写明理由" in no_reason.get_data(as_text=True)
    staff.post(
        f"/admin/reviews/letters/{letter_id}",
        data={"decision": "reject", "reason": "未加盖企业公章，请重新上传", "confirmed": "y"},
    )
    page = client.get("/firm/identity").get_data(as_text=True)
    assert "未加盖企业公章" in page
    again = client.post(
        "/firm/identity", data={"letter": _letter()}, content_type="multipart/form-data"
    )
    assert again.status_code == 302
    with app.app_context():
        statuses = db.session.scalars(select(IdentityLetter.status).order_by(IdentityLetter.id))
        assert list(statuses) == ["rejected", "submitted"]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (_letter(b"just text, not a pdf", "letter.pdf"), "只接受 PDF、JPG 或 PNG"),
        (_letter(b"%PDF-" + b"0" * (5 * 1024 * 1024), "big.pdf"), "文件超过 5 MB"),
        (None, "请上传授权委托书"),
    ],
)
def test_the_letter_is_checked_by_its_bytes(app, client, exchange, upload, message):
    """Type by magic bytes, not name; at most 5 MB; required with the tick."""
    form = registration(legal_rep_name=None, legal_rep_id_number=None, not_legal_rep="y")
    if upload is not None:
        form["letter"] = upload
    refused(app, client, form, message, content_type="multipart/form-data")
