"""The team pages: an institution's admins run its users and settings; government staff see
their agency's colleagues; an invitee accepts the invitation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.accounts import confirmations
from portal.accounts.forms import ResetPasswordForm
from portal.accounts.services import EmailTaken
from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, public, requires
from portal.confirmation import confirmation_step
from portal.institutions.models import FinancialInstitution
from portal.pagination import paginate
from portal.team import invitations, services
from portal.team import settings as institution_settings
from portal.team.forms import InviteForm, SettingsForm

bp = Blueprint("team", __name__)


def _institution() -> FinancialInstitution:
    return get_or_404(FinancialInstitution, current_user.institution_id, current_user)


@bp.get("/team")
@requires(Permission.INSTITUTION_TEAM_MANAGE)
def index() -> str:
    page = paginate(services.team_statement(current_user))
    return render_template(
        "team/index.html",
        institution=_institution(),
        page=page,
        links=invitations.live_until(page.items),
        confirm=ConfirmForm(),
    )


@bp.route("/team/invite", methods=["GET", "POST"])
@requires(Permission.INSTITUTION_TEAM_MANAGE)
def invite() -> str | Response:
    institution = _institution()
    form = InviteForm()
    form.offer_roles(services.roles_for(institution))
    if form.validate_on_submit():
        try:
            user = services.invite(current_user, form.data)
        except EmailTaken:
            form.email.errors.append(_("该邮箱已有账号，请换一个邮箱"))
        else:
            flash(_("邀请已发送到 %(email)s，7 天内有效。", email=user.email), "success")
            return redirect(url_for("team.index"))
    return render_template("team/invite.html", form=form, institution=institution)


@bp.post("/team/<int:user_id>/active")
@requires(Permission.INSTITUTION_TEAM_MANAGE)
def set_active(user_id: int) -> str | Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = services.member_or_404(current_user, user_id)
    activate = request.form.get("active") == "1"
    if not activate:
        page = confirmation_step(confirmations.deactivation(user, url_for("team.index")))
        if page is not None:
            return page
    try:
        services.set_active(current_user, user, activate)
    except services.TeamRefused as refused:
        flash(_refusal_message(refused), "error")
    else:
        done = (
            _("已启用 %(email)s", email=user.email)
            if activate
            else _("已停用 %(email)s", email=user.email)
        )
        flash(done, "success")
    return redirect(url_for("team.index"))


@bp.post("/team/<int:user_id>/two-factor-reset")
@requires(Permission.INSTITUTION_TEAM_MANAGE)
def reset_two_factor(user_id: int) -> str | Response:
    """For a colleague who lost both phone and recovery codes: they enrol again at sign-in."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = services.member_or_404(current_user, user_id)
    page = confirmation_step(confirmations.two_factor_reset(user, url_for("team.index")))
    if page is not None:
        return page
    try:
        services.reset_two_factor(current_user, user)
    except services.TeamRefused as refused:
        flash(_refusal_message(refused), "error")
    else:
        message = _("已重置 %(email)s 的两步验证，其下次登录时需重新绑定。", email=user.email)
        flash(message, "success")
    return redirect(url_for("team.index"))


@bp.post("/team/<int:user_id>/invitation")
@requires(Permission.INSTITUTION_TEAM_MANAGE)
def resend_invitation(user_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = services.member_or_404(current_user, user_id)
    try:
        invitations.resend(current_user, user)
    except invitations.NotPending:
        flash(_("%(email)s 已接受邀请或已停用，无需重新发送。", email=user.email), "info")
    else:
        flash(_("已重新发送邀请到 %(email)s，原链接作废。", email=user.email), "success")
    return redirect(url_for("team.index"))


def _refusal_message(refused: services.TeamRefused) -> str:
    if isinstance(refused, services.OwnAccount):
        return _("不能停用或重置自己的账号，请联系本机构的另一位管理员。")
    if isinstance(refused, services.LastAdmin):
        return _("该用户是本机构最后一位有效的管理员，不能停用。请先邀请另一位管理员。")
    return _("该用户尚未绑定验证器，无需重置。")


@bp.route("/team/settings", methods=["GET", "POST"])
@requires(Permission.INSTITUTION_TEAM_MANAGE)
def settings() -> str | Response:
    institution = _institution()
    form = SettingsForm(data=None if request.method == "POST" else _prefilled(institution))
    if form.validate_on_submit():
        changed = institution_settings.save(current_user, institution, form.chosen_settings())
        flash(_("机构设置已保存。") if changed else _("没有修改任何设置。"), "success")
        return redirect(url_for("team.settings"))
    return render_template("team/settings.html", form=form, institution=institution)


def _prefilled(institution: FinancialInstitution) -> dict[str, object]:
    now = institution_settings.current(institution)
    return {
        "response_days": now.response_days,
        "work_starts_at": f"{now.work_starts_at:%H:%M}" if now.work_starts_at else "",
        "work_ends_at": f"{now.work_ends_at:%H:%M}" if now.work_ends_at else "",
        "notify_emails": "\n".join(now.notify_emails),
    }


@bp.get("/colleagues")
@requires(Permission.GOV_COLLEAGUES_VIEW)
def colleagues() -> str:
    """Government staff: who else works for their agency (read only)."""
    page = paginate(services.team_statement(current_user))
    return render_template("team/colleagues.html", page=page, agency=current_user.agency)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    user = invitations.user_for(token)
    if user is None:
        return render_template("accounts/link_invalid.html", invitation=True), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept(token, form.password.data)
        except invitations.InvalidInvitationLink:
            return render_template("accounts/link_invalid.html", invitation=True), 404
        if user.firm_id is not None:  # firm accounts sign in without a second factor
            flash(_("密码已设置。请用邮箱和新密码登录。"), "success")
        else:
            flash(_("密码已设置。请用邮箱和新密码登录，首次登录时需绑定两步验证。"), "success")
        return redirect(url_for("accounts.login"))
    return render_template("team/accept.html", form=form, user=user)
