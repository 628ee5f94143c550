"""Time CompiledRule.check() of a typical 8-clause eligibility rule over 100,000 fact dicts.

Run from the project root: .venv/bin/python -m bench.rules_bench
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from portal.rules import compile_rule

RULE = """
tax_credit_grade in ["A", "B", "M"]
and years_in_business >= 2
and size_class in ["small", "micro"]
and region_code in ["350100", "350200", "350500", "350600"]
and revenue >= 1000000
and amount <= 3000000
and 3 <= term_months <= 36
and guarantee_type in ["credit", "guarantee_agency"]
"""
FIRMS = 100_000
ROUNDS = 5


def make_facts(rng: random.Random) -> dict[str, object]:
    """One firm-and-need fact dict with values spread so that clauses fail at every position."""
    return {
        "region_code": rng.choice(["350100", "350200", "350300", "350500", "350600", "350700"]),
        "industry_code": rng.choice(["1311", "3911", "5211", "6513"]),
        "industry_division": rng.choice(["13", "39", "52", "65"]),
        "size_class": rng.choice(["medium", "small", "micro", "micro"]),
        "years_in_business": rng.randint(0, 30),
        "employees": rng.randint(1, 500),
        "revenue": Decimal(rng.randint(0, 50_000_000_00)) / 100,
        "total_assets": Decimal(rng.randint(0, 80_000_000_00)) / 100,
        "tax_credit_grade": rng.choice("AABBMCD"),
        "qualifications": frozenset(rng.sample(["high_tech", "specialised", "green"], 1)),
        "amount": Decimal(rng.randint(10, 500)) * 10000,
        "term_months": rng.choice([6, 12, 24, 36, 48]),
        "guarantee_type": rng.choice(["credit", "mortgage", "guarantee_agency"]),
        "purpose": "流动资金",
        "rate": Decimal("3.85"),
        "lpr_one_year": Decimal("3.45"),
        "guarantee_fee_rate": Decimal("1.0"),
    }


def best_of(rounds: int, run) -> float:
    """The fastest of several timed runs, in seconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print µs per evaluation for check(), the bare predicate and evaluate()."""
    rng = random.Random(2023)  # noqa: S311 - seeded test data, not security-sensitive
    facts = [make_facts(rng) for _ in range(FIRMS)]
    rule = compile_rule(RULE)
    check, predicate = rule.check, rule.predicate
    passing = sum(check(f) for f in facts)
    loop = best_of(ROUNDS, lambda: [None for f in facts])
    checked = best_of(ROUNDS, lambda: [check(f) for f in facts])
    bare = best_of(ROUNDS, lambda: [predicate(f) for f in facts])
    # Worst case: firms that pass run every clause (failing ones stop at the first failure).
    passers = [f for f in facts if check(f)]
    passers = (passers * (FIRMS // len(passers) + 1))[:FIRMS]
    all_clauses = best_of(ROUNDS, lambda: [check(f) for f in passers])
    explained = best_of(1, lambda: [rule.evaluate(f) for f in facts[:10_000]])
    per = 1e6 / FIRMS
    print(f"{len(rule.clauses)} clauses, {FIRMS:,} fact dicts, {passing:,} pass")
    print(f"check():     {(checked - loop) * per:.2f} µs per evaluation")
    print(f"predicate(): {(bare - loop) * per:.2f} µs per evaluation")
    print(f"check(), passing firms only (all clauses run): {(all_clauses - loop) * per:.2f} µs")
    print(f"evaluate():  {explained * 1e6 / 10_000:.2f} µs per evaluation (with explanations)")


if __name__ == "__main__":
    main()
