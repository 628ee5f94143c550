"""Labels of the recorded actions (audit/actions.py) and object types, for the search page."""

from __future__ import annotations

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
