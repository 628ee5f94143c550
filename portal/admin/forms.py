"""Admin forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from portal.enums import ROLE_LABELS
from portal.forms import Form, NumberField
from portal.numbers import RATE_PERCENT


class LprForm(Form):
    effective_on = DateField(
        _l("生效日期"), validators=[InputRequired(_l("请填写生效日期，格式 2026-11-20"))]
    )
    one_year = NumberField(
        _l("1 年期 LPR（%）"),
        quantity=RATE_PERCENT,
        places=4,
        validators=[
            InputRequired(_l("请填写 1 年期 LPR，如 3.00")),
            NumberRange(min=0, max=20, message=_l("利率应在 0%% 到 20%% 之间")),
        ],
    )
    over_five_years = NumberField(
        _l("5 年期以上 LPR（%）"),
        quantity=RATE_PERCENT,
        places=4,
        validators=[
            InputRequired(_l("请填写 5 年期以上 LPR，如 3.50")),
            NumberRange(min=0, max=20, message=_l("利率应在 0%% 到 20%% 之间")),
        ],
    )


class UserFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("姓名或邮箱"), validators=[Optional()])
    role = SelectField(
        _l("角色"),
        choices=[("", _l("全部角色"))] + list(ROLE_LABELS.items()),
        validators=[Optional()],
    )


class ConfirmForm(Form):
    """An empty form: just the CSRF token for a button that changes state."""
