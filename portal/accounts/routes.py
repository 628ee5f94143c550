"""Sign-in, sign-out and firm self-registration."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.accounts import services
from portal.accounts.forms import LoginForm, RegistrationForm
from portal.authz import login_required_any, public
from portal.redirects import safe_next

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.InvalidCredentials:
            form.password.errors.append(_("邮箱或密码不正确"))
        else:
            services.sign_in(user)
            flash(_("欢迎回来，%(name)s", name=user.full_name), "success")
            return redirect(safe_next(request.args.get("next"), "home.index"))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required_any
def logout() -> Response:
    services.sign_out(current_user._get_current_object())
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        account = {
            "email": form.email.data,
            "password": form.password.data,
            "full_name": form.full_name.data,
            "phone": form.phone.data,
        }
        try:
            user = services.register_firm(account, form.profile_data(), form.credit_code.data)
        except services.EmailTaken:
            form.email.errors.append(_("该邮箱已注册，请直接登录或换一个邮箱"))
        except services.CreditCodeTaken:
            form.credit_code.errors.append(
                _("该统一社会信用代码已注册。如是本企业，请联系已注册的同事添加您")
            )
        else:
            services.sign_in(user)
            flash(_("注册成功，企业规模已按国家标准自动划型。"), "success")
            return redirect(url_for("home.sme"))
    return render_template("accounts/register.html", form=form)
