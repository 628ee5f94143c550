"""Sign-in (password, then a second factor for staff), sign-out, firm self-registration and
the signed-in user's own security settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.accounts import services, two_factor
from portal.accounts.forms import (
    ChangePasswordForm,
    EnrolTwoFactorForm,
    LoginForm,
    RegistrationForm,
    TwoFactorForm,
)
from portal.accounts.registration_messages import registration_refused
from portal.accounts.throttle import Throttled
from portal.authz import login_required_any, public
from portal.authz.permissions import institution_approved
from portal.datasources import registration
from portal.dates import today_in_china
from portal.enums import INSTITUTION_ROLES
from portal.redirects import safe_next

bp = Blueprint("accounts", __name__)


def _throttled(template: str, error: Throttled, **context: object) -> tuple[str, int, dict]:
    message = _(
        "尝试次数过多，为保护账户已暂停登录，请 %(minutes)s 分钟后再试。", minutes=error.minutes
    )
    flash(message, "error")
    page = render_template(template, **context)
    return page, 429, {"Retry-After": str(error.retry_after)}


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response | tuple[str, int, dict]:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        except Throttled as error:
            return _throttled("accounts/login.html", error, form=form)
        except services.InvalidCredentials:
            form.password.errors.append(_("邮箱或密码不正确"))
        else:
            return _after_password(user)
    return render_template("accounts/login.html", form=form)


def _after_password(user: services.User) -> Response:
    next_url = request.args.get("next")
    if not _second_factor_due(user):
        services.sign_in(user, request.remote_addr)
        flash(_("欢迎回来，%(name)s", name=user.full_name), "success")
        return redirect(safe_next(next_url, "home.index"))
    services.begin_second_step(user, next_url)
    if user.has_two_factor:
        return redirect(url_for("accounts.second_step"))
    return redirect(url_for("accounts.enrol"))


def _second_factor_due(user: services.User) -> bool:
    """Staff give a second factor; a bank not (yet) approved only once it has enrolled one.

    Such a bank user holds no bank power (portal/authz/permissions.py) in a session begun
    without a code, so enrolment waits for the first sign-in after approval.
    """
    if not two_factor.required_for(user):
        return False
    return user.has_two_factor or user.role not in INSTITUTION_ROLES or institution_approved(user)


@bp.route("/login/verify", methods=["GET", "POST"])
@public
def second_step() -> str | Response | tuple[str, int, dict]:
    user = services.pending_user()
    if user is None or not user.has_two_factor:
        flash(_("请先输入邮箱和密码。"), "info")
        return redirect(url_for("accounts.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        next_url = services.pending_next()
        try:
            services.complete_second_step(user, form.code.data, request.remote_addr)
        except Throttled as error:
            return _throttled("accounts/two_factor.html", error, form=form)
        except services.InvalidCredentials:
            form.code.errors.append(_("验证码不正确或已使用，请输入验证器上最新的 6 位数字"))
        else:
            flash(_("欢迎回来，%(name)s", name=user.full_name), "success")
            return redirect(safe_next(next_url, "home.index"))
    return render_template("accounts/two_factor.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
def enrol() -> str | Response | tuple[str, int, dict]:
    user = services.pending_user()
    if user is None or user.has_two_factor:
        flash(_("请先输入邮箱和密码。"), "info")
        return redirect(url_for("accounts.login"))
    services.start_enrolment(user)
    form = EnrolTwoFactorForm()
    context = _enrolment_context(user, form)
    if form.validate_on_submit():
        try:
            codes = services.confirm_enrolment(user, form.code.data, request.remote_addr)
        except Throttled as error:
            return _throttled("accounts/enrol.html", error, **context)
        except services.InvalidCredentials:
            form.code.errors.append(_("验证码不正确，请确认手机时间准确后输入最新的 6 位数字"))
        else:
            flash(_("两步验证已开启。"), "success")
            return render_template("accounts/recovery_codes.html", codes=codes, first_time=True)
    return render_template("accounts/enrol.html", **context)


def _enrolment_context(user: services.User, form: EnrolTwoFactorForm) -> dict[str, object]:
    size, path = two_factor.qr_svg_path(two_factor.provisioning_uri(user))
    return {
        "form": form,
        "qr_size": size,
        "qr_path": path,
        "secret": two_factor.grouped(user.totp_secret or ""),
    }


@bp.post("/logout")
@login_required_any
def logout() -> Response:
    services.sign_out(current_user._get_current_object())
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/account/security")
@login_required_any
def security() -> str:
    user = current_user._get_current_object()
    return render_template(
        "accounts/security.html",
        password_form=ChangePasswordForm(),
        unused_codes=two_factor.unused_recovery_codes(user) if user.has_two_factor else None,
    )


@bp.post("/account/password")
@login_required_any
def change_password() -> str | Response | tuple[str, int]:
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(user, form.current_password.data, form.password.data)
        except services.InvalidCredentials:
            form.current_password.errors.append(_("当前密码不正确"))
        else:
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(url_for("accounts.security"))
    unused = two_factor.unused_recovery_codes(user) if user.has_two_factor else None
    page = render_template("accounts/security.html", password_form=form, unused_codes=unused)
    return page, 400


@bp.post("/account/recovery-codes")
@login_required_any
def regenerate_recovery_codes() -> str | Response:
    user = current_user._get_current_object()
    if not user.has_two_factor:
        return redirect(url_for("accounts.security"))
    codes = services.regenerate_recovery_codes(user)
    return render_template("accounts/recovery_codes.html", codes=codes, first_time=False)


@bp.route("/register", methods=["GET", "POST"])
@public
def register() -> str | Response | tuple[str, int, dict]:
    """Register a firm on the registry's word (portal/datasources/registration.py)."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        applicant = registration.Applicant(
            account={
                "email": form.email.data,
                "password": form.password.data,
                "full_name": form.full_name.data,
                "phone": form.phone.data,
            },
            credit_code=form.credit_code.data,
            declared=form.declared(),
            representative=form.representative(),
            letter=form.letter_file,
        )
        try:
            user = registration.register(applicant, request.remote_addr, today_in_china())
        except Throttled as error:
            return _throttled("accounts/register.html", error, form=form)
        except (services.AccountError, registration.RegistrationRefused) as error:
            registration_refused(form, error)
        else:
            services.sign_in(user, request.remote_addr)
            if user.firm.identity_method:
                flash(_("注册成功。企业信息已按市场监管、税务、社保等政务数据核验。"), "success")
                return redirect(url_for("home.sme"))
            flash(_("注册成功。授权委托书已提交，平台审核通过前暂不能提交融资需求。"), "success")
            return redirect(url_for("reviews.identity"))
    return render_template("accounts/register.html", form=form)
