"""The exchange's sources: what each gives, how long its facts stay fresh, how long to wait."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Source(StrEnum):
    REGISTRY = "registry"  # 市场监管
    TAX = "tax"  # 税务
    SOCIAL_INSURANCE = "social_insurance"  # 社保
    QUALIFICATIONS = "qualifications"  # 工信、科技
    COURTS = "courts"  # 法院


SOURCE_LABELS = {
    Source.REGISTRY: _l("市场监管（工商登记）"),
    Source.TAX: _l("税务"),
    Source.SOCIAL_INSURANCE: _l("社会保险"),
    Source.QUALIFICATIONS: _l("资质认定（工信、科技）"),
    Source.COURTS: _l("法院（失信与执行）"),
}

# The path segment of each source under /v1/firms/{code}/.
PATHS = {
    Source.REGISTRY: "registry",
    Source.TAX: "tax",
    Source.SOCIAL_INSURANCE: "social-insurance",
    Source.QUALIFICATIONS: "qualifications",
    Source.COURTS: "courts",
}

# Seconds to wait for one answer: the registry and courts answer from indexes, the tax and
# social-insurance bureaus assemble records.
TIMEOUTS = {
    Source.REGISTRY: 2.0,
    Source.TAX: 3.0,
    Source.SOCIAL_INSURANCE: 3.0,
    Source.QUALIFICATIONS: 2.0,
    Source.COURTS: 2.0,
}

# How long a fact stays fresh after its as-of date (DESIGN.md): registry and courts a week,
# social insurance and tax paid (monthly returns) two months, qualification lists a month. The
# tax grade and its year's revenue are fresh while the grade is the current assessment year's.
FRESH_FOR = {
    Source.REGISTRY: dt.timedelta(days=7),
    Source.COURTS: dt.timedelta(days=7),
    Source.SOCIAL_INSURANCE: dt.timedelta(days=62),
    Source.QUALIFICATIONS: dt.timedelta(days=31),
    Source.TAX: dt.timedelta(days=62),
}

# Registers that say how things stand now: a record the exchange gives again unchanged is
# current on the day it was given (the firm's `facts_checked_at`). Tax returns and insured
# months are periodic figures: they age from their own as-of date however often they are read.
CONFIRMED_BY_CHECKING = frozenset({Source.REGISTRY, Source.COURTS, Source.QUALIFICATIONS})

# Tax credit grades for year Y are published by the tax bureau in April of Y+1.
GRADES_PUBLISHED_MONTH = 4


def current_assessment_year(today: dt.date) -> int:
    """The latest year whose tax credit grades are published on `today`."""
    return today.year - 1 if today.month >= GRADES_PUBLISHED_MONTH else today.year - 2


def is_fresh(source: Source, as_of: dt.date, today: dt.date, grade_year: int | None = None) -> bool:
    """Whether a fact of `source` current on `as_of` may still decide on `today`."""
    if source == Source.TAX and grade_year is not None:
        return grade_year >= current_assessment_year(today)
    return today - as_of <= FRESH_FOR[source]
