"""Forms of interest-subsidy settlement: the batch list's filters and a line's adjustment.

Subsidy amounts are typed in yuan (元), to the fen: a month's subsidy on a loan is a few hundred
yuan, and the payment list is paid to the fen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.catalog.models import PolicyProduct
from portal.enums import SETTLEMENT_STATUS_LABELS, SettlementStatus
from portal.forms import Form, NumberField
from portal.numbers import MONEY_YUAN
from portal.reporting.forms import MonthField
from portal.subsidies.settlement import MAX_REASON

ALL = ""


class BatchFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    month = MonthField(_l("结算月份"), validators=[Optional()])
    policy = SelectField(_l("政策"), choices=[(ALL, _l("全部政策"))], validators=[Optional()])
    status = SelectField(
        _l("状态"),
        choices=[(ALL, _l("全部状态"))]
        + [(status.value, label) for status, label in SETTLEMENT_STATUS_LABELS.items()],
        validators=[Optional()],
    )

    def offer_policies(self, policies: Sequence[PolicyProduct]) -> None:
        self.policy.choices = [(ALL, _l("全部政策"))] + [(str(p.id), p.title) for p in policies]

    def filters(self) -> tuple[dt.date | None, int | None, SettlementStatus | None]:
        """The chosen month, policy and status; a value that does not parse filters nothing."""
        valid = self.validate()
        period = self.month.period if valid else None
        policy = int(self.policy.data) if valid and self.policy.data else None
        status = SettlementStatus(self.status.data) if valid and self.status.data else None
        return period, policy, status


class AdjustForm(Form):
    amount = NumberField(
        _l("调整后金额（元）"),
        quantity=MONEY_YUAN,
        places=2,
        parse_message=_l("调整后金额应为数字，单位元，如 416.67"),
        validators=[InputRequired(_l("请填写调整后金额，单位元，如 416.67"))],
    )
    reason = StringField(
        _l("调整原因"),
        description=_l("必填，将记入审计日志。最多 200 字"),
        validators=[
            DataRequired(_l("请填写调整原因")),
            Length(max=MAX_REASON, message=_l("调整原因最多 200 字")),
        ],
    )

    def decimal_amount(self) -> Decimal:
        return Decimal(self.amount.data)
