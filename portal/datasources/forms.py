"""The firm's authorisation form and the bank's query form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import InputRequired, NumberRange, StopValidation

from portal.datasources.authorisations import DEFAULT_DAYS, MAX_DAYS, PURPOSES
from portal.datasources.models import DataAuthorisation
from portal.datasources.sources import SOURCE_LABELS, Source
from portal.firms.forms import MultiCheckboxField
from portal.forms import ChoiceField, Form, WholeNumberField
from portal.numbers import DAYS

DERIVED, FULL = "derived", "full"


def _some_source(_form: Any, field: Any) -> None:
    """At least one box ticked (not DataRequired: its `required` flag would mark every box)."""
    if not field.data:
        raise StopValidation(str(_l("请至少选择一类数据")))


def _source_choices() -> list[tuple[str, object]]:
    return [(source.value, SOURCE_LABELS[source]) for source in Source]


class AuthorisationForm(Form):
    sources = MultiCheckboxField(
        _l("授权银行查询的数据"),
        choices=_source_choices(),
        default=[source.value for source in Source],
        validators=[_some_source],
    )
    scope = ChoiceField(
        _l("银行可以看到"),
        choices=[
            (DERIVED, _l("仅衍生指标（可用不可见）：纳税额区间、参保人数、有无失信记录等")),
            (FULL, _l("完整记录：各部门返回的原始数据")),
        ],
        default=DERIVED,
    )
    days = WholeNumberField(
        _l("授权期限（天）"),
        quantity=DAYS,
        default=DEFAULT_DAYS,
        description=_l("1 至 365 天，默认 90 天；可以随时撤回"),
        validators=[
            InputRequired(_l("请填写授权期限，1 至 365 天")),
            NumberRange(min=1, max=MAX_DAYS, message=_l("授权期限应在 1 至 365 天之间")),
        ],
    )

    def full_records(self) -> bool:
        return self.scope.data == FULL

    def start_from(self, authorisation: DataAuthorisation) -> None:
        """Offer the authorisation in force as the starting point of a new one."""
        self.sources.data = list(authorisation.sources or [])
        self.scope.data = FULL if authorisation.full_records else DERIVED


class DataQueryForm(Form):
    source = ChoiceField(_l("查询的数据"), choices=_source_choices())
    purpose = ChoiceField(
        _l("查询用途"), choices=[(code, label) for code, label in PURPOSES.items()]
    )

    def chosen_source(self) -> Source:
        return Source(self.source.data)
