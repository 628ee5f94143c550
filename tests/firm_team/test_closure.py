"""A firm's owner asks to close the firm's account; platform staff close it or refuse.

Closing disables every user of the firm and ends their sessions, revokes the data
authorisation, and leaves the firm's business records alone; a closed request is final.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.datasources.authorisations import active_authorisation
from portal.enums import FirmClosureStatus, Role
from portal.extensions import db
from portal.firm_team import closure as closures
from portal.firm_team.models import FirmClosureRequest
from portal.needs.models import FinancingNeed
from portal.needs.services import withdraw_need
from tests.conftest import Auth, signed_in
from tests.factories import UserFactory

CONFIRMED = {"confirmed": "y", "reason": "企业已停业"}


@pytest.fixture
def settled(app, firm):
    """The firm's need withdrawn: nothing live stands in the way of closing."""
    with app.app_context():
        withdraw_need(
            db.session.get(User, firm.owner.id), db.session.get(FinancingNeed, firm.need_id)
        )
    return firm


@pytest.fixture
def admin_client(app, create):
    return signed_in(app, create(UserFactory, role=Role.ADMIN).email)


def _requests(app, firm_id: int) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.scalars(
            select(FirmClosureRequest)
            .where(FirmClosureRequest.firm_id == firm_id)
            .order_by(FirmClosureRequest.id)
        )
        return [(row.status.value, row.note) for row in rows]


def _actions(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == action)
        )


def _closure_id(app, firm_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.max(FirmClosureRequest.id)).where(FirmClosureRequest.firm_id == firm_id)
        )


def test_the_page_says_what_closing_keeps_and_for_how_long(settled, owner_client):
    """The periods are the privacy policy's: 5 years for business records, audit log and
    consents; account details deleted within 15 working days."""
    page = owner_client.get("/firm/closure").get_data(as_text=True)
    assert "依法保存的信息和期限" in page
    assert "自相关贷款结清或业务终止之日起保存 5 年" in page
    assert "审计日志" in page and "至少保存 5 年" in page
    assert "授权委托书和同意记录" in page and "注销后保存 5 年" in page
    assert "在注销时即删除" in page
    assert "我已阅读上述说明，确认申请注销本企业账号" in page


def test_owner_requests_then_withdraws(app, settled, owner_client):
    """Unconfirmed, nothing happens; confirmed, one request; asked twice, refused; withdrawn."""
    unticked = owner_client.post("/firm/closure", data={"reason": "企业已停业"})
    assert unticked.status_code == 200
    assert "请先勾选确认一项" in unticked.get_data(as_text=True)
    assert _requests(app, settled.id) == []

    done = owner_client.post("/firm/closure", data=CONFIRMED)
    assert done.status_code == 302 and done.headers["Location"].endswith("/firm/closure")
    page = owner_client.get("/firm/closure").get_data(as_text=True)
    assert "注销申请已提交" in page and "正在等待平台办理" in page and "企业已停业" in page
    assert _requests(app, settled.id) == [("requested", None)]
    assert _actions(app, "firm.closure_request") == 1

    owner_client.post("/firm/closure", data=CONFIRMED)
    assert "已有一份注销申请正在等待平台办理" in owner_client.get("/firm/closure").get_data(
        as_text=True
    )
    assert _requests(app, settled.id) == [("requested", None)]

    assert owner_client.post("/firm/closure/cancel").status_code == 302
    assert "注销申请已撤回" in owner_client.get("/firm/closure").get_data(as_text=True)
    assert _requests(app, settled.id) == [("cancelled", None)]
    assert _actions(app, "firm.closure_cancel") == 1
    owner_client.post("/firm/closure/cancel")
    assert "没有等待办理的注销申请" in owner_client.get("/firm/closure").get_data(as_text=True)
    assert _actions(app, "firm.closure_cancel") == 1


def test_a_live_need_stands_in_the_way(app, firm, owner_client):
    """A submitted need not yet settled or withdrawn: the page says why, a POST is refused."""
    page = owner_client.get("/firm/closure").get_data(as_text=True)
    assert "企业还有正在办理的融资需求" in page
    owner_client.post("/firm/closure", data=CONFIRMED)
    assert "企业还有正在办理的融资需求" in owner_client.get("/firm/closure").get_data(as_text=True)
    assert _requests(app, firm.id) == []


def test_a_member_cannot_ask_or_withdraw(app, settled, owner_client, member_client):
    """Closing is the owners' decision: a member gets 403 on every closure route."""
    assert member_client.get("/firm/closure").status_code == 403
    assert member_client.post("/firm/closure", data=CONFIRMED).status_code == 403
    owner_client.post("/firm/closure", data=CONFIRMED)
    assert member_client.post("/firm/closure/cancel").status_code == 403
    assert _requests(app, settled.id) == [("requested", None)]


def test_only_platform_admins_see_the_requests(app, settled, owner_client):
    """The owner has no access to the staff pages."""
    owner_client.post("/firm/closure", data=CONFIRMED)
    closure_id = _closure_id(app, settled.id)
    assert owner_client.get("/admin/firm-closures/").status_code == 403
    assert owner_client.post(f"/admin/firm-closures/{closure_id}/close").status_code == 403


