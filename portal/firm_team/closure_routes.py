"""Platform staff's side of firm account closure: the open requests, closing one or refusing it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from portal.accounts.models import User
from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires
from portal.confirmation import Confirmation, confirmation_step
from portal.datasources.authorisations import active_authorisation
from portal.enums import FIRM_CLOSURE_STATUS_LABELS, FirmClosureStatus
from portal.extensions import db
from portal.firm_team import closure as closures
from portal.firm_team.forms import ClosureRefusalForm
from portal.firm_team.models import FirmClosureRequest

bp = Blueprint("firm_closures", __name__, url_prefix="/admin/firm-closures")


@bp.get("/")
@requires(Permission.ADMIN_USERS_MANAGE)
def index() -> str:
    return render_template("firm_team/closures.html", requests=closures.open_requests())


@bp.get("/<int:closure_id>")
@requires(Permission.ADMIN_USERS_MANAGE)
def detail(closure_id: int) -> str:
    closure = get_or_404(FirmClosureRequest, closure_id, current_user)
    return _detail_page(closure, ClosureRefusalForm(formdata=None))


@bp.post("/<int:closure_id>/close")
@requires(Permission.ADMIN_USERS_MANAGE)
def close(closure_id: int) -> str | Response:
    closure = get_or_404(FirmClosureRequest, closure_id, current_user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if closure.status != FirmClosureStatus.REQUESTED:
        flash(_("该注销申请已办结（已注销、已撤回或未予办理），不能再更改"), "error")
        return redirect(url_for("firm_closures.detail", closure_id=closure.id))
    page = confirmation_step(
        Confirmation(
            title=_("注销企业账号"),
            subject=closure.firm.name,
            consequences=_(
                "该企业的所有用户立即停用并退出登录，政务数据授权立即撤回；"
                "贷款、补贴、审计日志和同意记录按法定期限保留，已结清的业务不受影响。注销不能撤销。"
            ),
            checkbox=_("我已核实申请人身份，确认注销该企业账号"),
            button=_("确认注销"),
            cancel_url=url_for("firm_closures.detail", closure_id=closure.id),
            danger=True,
        )
    )
    if page is not None:
        return page
    try:
        disabled = closures.close(current_user, closure)
    except closures.ClosureRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("firm_closures.detail", closure_id=closure_id))
    flash(_("企业账号已注销，停用了 %(n)s 个用户。", n=disabled), "success")
    return redirect(url_for("firm_closures.index"))


@bp.post("/<int:closure_id>/refuse")
@requires(Permission.ADMIN_USERS_MANAGE)
def refuse(closure_id: int) -> str | Response:
    closure = get_or_404(FirmClosureRequest, closure_id, current_user)
    form = ClosureRefusalForm()
    if not form.validate_on_submit():
        return _detail_page(closure, form)
    try:
        closures.refuse(current_user, closure, form.note.data.strip())
    except closures.ClosureRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("firm_closures.detail", closure_id=closure_id))
    flash(_("已不予办理该注销申请，企业会看到您写的理由。"), "success")
    return redirect(url_for("firm_closures.index"))


def _detail_page(closure: FirmClosureRequest, refusal_form: ClosureRefusalForm) -> str:
    users = db.session.scalar(
        select(func.count(User.id)).where(User.firm_id == closure.firm_id, User.is_active.is_(True))
    )
    return render_template(
        "firm_team/closure_detail.html",
        closure=closure,
        active_users=users or 0,
        authorisation=active_authorisation(closure.firm_id),
        refusal=closures.business_refusal(closure.firm_id),
        active_loans=closures.active_loans(closure.firm_id),
        refusal_form=refusal_form,
        confirm=ConfirmForm(),
        status_labels=FIRM_CLOSURE_STATUS_LABELS,
    )
