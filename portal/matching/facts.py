"""The facts a rule sees, built from a firm, a need and the pricing of a product.

Types follow the rule registry: money, numbers and rates as Decimal, counts as int, enumerations
as str, qualifications as a frozenset of str.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from portal.firms.models import Firm

ZERO = Decimal(0)


def firm_facts(firm: Firm, today: dt.date) -> dict[str, Any]:
    """Facts about a firm, as of `today`."""
    return profile_facts(
        region_code=firm.region_code,
        industry_code=firm.industry_code,
        size_class=str(firm.size_class),
        years_in_business=firm.years_in_business(today),
        employees=firm.employees,
        revenue=firm.revenue,
        total_assets=firm.total_assets,
        tax_credit_grade=str(firm.tax_credit_grade),
        qualifications=firm.qualifications or (),
        registry_status=firm.registry_status,
        tax_paid_12m=firm.tax_paid_12m,
        tax_paid_24m=firm.tax_paid_24m,
        court_records=firm.court_records or (),
        enforcement_amount=firm.enforcement_amount,
    )


def profile_facts(
    *,
    region_code: str,
    industry_code: str,
    size_class: str,
    years_in_business: int,
    employees: int,
    revenue: Decimal,
    total_assets: Decimal,
    tax_credit_grade: str,
    qualifications: Any,
    registry_status: str = "active",
    tax_paid_12m: Decimal = ZERO,
    tax_paid_24m: Decimal = ZERO,
    court_records: Any = (),
    enforcement_amount: Decimal = ZERO,
) -> dict[str, Any]:
    """Firm facts from plain values (a sample firm typed into a form, or a firm row).

    The exchange-only facts default to a firm in good standing with nothing on record.
    """
    return {
        "region_code": region_code,
        "industry_code": industry_code,
        "industry_division": industry_code[:2],
        "size_class": size_class,
        "years_in_business": int(years_in_business),
        "employees": int(employees),
        "revenue": Decimal(revenue),
        "total_assets": Decimal(total_assets),
        "tax_credit_grade": tax_credit_grade,
        "qualifications": frozenset(qualifications),
        "registry_status": str(registry_status),
        "tax_paid_12m": Decimal(tax_paid_12m),
        "tax_paid_24m": Decimal(tax_paid_24m),
        "court_records": frozenset(court_records),
        "enforcement_amount": Decimal(enforcement_amount),
    }


def need_facts(
    *, amount: Decimal, term_months: int, guarantee_type: str, purpose: str = ""
) -> dict[str, Any]:
    """Facts about a financing need."""
    return {
        "amount": Decimal(amount),
        "term_months": int(term_months),
        "guarantee_type": str(guarantee_type),
        "purpose": purpose or "",
    }


def pricing_facts(
    *, rate: Decimal, lpr_one_year: Decimal | None, guarantee_fee_rate: Decimal
) -> dict[str, Any]:
    """Facts about a loan's price; a missing LPR counts as zero so rules never see None."""
    return {
        "rate": Decimal(rate),
        "lpr_one_year": Decimal(lpr_one_year or 0),
        "guarantee_fee_rate": Decimal(guarantee_fee_rate),
    }
