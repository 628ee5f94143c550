"""The rule language: eligibility rules and formulas written as data, checked and explained.

Rules are parsed with a strict whitelist (never executed as Python), type-checked against the
fact registry when saved, compiled once into closures, and explained clause by clause in
Chinese. See docs/rules.md.
"""

from portal.rules.compiler import (
    ClauseFailure,
    CompiledFormula,
    CompiledRule,
    Outcome,
    compile_formula,
    compile_rule,
    describe_rule,
    rule_sentences,
)
from portal.rules.errors import RuleError
from portal.rules.facts import FACTS, Fact, FactSource, FactType

__all__ = [
    "FACTS",
    "ClauseFailure",
    "CompiledFormula",
    "CompiledRule",
    "Fact",
    "FactSource",
    "FactType",
    "Outcome",
    "RuleError",
    "compile_formula",
    "compile_rule",
    "describe_rule",
    "rule_sentences",
]
