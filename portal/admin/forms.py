"""Admin forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.admin.calendar_notice import MAX_LINES
from portal.enums import ROLE_LABELS
from portal.forms import Form, NumberField, WholeNumberField
from portal.numbers import CALENDAR_YEAR, RATE_PERCENT


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
    reason = StringField(
        _l("更正原因"),
        validators=[Optional(), Length(max=200, message=_l("原因不能超过 200 个字"))],
        description=_l("新录入时不必填写；更正或恢复已有日期的记录时必须填写"),
    )


class LprWithdrawForm(Form):
    reason = StringField(
        _l("撤回原因"),
        validators=[
            InputRequired(_l("请填写撤回原因")),
            Length(max=200, message=_l("原因不能超过 200 个字")),
        ],
    )


class CalendarNoticeForm(Form):
    """A year's holiday notice: its reference and one line per holiday period or worked day."""

    year = WholeNumberField(
        _l("年份"),
        quantity=CALENDAR_YEAR,
        validators=[InputRequired(_l("请填写通知所属的年份，如 2027"))],
    )
    notice = StringField(
        _l("通知文号"),
        description=_l("如 国办发明电〔2025〕7号"),
        validators=[
            InputRequired(_l("请填写通知文号")),
            Length(max=120, message=_l("通知文号最长 120 个字")),
        ],
    )
    lines = TextAreaField(
        _l("放假和调休安排"),
        description=_l(
            "每行一项，最多 %(max)s 行：放假写“2027-02-06 至 2027-02-13 春节”或"
            "“2027-04-05 清明节”，调休上班写“2027-02-14 上班”。保存后替换该年原先录入的全部安排。",
            max=MAX_LINES,
        ),
        render_kw={"rows": 14},
        validators=[
            InputRequired(_l("请填写放假和调休安排")),
            Length(max=4000, message=_l("安排最长 4000 个字")),
        ],
    )

    def validate_notice(self, field: StringField) -> None:
        if not field.data.strip():
            raise ValidationError(str(_l("请填写通知文号")))


class CalendarYearFilter(Form):
    """The year the calendar page shows (?year=2027); a bad value shows the default year."""

    class Meta:
        csrf = False  # a GET choice changes nothing

    year = WholeNumberField(_l("年份"), quantity=CALENDAR_YEAR, validators=[Optional()])


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


class SettingForm(Form):
    """One setting's new value, as typed (checked by the setting itself, which knows its range)."""

    value = StringField(
        _l("新值"), validators=[Length(max=40, message=_l("请输入不超过 40 个字符"))]
    )
