"""Compiled rules per rule version, compiled once per process.

A RuleVersion never changes after it is written, so its id is a safe cache key.

A stored version that no longer validates (saved before a check existed, e.g. a constant out
of the rule language's range) still compiles here, into rules that cannot be evaluated: its
eligibility fails for everyone with a "cannot be evaluated" explanation, it has no instant
approval and no formula, and `problem` says why. So the match, the product page and the trial
skip that product instead of failing, and `portal.catalog.rule_health` tells its owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache

from portal.catalog.models import RuleVersion
from portal.rules import CompiledFormula, CompiledRule, RuleError, compile_formula, compile_rule
from portal.rules.compiler import unevaluable_rule

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CompiledRules:
    version_id: int
    version: int
    eligibility: CompiledRule
    instant_approval: CompiledRule | None
    formula: CompiledFormula | None
    problem: str | None = None  # why the stored rules cannot be evaluated; None when they can


def compiled(version: RuleVersion) -> CompiledRules:
    """The compiled form of a stored rule version."""
    return _compile(
        version.id, version.version, version.eligibility, version.instant_approval, version.formula
    )


@lru_cache(maxsize=4096)
def _compile(
    version_id: int,
    number: int,
    eligibility: str,
    instant_approval: str | None,
    formula: str | None,
) -> CompiledRules:
    try:
        return CompiledRules(
            version_id=version_id,
            version=number,
            eligibility=compile_rule(eligibility or ""),
            instant_approval=compile_rule(instant_approval) if instant_approval else None,
            formula=compile_formula(formula) if formula else None,
        )
    except RuleError as error:
        return CompiledRules(
            version_id=version_id,
            version=number,
            eligibility=unevaluable_rule(eligibility or ""),
            instant_approval=None,
            formula=None,
            problem=str(error),
        )


def pre_approved_limit(value: Decimal | None, ceiling: Decimal) -> Decimal | None:
    """秒批's limit: the formula's value (or the ceiling, without a formula) capped at the ceiling.

    None unless it is above zero: a pre-approval always names a limit, so a formula that gives
    none for a firm (undefined, out of range, zero or negative) approves nothing.
    """
    limit = ceiling if value is None else min(value, ceiling)
    limit = limit.quantize(CENT, rounding=ROUND_DOWN)
    return limit if limit > 0 else None
