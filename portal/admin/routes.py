"""Administration: users, the LPR table and a system overview."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from portal.accounts import services as account_services
from portal.accounts.forms import StaffUserForm
from portal.accounts.models import User
from portal.admin import services
from portal.admin.forms import ConfirmForm, LprForm, UserFilterForm
from portal.audit.models import AuditEntry
from portal.authz import Permission, get_or_404, requires
from portal.confirmation import Confirmation, confirmation_step
from portal.extensions import db
from portal.institutions.models import FinancialInstitution, GovernmentAgency
from portal.lpr import LprRate
from portal.pagination import paginate

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
    latest_lpr = db.session.scalar(select(LprRate).order_by(LprRate.effective_on.desc()))
    return render_template(
        "admin/index.html", role_counts=role_counts, recent=recent, latest_lpr=latest_lpr
    )


@bp.get("/users")
@requires(Permission.ADMIN_USERS_MANAGE)
def users() -> str:
    form = UserFilterForm(request.args)
    valid = form.validate()  # a malformed link lists every user and shows what was wrong
    page = paginate(
        services.user_query(form.q.data if valid else None, form.role.data if valid else None)
    )
    return render_template("admin/users.html", form=form, page=page, confirm=ConfirmForm())


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
        page = confirmation_step(
            Confirmation(
                title=_("停用用户"),
                subject=f"{user.full_name} · {user.email}",
                consequences=_(
                    "停用后该用户立即被退出登录，不能再登录平台；其经办的记录保留。"
                    "需要时可以再次启用。"
                ),
                checkbox=_("我确认停用该用户"),
                button=_("确认停用"),
                cancel_url=url_for("admin.users"),
                danger=True,
            )
        )
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
    page = confirmation_step(
        Confirmation(
            title=_("重置两步验证"),
            subject=f"{user.full_name} · {user.email}",
            consequences=_(
                "重置后该用户原有的验证器和恢复码全部作废，下次登录时必须重新绑定验证器。"
                "请先通过可靠渠道核实本人身份。"
            ),
            checkbox=_("我确认已核实本人身份，重置其两步验证"),
            button=_("确认重置"),
            cancel_url=url_for("admin.users"),
            danger=True,
        )
    )
    if page is not None:
        return page
    account_services.reset_two_factor(current_user, user)
    flash(_("已重置 %(email)s 的两步验证，其下次登录时需重新绑定。", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/lpr", methods=["GET", "POST"])
@requires(Permission.ADMIN_SETTINGS_MANAGE)
def lpr() -> str | Response:
    form = LprForm()
    if form.validate_on_submit():
        services.save_lpr(
            current_user, form.effective_on.data, form.one_year.data, form.over_five_years.data
        )
        flash(_("LPR 已保存。"), "success")
        return redirect(url_for("admin.lpr"))
    rates = db.session.scalars(select(LprRate).order_by(LprRate.effective_on.desc())).all()
    return render_template("admin/lpr.html", form=form, rates=rates)


def _choices(model: type) -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in db.session.scalars(select(model).order_by(model.name))]
