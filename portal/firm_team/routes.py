"""The firm's own account: its owners see and run its team, download its data and ask to close
the account."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from portal.accounts import confirmations
from portal.accounts.models import User
from portal.accounts.services import EmailTaken
from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires
from portal.confirmation import confirmation_step
from portal.enums import FirmRole
from portal.firm_team import closure as closures
from portal.firm_team import confirmations as firm_confirmations
from portal.firm_team import export, services
from portal.firm_team.forms import ClosureRequestForm, FirmInviteForm
from portal.firms.models import Firm
from portal.pagination import paginate
from portal.team import invitations

bp = Blueprint("firm_team", __name__, url_prefix="/firm")


def _firm() -> Firm:
    return get_or_404(Firm, current_user.firm_id, current_user)


@bp.get("/team")
@requires(Permission.FIRM_TEAM_MANAGE)
def index() -> str:
    page = paginate(services.team_statement(current_user))
    return render_template(
        "firm_team/index.html",
        firm=_firm(),
        page=page,
        links=invitations.live_until(page.items),
        confirm=ConfirmForm(),
    )


@bp.route("/team/invite", methods=["GET", "POST"])
@requires(Permission.FIRM_TEAM_MANAGE)
def invite() -> str | BaseResponse:
    form = FirmInviteForm()
    if form.validate_on_submit():
        try:
            user = services.invite(current_user, form.data)
        except EmailTaken:
            form.email.errors.append(_("该邮箱已有账号，请换一个邮箱"))
        else:
            flash(_("邀请已发送到 %(email)s，7 天内有效。", email=user.email), "success")
            return redirect(url_for("firm_team.index"))
    return render_template("firm_team/invite.html", form=form, firm=_firm())


@bp.post("/team/<int:user_id>/active")
@requires(Permission.FIRM_TEAM_MANAGE)
def set_active(user_id: int) -> str | BaseResponse:
    user = _colleague(user_id)
    activate = request.form.get("active") == "1"
    if not activate:
        page = confirmation_step(confirmations.deactivation(user, url_for("firm_team.index")))
        if page is not None:
            return page
    done = (
        _("已启用 %(email)s", email=user.email)
        if activate
        else _("已停用 %(email)s", email=user.email)
    )
    return _attempt(partial(services.set_active, current_user, user, activate), done)


@bp.post("/team/<int:user_id>/role")
@requires(Permission.FIRM_TEAM_MANAGE)
def set_role(user_id: int) -> str | BaseResponse:
    user = _colleague(user_id)
    try:
        role = FirmRole(request.form.get("role", ""))
    except ValueError:
        abort(400)
    if role == FirmRole.MEMBER:
        cancel = url_for("firm_team.index")
        page = confirmation_step(firm_confirmations.demotion(user, current_user, cancel))
        if page is not None:
            return page
    done = _("%(email)s 现在是%(role)s", email=user.email, role=role.label)
    return _attempt(partial(services.set_role, current_user, user, role), done)


@bp.post("/team/<int:user_id>/transfer")
@requires(Permission.FIRM_TEAM_MANAGE)
def transfer(user_id: int) -> str | BaseResponse:
    user = _colleague(user_id)
    page = confirmation_step(firm_confirmations.transfer(user, url_for("firm_team.index")))
    if page is not None:
        return page
    done = _("已将企业负责人移交给 %(email)s，您现在是企业成员。", email=user.email)
    return _attempt(partial(services.transfer, current_user, user), done, then="home.sme")


@bp.post("/team/<int:user_id>/invitation")
@requires(Permission.FIRM_TEAM_MANAGE)
def resend_invitation(user_id: int) -> BaseResponse:
    user = _colleague(user_id)
    try:
        invitations.resend(current_user, user)
    except invitations.NotPending:
        flash(_("%(email)s 已接受邀请或已停用，无需重新发送。", email=user.email), "info")
    else:
        flash(_("已重新发送邀请到 %(email)s，原链接作废。", email=user.email), "success")
    return redirect(url_for("firm_team.index"))


def _colleague(user_id: int) -> User:
    """The colleague a button names (another firm's user is a 404), after the CSRF check."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return services.colleague_or_404(current_user, user_id)


def _attempt(change: Callable[[], None], done: str, then: str = "firm_team.index") -> BaseResponse:
    """Make the change and say so, or say why it was refused (nothing changed then)."""
    try:
        change()
    except services.FirmTeamRefused as refused:
        flash(_refusal_message(refused), "error")
        return redirect(url_for("firm_team.index"))
    flash(done, "success")
    return redirect(url_for(then))


def _refusal_message(refused: services.FirmTeamRefused) -> str:
    if isinstance(refused, services.OwnAccount):
        return _("不能停用自己的账号，也不能把负责人移交给自己。")
    if isinstance(refused, services.LastOwner):
        return _("企业至少要有一位有效的负责人。请先把另一位同事设为负责人。")
    return _("只能移交给已接受邀请且未停用的同事。")


@bp.get("/export")
@requires(Permission.FIRM_DATA_EXPORT)
def export_data() -> Response:
    document = export.firm_export(current_user)
    filename = f"firm-{current_user.firm_id}-data-{document['exported_at']:%Y%m%d}.json"
    return Response(
        export.as_json(document),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/closure", methods=["GET", "POST"])
@requires(Permission.FIRM_TEAM_MANAGE)
def closure() -> str | BaseResponse:
    """What closing the account means and keeps; the request, once confirmed."""
    firm = _firm()
    form = ClosureRequestForm()
    if form.validate_on_submit():
        try:
            closures.request_closure(current_user, form.reason.data)
        except closures.ClosureRefused as refused:
            flash(str(refused), "error")
        else:
            flash(_("注销申请已提交。平台将在 15 个工作日内办理，办理前您可以撤回。"), "success")
        return redirect(url_for("firm_team.closure"))
    waiting = closures.open_request(firm.id)
    return render_template(
        "firm_team/closure.html",
        firm=firm,
        form=form,
        waiting=waiting,
        refused=None if waiting else closures.last_refused(firm.id),
        refusal=None if waiting else closures.business_refusal(firm.id),
        active_loans=closures.active_loans(firm.id),
        retention=closures.RETENTION,
        deleted=closures.DELETED,
        confirm=ConfirmForm(),
    )


@bp.post("/closure/cancel")
@requires(Permission.FIRM_TEAM_MANAGE)
def cancel_closure() -> BaseResponse:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        closures.cancel_request(current_user)
    except closures.ClosureRefused as refused:
        flash(str(refused), "error")
    else:
        flash(_("注销申请已撤回，企业账号照常使用。"), "success")
    return redirect(url_for("firm_team.closure"))