def test_admin_closes_the_account(app, settled, owner_client, member_client, admin_client):
    """Every user of the firm is disabled and signed out, the authorisation revoked, the
    request closed and the log says so; the other firm is untouched."""
    with app.app_context():
        assert active_authorisation(settled.id) is not None  # granted with the need
    owner_client.post("/firm/closure", data=CONFIRMED)
    closure_id = _closure_id(app, settled.id)
    listing = admin_client.get("/admin/firm-closures/").get_data(as_text=True)
    assert "闽江精密机械有限公司" in listing and "企业已停业" in listing
    detail = admin_client.get(f"/admin/firm-closures/{closure_id}")
    assert detail.status_code == 200 and "生效中，注销时撤回" in detail.get_data(as_text=True)

    asked = admin_client.post(f"/admin/firm-closures/{closure_id}/close")
    assert asked.status_code == 200
    assert "我已核实申请人身份，确认注销该企业账号" in asked.get_data(as_text=True)
    assert _requests(app, settled.id) == [("requested", None)]  # the question alone closes nothing

    done = admin_client.post(f"/admin/firm-closures/{closure_id}/close", data={"confirmed": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/firm-closures/")
    assert _requests(app, settled.id) == [("closed", None)]
    with app.app_context():
        ours = db.session.scalars(select(User).where(User.firm_id == settled.id)).all()
        assert ours and not any(user.is_active for user in ours)
        assert active_authorisation(settled.id) is None
        theirs = db.session.scalars(select(User).where(User.firm_id == settled.other_id)).all()
        assert all(user.is_active for user in theirs)
        # The withdrawn need stays as it was: closing withdraws nothing.
        assert db.session.get(FinancingNeed, settled.need_id).status == "withdrawn"
    assert _actions(app, "firm.close") == 1
    assert _actions(app, "user.deactivate") == 2
    assert _actions(app, "user.anonymise") == 2
    assert _actions(app, "data.revoke") == 1
    with app.app_context():  # the people behind the accounts are no longer named anywhere
        for user in db.session.scalars(select(User).where(User.firm_id == settled.id)):
            assert user.full_name == f"#{user.id}" and user.phone is None
            assert user.email.endswith("@closed.invalid") and user.totp_secret is None
        old = (settled.owner.email, settled.member.email)
        assert not db.session.scalar(select(User.id).where(User.email.in_(old)))

    # Their open sessions are over, and they cannot sign in again.
    for client in (owner_client, member_client):
        assert "/login" in client.get("/firm/team").headers.get("Location", "")
    for email in (settled.owner.email, settled.member.email):
        again = Auth(app.test_client(), app).login(email)
        assert again.status_code == 200  # the sign-in form again, not a way in


def test_a_closed_request_is_final(app, settled, owner_client, admin_client):
    """Closing again, refusing or withdrawing after closing are all refused; nothing changes."""
    owner_client.post("/firm/closure", data=CONFIRMED)
    closure_id = _closure_id(app, settled.id)
    admin_client.post(f"/admin/firm-closures/{closure_id}/close", data={"confirmed": "y"})

    again = admin_client.post(f"/admin/firm-closures/{closure_id}/close", data={"confirmed": "y"})
    assert again.status_code == 302
    page = admin_client.get(f"/admin/firm-closures/{closure_id}").get_data(as_text=True)
    assert "该注销申请已办结" in page
    admin_client.post(f"/admin/firm-closures/{closure_id}/refuse", data={"note": "重复办理测试"})
    assert _requests(app, settled.id) == [("closed", None)]
    assert _actions(app, "firm.close") == 1
    assert _actions(app, "firm.closure_refuse") == 0
    with app.app_context():  # the service refuses too, whoever calls it
        closure = db.session.get(FirmClosureRequest, closure_id)
        admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
        with pytest.raises(closures.ClosureRefused, match="已办结"):
            closures.close(admin, closure)
        with pytest.raises(closures.ClosureRefused, match="没有等待办理的注销申请"):
            closures.cancel_request(db.session.get(User, settled.owner.id))
        assert db.session.get(FirmClosureRequest, closure_id).status == FirmClosureStatus.CLOSED


def test_admin_refuses_with_a_note_the_owner_reads(app, settled, owner_client, admin_client):
    """A refusal needs a reason; the request ends, the owner sees why and may ask again."""
    owner_client.post("/firm/closure", data=CONFIRMED)
    closure_id = _closure_id(app, settled.id)
    short = admin_client.post(f"/admin/firm-closures/{closure_id}/refuse", data={"note": "否"})
    assert short.status_code == 200 and "4 到 500 个字" in short.get_data(as_text=True)
    assert _requests(app, settled.id) == [("requested", None)]
    note = "申请人身份未能核实，请由法定代表人联系平台"
    admin_client.post(f"/admin/firm-closures/{closure_id}/refuse", data={"note": note})
    assert _requests(app, settled.id) == [("cancelled", note)]
    assert _actions(app, "firm.closure_refuse") == 1
    page = owner_client.get("/firm/closure").get_data(as_text=True)
    assert note in page and "提交注销申请" in page
    with app.app_context():
        assert all(
            user.is_active
            for user in db.session.scalars(select(User).where(User.firm_id == settled.id))
        )


def test_a_need_submitted_after_the_request_holds_the_closing(app, firm, admin_client):
    """The request was made with nothing live; a need submitted since stops the closing."""
    with app.app_context():
        owner = db.session.get(User, firm.owner.id)
        need = db.session.get(FinancingNeed, firm.need_id)
        need.status = "withdrawn"  # as if settled when the owner asked
        db.session.commit()
        closures.request_closure(owner, None)
        need = db.session.get(FinancingNeed, firm.need_id)
        need.status = "routed"  # and live again by the time staff decide
        db.session.commit()
    closure_id = _closure_id(app, firm.id)
    admin_client.post(f"/admin/firm-closures/{closure_id}/close", data={"confirmed": "y"})
    assert _requests(app, firm.id) == [("requested", None)]
    page = admin_client.get(f"/admin/firm-closures/{closure_id}").get_data(as_text=True)
    assert "企业还有正在办理的融资需求" in page
    with app.app_context():
        assert db.session.get(User, firm.owner.id).is_active
