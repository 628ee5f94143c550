"""Re-match every registered firm against one rule: how many firms a policy would reach.

Government staff ask this of a draft policy ("what-if") before publishing it, and it runs over
the whole province (a quarter of a million firms). Loading each firm as an ORM object and
building its facts one by one spends most of the time in the ORM, so this reads only the
columns the firm facts come from, in one select streamed in batches (`yield_per`), and tests
each row with the rule's compiled predicate. It keeps counts only, never the firms' identities.

Only the rule's firm conditions are tested: before a firm applies there is no amount, term or
price, so clauses about those are decided when it does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, cast, select, type_coerce
from sqlalchemy.orm import Session

from portal.firms.models import Firm, whole_years
from portal.rules import CompiledRule, FactSource

Facts = dict[str, Any]
BATCH = 10_000

# What each firm fact is read from: a column of its own, or a function of another column's
# value (computed once per distinct value: firms share founding dates, industries and sets of
# qualifications). Enumerations are read as their stored strings and JSON as its text, so that
# no per-row type conversion runs; the facts are the same as portal.matching.facts.firm_facts.
COLUMNS: dict[str, ColumnElement[Any]] = {
    "region_code": Firm.region_code,
    "industry_code": Firm.industry_code,
    "size_class": type_coerce(Firm.size_class, String),
    "established_on": Firm.established_on,
    "employees": Firm.employees,
    "revenue": Firm.revenue,  # Numeric: Decimal on every database
    "total_assets": Firm.total_assets,
    "tax_credit_grade": type_coerce(Firm.tax_credit_grade, String),
    "qualifications": cast(Firm.qualifications, String),
    "registry_status": Firm.registry_status,
    "tax_paid_12m": Firm.tax_paid_12m,
    "tax_paid_24m": Firm.tax_paid_24m,
    "court_records": cast(Firm.court_records, String),
    "enforcement_amount": Firm.enforcement_amount,
}
DERIVED: dict[str, tuple[str, Callable[[dt.date], Callable[[Any], Any]]]] = {
    "industry_division": ("industry_code", lambda today: lambda code: code[:2]),
    "years_in_business": ("established_on", lambda today: lambda day: whole_years(day, today)),
    "qualifications": ("qualifications", lambda today: _json_set),
    "court_records": ("court_records", lambda today: _json_set),
}
FIRM_FACTS = frozenset(name for name in COLUMNS if name != "established_on") | frozenset(DERIVED)
# The what-if counts firms by city and size class, whatever the rule reads.
COUNTED = frozenset({"region_code", "size_class"})


@dataclass
class EligibleFirms:
    """How many registered firms a rule admits, in total, by city and by size class."""

    total: int = 0
    eligible: int = 0
    by_region: Counter[str] = field(default_factory=Counter)
    by_size: Counter[str] = field(default_factory=Counter)


def firm_conditions(rule: CompiledRule) -> Callable[[Facts], bool]:
    """The rule's clauses that read firm facts only, as one test (all firms pass if none)."""
    tests = tuple(
        clause.test
        for clause in rule.clauses
        if all(fact.source == FactSource.FIRM for fact in clause.facts)
    )

    def all_firm_conditions(facts: Facts) -> bool:
        for test in tests:  # noqa: SIM110 - all() over a generator is slower here
            if not test(facts):
                return False
        return True

    return all_firm_conditions


def count_eligible_firms(
    session: Session, rule: CompiledRule, today: dt.date, batch: int = BATCH
) -> EligibleFirms:
    """Test every registered firm against the rule's firm conditions, reading firms in batches."""
    test = firm_conditions(rule)
    result = EligibleFirms()
    by_region, by_size = result.by_region, result.by_size
    needed = (rule.facts_used & FIRM_FACTS) | COUNTED
    for facts in stream_firm_facts(session, today, needed, batch):
        result.total += 1
        if test(facts):
            result.eligible += 1
            by_region[facts["region_code"]] += 1
            by_size[facts["size_class"]] += 1
    return result


def stream_firm_facts(
    session: Session,
    today: dt.date,
    facts: Iterable[str] = FIRM_FACTS,
    batch: int = BATCH,
) -> Iterator[Facts]:
    """Every firm's facts as of `today` (only those named), from one select read in batches."""
    wanted = set(facts)
    plain = [name for name in COLUMNS if name in wanted and name not in DERIVED]
    derived = [(name, *DERIVED[name]) for name in DERIVED if name in wanted]
    read = plain + [source for _, source, _ in derived if source not in plain]
    position = {name: index for index, name in enumerate(read)}
    conversions = [
        (name, position[source], _per_distinct_value(make(today))) for name, source, make in derived
    ]
    names = plain  # the plain facts are the first columns of each row, in this order
    # Core rather than the ORM's execute: plain rows, no ORM loading step per row.
    rows = session.connection().execute(
        select(*(COLUMNS[name].label(name) for name in read)).execution_options(
            stream_results=True, yield_per=batch
        )
    )
    for chunk in rows.partitions():
        for row in chunk:
            found = dict(zip(names, row, strict=False))
            for name, index, convert in conversions:
                found[name] = convert(row[index])
            yield found


def _per_distinct_value(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`function`, computed once per distinct argument."""
    results: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        try:
            return results[value]
        except KeyError:
            results[value] = found = function(value)
            return found

    return cached


def _json_set(text: str | None) -> frozenset[str]:
    """A set of codes (qualifications, court records) from the JSON text of its list."""
    return frozenset(json.loads(text)) if text else frozenset()
