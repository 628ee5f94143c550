"""Administration: users, the LPR table, the working-day calendar and a system overview."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from portal import settings
from portal.accounts import confirmations, password_reset
from portal.accounts import services as account_services
from portal.accounts.forms import StaffUserForm, UserEditForm
from portal.accounts.models import User
from portal.admin import services
from portal.admin.calendar_notice import NoticeRefused
from portal.admin.forms import (
    CalendarNoticeForm,
    CalendarYearFilter,
    ConfirmForm,
    LprForm,
    LprWithdrawForm,
    SettingForm,
    UserFilterForm,
)
from portal.audit.models import AuditEntry
from portal.audit.queries import names_for
from portal.authz import Permission, get_or_404, requires
from portal.confirmation import confirmation_step
from portal.dates import today_in_china
from portal.enums import OnboardingStatus
from portal.extensions import db
from portal.forms import filter_value
from portal.institutions.models import FinancialInstitution, GovernmentAgency
from portal.lpr import LprRate, latest_lpr
from portal.pagination import paginate
from portal.team import invitations
from portal.team import services as team_services
from portal.team.forms import StaffInviteForm
from portal.workdays import years_to_warn

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@requires(Permission.HOME_ADMIN)
def index() -> str:
    role_counts = dict(
        db.session.execute(select(User.role, func.count(User.id)).group_by(User.role))
        .tuples()
        .all()
    )
    recent = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10)).all()
    return render_template(
        "admin/index.html",
        role_counts=role_counts,
        recent=recent,
        names=names_for(recent),
        latest_lpr=latest_lpr(),
        calendar_warnings=years_to_warn(today_in_china()),
    )


@bp.get("/users")
@requires(Permission.ADMIN_USERS_MANAGE)
def users() -> str:
    form = UserFilterForm(request.args)
    valid = form.validate()  # a malformed link lists every user and shows what was wrong
    page = paginate(
        services.user_query(form.q.data if valid else None, form.role.data if valid else None)
    )
    links = invitations.live_until(page.items)
    return render_template(
        "admin/users.html", form=form, page=page, links=links, confirm=ConfirmForm()
    )


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.ADMIN_USERS_MANAGE)
def new_user() -> str | Response:
    form = StaffUserForm()
    form.institution_id.choices = [(0, _("（不适用）"))] + _choices(FinancialInstitution)
    form.agency_id.choices = [(0, _("（不适用）"))] + _choices(GovernmentAgency)
    if form.validate_on_submit():
        try:
            user = account_services.create_staff_user(current_user, form.data)
        except account_services.EmailTaken:
            form.email.errors.append(_("该邮箱已被使用"))
        except LookupError:
            form.institution_id.errors.append(_("所选机构或部门不存在，请重新选择"))
        else:
            flash(_("已创建用户 %(email)s", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form)


@bp.route("/users/invite", methods=["GET", "POST"])
@requires(Permission.ADMIN_USERS_MANAGE)
def invite_user() -> str | Response:
    """Open a staff account by invitation: the invitee sets their own password by e-mail."""
    form = StaffInviteForm()
    form.institution_id.choices = [(0, _("（不适用）"))] + _choices(FinancialInstitution)
    form.agency_id.choices = [(0, _("（不适用）"))] + _choices(GovernmentAgency)
    if form.validate_on_submit():
        try:
            user = team_services.invite_staff(current_user, form.data)
        except account_services.EmailTaken:
            form.email.errors.append(_("该邮箱已被使用"))
        except LookupError:
            form.institution_id.errors.append(_("所选机构或部门不存在，请重新选择"))
        else:
            flash(_("邀请已发送到 %(email)s，7 天内有效。", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/invite_form.html", form=form)


@bp.post("/users/<int:user_id>/invitation")
@requires(Permission.ADMIN_USERS_MANAGE)
def resend_invitation(user_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = get_or_404(User, user_id, current_user)
    try:
        invitations.resend(current_user, user)
    except invitations.NotPending:
        flash(_("%(email)s 已接受邀请或已停用，无需重新发送。", email=user.email), "info")
    else:
        flash(_("已重新发送邀请到 %(email)s，原链接作废。", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
@requires(Permission.ADMIN_USERS_MANAGE)
def set_active(user_id: int) -> str | Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = get_or_404(User, user_id, current_user)
    if user.id == current_user.id:
        flash(_("不能停用自己的账号。"), "error")
        return redirect(url_for("admin.users"))
    activate = request.form.get("active") == "1"
    if not activate:
        page = confirmation_step(confirmations.deactivation(user, url_for("admin.users")))
        if page is not None:
            return page
    account_services.set_active(current_user, user, activate)
    message = (
        _("已启用 %(email)s", email=user.email)
        if activate
        else _("已停用 %(email)s", email=user.email)
    )
    flash(message, "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/two-factor-reset")
@requires(Permission.ADMIN_USERS_MANAGE)
def reset_two_factor(user_id: int) -> str | Response:
    """For a user who lost both phone and recovery codes: they enrol again at next sign-in."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = get_or_404(User, user_id, current_user)
    if user.id == current_user.id:
        flash(_("不能重置自己的两步验证，请联系另一位管理员。"), "error")
        return redirect(url_for("admin.users"))
    page = confirmation_step(confirmations.two_factor_reset(user, url_for("admin.users")))
    if page is not None:
        return page
    account_services.reset_two_factor(current_user, user)
    flash(_("已重置 %(email)s 的两步验证，其下次登录时需重新绑定。", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires(Permission.ADMIN_USERS_MANAGE)
def edit_user(user_id: int) -> str | Response:
    user = get_or_404(User, user_id, current_user)
    form = UserEditForm(obj=user)
    form.institution_id.choices = _employers(FinancialInstitution)
    form.agency_id.choices = _employers(GovernmentAgency)
    if form.validate_on_submit():
        try:
            changed = account_services.update_user(current_user, user, form.data)
        except account_services.EmailTaken:
            form.email.errors.append(_("该邮箱已被使用"))
        except LookupError:
            form.institution_id.errors.append(
                _("所选机构或部门不存在、与角色不符或入驻申请已被驳回")
            )
        else:
            flash(
                _("已保存 %(email)s 的修改。", email=user.email)
                if changed
                else _("没有修改任何内容。"),
                "success",
            )
            return redirect(url_for("admin.users"))
    return render_template("admin/user_edit.html", form=form, user=user)


def _employers(model: type) -> list[tuple[int, str]]:
    """Institutions (never a rejected one) or agencies a staff account may work for."""
    statement = select(model).order_by(model.name)
    if model is FinancialInstitution:
        statement = statement.where(
            FinancialInstitution.onboarding_status != OnboardingStatus.REJECTED
        )
    return [(0, _("（不适用）"))] + [(row.id, row.name) for row in db.session.scalars(statement)]


@bp.post("/users/<int:user_id>/password-reset")
@requires(Permission.ADMIN_USERS_MANAGE)
def send_password_reset(user_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = get_or_404(User, user_id, current_user)
    try:
        password_reset.send_for_user(current_user, user)
    except password_reset.InvalidResetLink:
        flash(_("该用户已停用或尚未接受邀请，不能发送重置密码邮件。"), "error")
    else:
        flash(_("已向 %(email)s 发送重置密码邮件，30 分钟内有效。", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.get("/settings")
@requires(Permission.ADMIN_SETTINGS_MANAGE)
def settings_page() -> str:
    return _settings_page()


@bp.post("/settings/<key>")
@requires(Permission.ADMIN_SETTINGS_MANAGE)
def save_setting(key: str) -> tuple[str, int] | Response:
    if key not in settings.BY_KEY:
        abort(404)
    form = SettingForm()
    if form.validate_on_submit():
        try:
            settings.save(current_user, key, form.value.data or "")
        except settings.InvalidSetting as refused:
            form.value.errors.append(str(refused))
        else:
            label = settings.BY_KEY[key].label
            flash(_("已保存“%(name)s”。", name=label), "success")
            return redirect(url_for("admin.settings_page") + f"#setting-{key}")
    return _settings_page(failed=key, form=form), 400


def _settings_page(failed: str | None = None, form: SettingForm | None = None) -> str:
    rows = [
        (setting, db.session.get(settings.SystemSetting, setting.key))
        for setting in settings.SETTINGS
    ]
    return render_template("admin/settings.html", rows=rows, failed=failed, failed_form=form)


@bp.route("/lpr", methods=["GET", "POST"])
@requires(Permission.ADMIN_SETTINGS_MANAGE)
def lpr() -> str | Response:
    form = LprForm()
    if form.validate_on_submit():
        try:
            services.save_lpr(
                current_user,
                form.effective_on.data,
                form.one_year.data,
                form.over_five_years.data,
                form.reason.data or "",
            )
        except services.LprRefused as refused:
            form.reason.errors.append(str(refused))
        else:
            flash(_("LPR 已保存。"), "success")
            return redirect(url_for("admin.lpr"))
    return _lpr_page(form, LprWithdrawForm())


@bp.post("/lpr/<int:rate_id>/withdraw")
@requires(Permission.ADMIN_SETTINGS_MANAGE)
def withdraw_lpr(rate_id: int) -> str | Response:
    rate = get_or_404(LprRate, rate_id, current_user)
    form = LprWithdrawForm()
    if form.validate_on_submit():
        try:
            services.withdraw_lpr(current_user, rate, form.reason.data)
        except services.LprRefused as refused:
            flash(str(refused), "error")
        else:
            flash(_("已撤回 %(day)s 的 LPR 记录。", day=rate.effective_on), "success")
        return redirect(url_for("admin.lpr"))
    return _lpr_page(LprForm(formdata=None), form, withdrawing=rate.id)


def _lpr_page(form: LprForm, withdraw: LprWithdrawForm, withdrawing: int | None = None) -> str:
    rates = db.session.scalars(select(LprRate).order_by(LprRate.effective_on.desc())).all()
    return render_template(
        "admin/lpr.html", form=form, withdraw=withdraw, withdrawing=withdrawing, rates=rates
    )


@bp.route("/calendar", methods=["GET", "POST"])
@requires(Permission.ADMIN_SETTINGS_MANAGE)
def calendar() -> str | Response:
    chosen = filter_value(_validated(CalendarYearFilter(request.args)).year)
    page = services.calendar_page(chosen, today_in_china())
    form = CalendarNoticeForm(**({} if request.method == "POST" else _prefilled(page)))
    if form.validate_on_submit():
        try:
            services.save_calendar_notice(
                current_user, form.year.data, form.notice.data.strip(), form.lines.data
            )
        except NoticeRefused as refused:
            form.lines.errors.extend(refused.problems)
        else:
            flash(_("已保存 %(year)s 年的节假日安排。", year=form.year.data), "success")
            return redirect(url_for("admin.calendar", year=form.year.data))
    return render_template("admin/calendar.html", form=form, page=page)


def _prefilled(page: services.CalendarPage) -> dict[str, object]:
    """The chosen year's notice as entered, ready to correct (empty for a packaged year)."""
    loaded = page.chosen.loaded
    return {
        "year": page.chosen.year,
        "notice": loaded.notice if loaded else "",
        "lines": page.entered_lines,
    }


def _validated(form: CalendarYearFilter) -> CalendarYearFilter:
    form.validate()  # a malformed link shows the default year
    return form


def _choices(model: type) -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in db.session.scalars(select(model).order_by(model.name))]
