"""Which profile fields are verified and which are the firm's own word, for forms and pages.

A verified field (one `Firm.verified_fields` names) is shown with its source, as-of date and
reference and cannot be edited: the profile form drops it, so a value posted for it is never
read. The firm may dispute it instead. The 涉农 and 绿色 labels have no list to check them
against: they stay declared even when the certified qualifications are verified.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.datasources.verification import CERTIFIED
from portal.enums import QUALIFICATION_LABELS
from portal.firms.models import Firm

# The profile's fields in the order pages show them, with their names for people.
FIELD_LABELS: Mapping[str, Any] = {
    "name": _l("企业名称"),
    "legal_representative": _l("法定代表人"),
    "region_code": _l("所在地市"),
    "industry_code": _l("所属行业"),
    "established_on": _l("成立日期"),
    "employees": _l("从业人员"),
    "revenue": _l("上年营业收入"),
    "total_assets": _l("资产总额"),
    "tax_credit_grade": _l("纳税信用等级"),
    "qualifications": _l("资质认定"),
    "registry_status": _l("登记状态"),
    "tax_paid_12m": _l("近12个月纳税额"),
    "tax_paid_24m": _l("近24个月纳税额"),
    "court_records": _l("司法记录"),
    "enforcement_amount": _l("未结执行标的"),
}
# The profile form's field for each profile field (money is typed in 万元).
FORM_FIELDS: Mapping[str, str] = {
    "revenue": "revenue_wan",
    "total_assets": "total_assets_wan",
}
# Qualifications a firm declares, with no list to check them against.
DECLARED_QUALIFICATIONS = tuple(q for q in QUALIFICATION_LABELS if q not in CERTIFIED)


def verified(firm: Firm) -> dict[str, dict[str, Any]]:
    """The firm's verified fields and where each came from."""
    return {
        name: dict(provenance)
        for name, provenance in (firm.verified_fields or {}).items()
        if name in FIELD_LABELS and isinstance(provenance, dict)
    }


def is_disputable(firm: Firm, field: str) -> bool:
    """Whether the firm may dispute this field: a verified one."""
    return field in verified(firm)


def lock_verified(form: Any, firm: Firm) -> list[str]:
    """Take the verified fields out of the profile form; returns the ones taken out.

    Certified qualifications are verified but 涉农 and 绿色 are not: the qualifications field
    stays, offering only those two.
    """
    locked = []
    for name in verified(firm):
        if name == "qualifications":
            form.qualifications.choices = [
                (q, QUALIFICATION_LABELS[q]) for q in DECLARED_QUALIFICATIONS
            ]
            if not form.is_submitted():
                form.qualifications.data = declared_qualifications(firm)
            else:  # a certified kind posted anyway is ignored, like every verified value
                posted = form.qualifications.data or []
                form.qualifications.data = [q for q in posted if q in DECLARED_QUALIFICATIONS]
            locked.append(name)
            continue
        form_name = FORM_FIELDS.get(name, name)
        if form_name in form:
            del form[form_name]
            locked.append(name)
    return locked


def declared_profile(form: Any, firm: Firm) -> dict[str, Any]:
    """What the form may change: its remaining fields, the certified qualifications kept."""
    profile = form.profile_data()
    if "qualifications" in verified(firm):
        certified = [q for q in firm.qualifications or () if q in CERTIFIED]
        declared = [q for q in profile.get("qualifications", []) if q in DECLARED_QUALIFICATIONS]
        profile["qualifications"] = sorted(set(certified) | set(declared))
    return profile


def declared_qualifications(firm: Firm) -> list[str]:
    return [q for q in firm.qualifications or () if q in DECLARED_QUALIFICATIONS]
