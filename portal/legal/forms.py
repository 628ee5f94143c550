"""The consent box of the sign-up forms, and the form that accepts a new version."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms.validators import DataRequired

from portal.forms import Form


def consent_field() -> BooleanField:
    """The box a sign-up form (firm registration, bank application) must have ticked."""
    return BooleanField(
        _l("我已阅读并同意平台用户协议与隐私政策"),
        validators=[DataRequired(_l("请阅读并同意用户协议与隐私政策"))],
    )


class AcceptForm(Form):
    """Accepting the versions in force of the user agreement and the privacy policy."""

    agree = BooleanField(
        _l("我已阅读并同意现行的用户服务协议和隐私政策"),
        validators=[DataRequired(_l("请勾选同意后再继续；如不同意，可以退出登录"))],
    )
