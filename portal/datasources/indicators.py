"""Derived indicators (可用不可见): what a bank sees of a record when the firm has not
authorised the full records — bands, counts and conclusions, never the figures of the returns.

Pure functions of a source's `data` (docs/exchange-api.md) and the day: no session, no Flask
beyond the translation of the labels. A value the record gives badly is left out rather than
guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.datasources.sources import Source
from portal.enums import QUALIFICATION_LABELS, REGISTRY_STATUS_LABELS

Indicator = tuple[str, str]  # (label, value text)
Bands = Sequence[tuple[int | None, object]]  # (upper bound in yuan, exclusive; None: no bound)

# Tax paid over 12 or 24 months, and the amounts of open enforcement cases.
AMOUNT_BANDS: Bands = (
    (100_000, _l("10 万元以下")),
    (500_000, _l("10–50 万元")),
    (1_000_000, _l("50–100 万元")),
    (5_000_000, _l("100–500 万元")),
    (None, _l("500 万元以上")),
)
# Revenue from the last year's returns.
REVENUE_BANDS: Bands = (
    (5_000_000, _l("500 万元以下")),
    (20_000_000, _l("500–2000 万元")),
    (100_000_000, _l("2000 万元–1 亿元")),
    (400_000_000, _l("1–4 亿元")),
    (None, _l("4 亿元以上")),
)
# Labels of the fields of the full records, for the table a bank sees when the firm allows it.
FIELD_LABELS: dict[str, object] = {
    "name": _l("企业名称"),
    "legal_representative": _l("法定代表人"),
    "registered_capital": _l("注册资本（元）"),
    "established_on": _l("成立日期"),
    "region_code": _l("登记地区代码"),
    "industry_code": _l("行业代码"),
    "status": _l("状态"),
    "credit_grade": _l("纳税信用等级"),
    "grade_year": _l("评价年度"),
    "revenue": _l("营业收入（元）"),
    "tax_paid_12m": _l("近12个月纳税额（元）"),
    "tax_paid_24m": _l("近24个月纳税额（元）"),
    "months": _l("逐月参保人数"),
    "month": _l("月份"),
    "insured": _l("参保人数"),
    "items": _l("资质证书"),
    "kind": _l("类别"),
    "certificate_no": _l("证书编号"),
    "valid_from": _l("有效期起"),
    "valid_to": _l("有效期至"),
    "dishonest": _l("失信被执行人"),
    "cases": _l("执行案件"),
    "case_no": _l("案号"),
    "amount": _l("金额（元）"),
    "filed_on": _l("立案日期"),
}


def field_label(key: str) -> str:
    """A field of a full record in words, or the key itself when it has no label."""
    return str(FIELD_LABELS.get(key, key))


def band(amount: Decimal, bands: Bands) -> str:
    """The text of the band the amount (yuan) falls in; lower bounds are inclusive."""
    for upper, text in bands:
        if upper is None or amount < upper:
            return str(text)
    raise ValueError("bands must end with an open band")


def derive(source: Source, data: Mapping[str, Any], today: dt.date) -> list[Indicator]:
    """The indicators a bank may see of one source's record on `today`."""
    return _DERIVERS[source](data, today)


def _registry(data: Mapping[str, Any], today: dt.date) -> list[Indicator]:
    found: list[Indicator] = []
    status = data.get("status")
    if isinstance(status, str):
        found.append((_("登记状态"), str(REGISTRY_STATUS_LABELS.get(status, status))))
    established = _date(data.get("established_on"))
    if established is not None and established <= today:
        years = _whole_years(established, today)
        found.append((_("成立年限"), _("%(n)s 年", n=years)))
    return found


def _tax(data: Mapping[str, Any], _today: dt.date) -> list[Indicator]:
    found: list[Indicator] = []
    grade, year = data.get("credit_grade"), data.get("grade_year")
    if isinstance(grade, str) and grade:
        text = _("%(grade)s 级（%(year)s 年度）", grade=grade, year=year) if year else grade
        found.append((_("纳税信用等级"), text))
    for key, label, bands in (
        ("tax_paid_12m", _("近12个月纳税额"), AMOUNT_BANDS),
        ("tax_paid_24m", _("近24个月纳税额"), AMOUNT_BANDS),
        ("revenue", _("上年营业收入"), REVENUE_BANDS),
    ):
        amount = _money(data.get(key))
        if amount is not None:
            found.append((label, band(amount, bands)))
    return found


def _social_insurance(data: Mapping[str, Any], _today: dt.date) -> list[Indicator]:
    months = data.get("months")
    if not isinstance(months, list) or not months or not isinstance(months[-1], dict):
        return []
    latest = months[-1]
    insured = latest.get("insured")
    if not isinstance(insured, int) or isinstance(insured, bool) or insured < 0:
        return []
    label = _("参保人数（%(month)s）", month=latest.get("month") or "—")
    return [(label, _("%(n)s 人", n=insured))]


def _qualifications(data: Mapping[str, Any], today: dt.date) -> list[Indicator]:
    found: list[Indicator] = []
    for item in data.get("items") or []:
        if not isinstance(item, dict) or item.get("kind") not in QUALIFICATION_LABELS:
            continue
        valid_to = _date(item.get("valid_to"))
        state = _("有效") if valid_to is not None and valid_to >= today else _("已过期")
        found.append((str(QUALIFICATION_LABELS[item["kind"]]), state))
    return found or [(_("资质认定"), _("无在册资质"))]


def _courts(data: Mapping[str, Any], _today: dt.date) -> list[Indicator]:
    found: list[Indicator] = []
    dishonest = data.get("dishonest")
    if isinstance(dishonest, bool):
        found.append((_("失信被执行人记录"), _("有") if dishonest else _("无")))
    cases = data.get("cases")
    if isinstance(cases, list):
        open_cases = [c for c in cases if isinstance(c, dict) and c.get("status") == "open"]
        found.append((_("未结执行案件"), _("%(n)s 件", n=len(open_cases))))
        amounts = [_money(case.get("amount")) for case in open_cases]
        if open_cases and all(amount is not None for amount in amounts):
            total = sum((a for a in amounts if a is not None), Decimal(0))
            found.append((_("未结执行金额"), band(total, AMOUNT_BANDS)))
    return found


_DERIVERS: dict[Source, Callable[[Mapping[str, Any], dt.date], list[Indicator]]] = {
    Source.REGISTRY: _registry,
    Source.TAX: _tax,
    Source.SOCIAL_INSURANCE: _social_insurance,
    Source.QUALIFICATIONS: _qualifications,
    Source.COURTS: _courts,
}


def _money(value: Any) -> Decimal | None:
    """A decimal string of yuan (or a number), or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _whole_years(start: dt.date, today: dt.date) -> int:
    """Completed years from `start` to `today`."""
    return today.year - start.year - ((today.month, today.day) < (start.month, start.day))
