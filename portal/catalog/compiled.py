"""Compiled rules per rule version, compiled once per process.

A RuleVersion never changes after it is written, so its id is a safe cache key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from portal.catalog.models import RuleVersion
from portal.rules import CompiledFormula, CompiledRule, compile_formula, compile_rule


@dataclass(frozen=True)
class CompiledRules:
    version_id: int
    version: int
    eligibility: CompiledRule
    instant_approval: CompiledRule | None
    formula: CompiledFormula | None


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
    return CompiledRules(
        version_id=version_id,
        version=number,
        eligibility=compile_rule(eligibility or ""),
        instant_approval=compile_rule(instant_approval) if instant_approval else None,
        formula=compile_formula(formula) if formula else None,
    )
