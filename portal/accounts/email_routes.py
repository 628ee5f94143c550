"""The account's e-mail: forgotten passwords, confirming the address, which notifications also
come by e-mail."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.accounts import email_confirmation, password_reset
from portal.accounts.forms import EmailPreferencesForm, ForgotPasswordForm, ResetPasswordForm
from portal.accounts.throttle import Throttled
from portal.admin.forms import ConfirmForm
from portal.authz import login_required_any, public
from portal.mail.outbox import CATEGORIES

bp = Blueprint("account_email", __name__)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password() -> str | Response | tuple[str, int, dict]:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.request_reset(form.email.data, request.remote_addr)
        except Throttled as error:
            flash(_("请求过于频繁，请 %(minutes)s 分钟后再试。", minutes=error.minutes), "error")
            page = render_template("accounts/forgot_password.html", form=form)
            return page, 429, {"Retry-After": str(error.retry_after)}
        # The same words whether or not the address has an account.
        flash(
            _(
                "如果 %(email)s 是产融通账户的注册邮箱，重置密码的链接已发送到该邮箱，"
                "30 分钟内有效。没有收到请检查垃圾邮件，或稍后重试。",
                email=form.email.data,
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> str | Response | tuple[str, int]:
    user = password_reset.user_for(token)
    if user is None:
        return render_template("accounts/link_invalid.html", reset=True), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.password.data)
        except password_reset.InvalidResetLink:
            return render_template("accounts/link_invalid.html", reset=True), 404
        flash(_("密码已重置，所有设备上的登录均已退出。请用新密码登录。"), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, user=user)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
@public
def confirm(token: str) -> str | Response | tuple[str, int]:
    """A GET only shows the button: mail scanners that open links must not confirm for people."""
    if not email_confirmation.link_is_live(token):
        return render_template("accounts/link_invalid.html", reset=False), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = email_confirmation.confirm(token)
        except email_confirmation.InvalidConfirmationLink:
            return render_template("accounts/link_invalid.html", reset=False), 404
        flash(_("邮箱 %(email)s 已确认，重要通知将同时发送到该邮箱。", email=user.email), "success")
        return redirect(
            url_for(
                "account_email.preferences" if current_user.is_authenticated else "accounts.login"
            )
        )
    return render_template("accounts/confirm_email.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required_any
def preferences() -> str | Response:
    user = current_user._get_current_object()
    form = EmailPreferencesForm()
    form.categories.choices = [(key, str(label)) for key, label in CATEGORIES.items()]
    if request.method == "GET":
        form.categories.data = [key for key in CATEGORIES if key not in (user.email_off or [])]
    if form.validate_on_submit():
        email_confirmation.save_preferences(user, form.categories.data or [])
        flash(_("邮件通知设置已保存。"), "success")
        return redirect(url_for("account_email.preferences"))
    return render_template("accounts/email.html", form=form, resend=ConfirmForm(), user=user)


@bp.post("/account/email/confirmation")
@login_required_any
def resend_confirmation() -> Response | tuple[str, int, dict]:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        email_confirmation.resend(current_user._get_current_object())
    except Throttled as error:
        flash(_("发送过于频繁，请 %(minutes)s 分钟后再试。", minutes=error.minutes), "error")
    else:
        flash(_("确认邮件已发送到 %(email)s。", email=current_user.email), "success")
    return redirect(url_for("account_email.preferences"))
