"""Labels of the recorded actions (audit/actions.py), object types and detail keys, for pages.

A page shows an entry by these: never its action code or its detail as JSON.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.audit.actions import ACTION_LABELS

OBJECT_LABELS: dict[str, object] = {
    "User": _l("用户"),
    "Firm": _l("企业"),
    "GuaranteeProduct": _l("担保产品"),
    "GuaranteeRequest": _l("担保申请"),
    "Compensation": _l("代偿"),
    "IdentityLetter": _l("授权委托书"),
    "FactDispute": _l("数据异议"),
    "DataAuthorisation": _l("政务数据授权"),
    "DataQuery": _l("政务数据查询"),
    "FinancingNeed": _l("融资需求"),
    "Lead": _l("线索"),
    "Loan": _l("贷款"),
    "BankProduct": _l("银行产品"),
    "PolicyProduct": _l("政策产品"),
    "FinancialInstitution": _l("金融机构"),
    "LoanStatusReport": _l("贷款月报"),
    "LoanReportUpload": _l("月报文件"),
    "MonthlyReport": _l("月度报告"),
    "LprRate": _l("LPR"),
    "CompensationClaim": _l("风险补偿申请"),
    "SettlementBatch": _l("贴息批次"),
    "SettlementLine": _l("贴息明细"),
}


def action_label(action: str) -> str:
    """The action's Chinese label, or its code when it has none."""
    label = ACTION_LABELS.get(action)  # a StrEnum member is found by its code
    return action if label is None else str(label)


def object_label(object_type: str | None) -> str:
    """The object type's Chinese label, or its name when it has none."""
    if object_type is None:
        return ""
    return str(OBJECT_LABELS.get(object_type, object_type))


# The detail keys entries record most; any other is shown by its own name.
DETAIL_LABELS: dict[str, object] = {
    "reason": _l("原因"),
    "period": _l("月份"),
    "lead": _l("线索"),
    "need": _l("需求"),
    "loan": _l("贷款"),
    "policy": _l("政策"),
    "product": _l("产品"),
    "bank_product": _l("产品"),
    "institution": _l("机构"),
    "firm": _l("企业"),
    "kind": _l("类型"),
    "amount": _l("金额"),
    "total": _l("合计"),
    "rate": _l("利率"),
    "term": _l("期限"),
    "role": _l("角色"),
    "filename": _l("文件名"),
    "year": _l("年份"),
    "source": _l("来源"),
    "rule_version": _l("规则版本"),
    "new_rule_version": _l("新规则版本"),
    "before": _l("修改前"),
    "after": _l("修改后"),
    "fields": _l("修改的字段"),
    "changed": _l("修改的字段"),
    "rows": _l("行数"),
    "eligible": _l("匹配的产品数"),
    "link": _l("页面"),
    "note": _l("备注"),
    "language": _l("语言"),
}

# A page shows at most this many pairs of an entry, each value cut to this many characters:
# the whole detail is in the CSV export.
DETAIL_MAX_ITEMS = 12
DETAIL_MAX_CHARS = 120
PARSED_MAX_CHARS = 2000


def detail_items(detail: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """An entry's detail as (label, text) pairs in key order, bounded in number and length."""
    items = sorted((detail or {}).items())
    shown = [(detail_key_label(key), _cut(detail_text(value))) for key, value in items]
    if len(shown) > DETAIL_MAX_ITEMS:
        hidden = len(shown) - DETAIL_MAX_ITEMS + 1
        shown = shown[: DETAIL_MAX_ITEMS - 1] + [("…", _("另有 %(n)s 项，见导出文件", n=hidden))]
    return shown


def detail_key_label(key: str) -> str:
    """A detail key's label, or the key itself."""
    label = DETAIL_LABELS.get(key)
    return key if label is None else str(label)


def detail_text(value: Any) -> str:
    """A detail value as plain text; a mapping or list (or one recorded as its repr) as pairs."""
    if isinstance(value, str):
        value = _parsed(value)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Mapping):
        return "；".join(f"{detail_key_label(str(k))}: {detail_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return "、".join(detail_text(v) for v in value)
    return str(value)


def _parsed(text: str) -> Any:
    """Entries recorded before details kept mappings as JSON hold a dict or list by its repr:
    read it back (a literal only, and a short one) to show it as pairs."""
    stripped = text.strip()
    if len(stripped) > PARSED_MAX_CHARS:
        return text
    if (stripped[:1], stripped[-1:]) not in (("{", "}"), ("[", "]")):
        return text
    try:
        value = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
    return value if isinstance(value, dict | list) else text


def _cut(text: str) -> str:
    return text if len(text) <= DETAIL_MAX_CHARS else text[: DETAIL_MAX_CHARS - 1] + "…"
