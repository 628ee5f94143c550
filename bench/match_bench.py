"""Time the matcher: one need against 1,000 and 10,000 published products, with explanations.

Run from the project root (rule-engine comes from bench/requirements.txt):

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python -m bench.match_bench

The catalogue is generated deterministically: 118 banks (the Fujian financial services cloud's
count), products of every kind with eligibility rules of 4 to 8 clauses drawn from the clauses
real products use, thresholds at the round figures banks publish (50 万元, 300 万元, 2 年 …),
an instant-approval rule and limit formula on about a third of them, and six policies. A second
catalogue draws every threshold at random instead (almost no two clauses alike): the matcher's
worst case, since it evaluates each distinct check once per match.

Timed per catalogue size, cycling through four representative firms and needs, with the garbage
collector paused as timeit does (and, for the matcher, again with it running):

- match(): every product decided; each distinct failed check recorded as a Reason (check and
  facts) in the match's table, from which each product's failed checks are read by one C-level
  itemgetter call; instant approvals with their limits; policies and subsidy-adjusted costs;
  the ranking. No Chinese string rendered yet.
- match() + every ineligible ProductMatch: the same, and each ineligible product's result
  object built with the tuple of its failed checks.
- match() + all explanation strings rendered: the same, and every string a results page shows
  for every product: each failed check's explanation and hint, the combined hint, the
  instant-approval reasons and hints (what portal.matching.services stores). No app context,
  as in bench/rules_bench.py: messages are the Chinese source, without Flask-Babel.
- naive loops, for comparison: each product's own terms and `check()` one by one (decisions
  only), and the same with `evaluate()` for every ineligible product (eager explanations).
- rule-engine: the same eligibility rules, translated to its syntax, `matches()` for the same
  firm and need (decisions only: no explanations, no product terms, no pricing).
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import rule_engine

from portal.catalog.compiled import CompiledRules
from portal.enums import BenefitKind, ProductKind
from portal.matching.engine import (
    Catalogue,
    CataloguePolicy,
    CatalogueProduct,
    MatchOutcome,
    match,
)
from portal.matching.facts import need_facts, profile_facts
from portal.rules import compile_formula, compile_rule

WAN = 10000
BANKS = 118
CITIES = ["350100", "350200", "350300", "350400", "350500", "350600", "350700", "350800", "350900"]
GUARANTEES = ["credit", "mortgage", "pledge", "guarantor", "guarantee_agency"]
KINDS = [kind.value for kind in ProductKind]
SIZES = {1_000: 200, 10_000: 50}  # products: timed runs per firm (at least)
RULE_ENGINE_RUNS = {1_000: 20, 10_000: 5}


# -- the catalogue ----------------------------------------------------------------------------


class Draw:
    """Thresholds: round figures (realistic) or random ones (every clause distinct)."""

    def __init__(self, rng: random.Random, realistic: bool) -> None:
        self.rng, self.realistic = rng, realistic

    def money(self, round_wan: list[int]) -> int:
        if self.realistic:
            return self.rng.choice(round_wan) * WAN
        return self.rng.randint(min(round_wan) * WAN, max(round_wan) * WAN)

    def count(self, choices: list[int]) -> int:
        if self.realistic:
            return self.rng.choice(choices)
        return self.rng.randint(min(choices), max(choices))

    def share(self, choices: list[str]) -> str:
        if self.realistic:
            return self.rng.choice(choices)
        return f"0.{self.rng.randint(10, 99)}"


def quoted(values: list[str]) -> str:
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"


def clause_pool(draw: Draw) -> list[Callable[[], str]]:
    """Clauses as banks write them; each call draws its thresholds."""
    rng = draw.rng
    return [
        lambda: f"size_class in {quoted(rng.choice([['small', 'micro'], ['medium', 'small', 'micro'], ['micro']]))}",  # noqa: E501
        lambda: f"tax_credit_grade in {quoted(rng.choice([['A'], ['A', 'B'], ['A', 'B', 'M']]))}",
        lambda: f"years_in_business >= {draw.count([1, 2, 3, 5])}",
        lambda: f"revenue >= {draw.money([50, 100, 200, 300, 500, 1000, 2000])}",
        lambda: f"amount <= {draw.money([50, 100, 200, 300, 500, 1000])}",
        lambda: f"region_code in {quoted(sorted(rng.sample(CITIES, rng.randint(1, 4))))}",
        lambda: rng.choice(
            [
                '"high_tech" in qualifications',
                '"specialised" in qualifications',
                '"agricultural" in qualifications',
                '("high_tech" in qualifications or "specialised" in qualifications)',
            ]
        ),
        lambda: f"employees <= {draw.count([50, 100, 200, 300, 500, 1000])}",
        lambda: f"term_months <= {draw.count([12, 24, 36, 60])}",
        lambda: f"total_assets * {draw.share(['0.3', '0.5', '0.8'])} >= amount",
        lambda: f"revenue * {draw.share(['0.2', '0.3', '0.5'])} >= amount",
        lambda: f"industry_division in {quoted(rng.choice([['13', '14'], ['39', '40'], ['01', '02', '03'], ['65']]))}",  # noqa: E501
        lambda: 'tax_credit_grade != "D"',
        lambda: f"guarantee_type in {quoted(sorted(rng.sample(GUARANTEES, rng.randint(1, 3))))}",
    ]


INSTANT_RULES = [
    'tax_credit_grade == "A" and years_in_business >= 3 and amount <= {cap}',
    'tax_credit_grade in ["A", "B"] and amount <= {cap} and guarantee_type == "credit"',
    'tax_credit_grade == "A" and revenue >= 5000000 and amount <= {cap}',
]
LIMIT_FORMULAS = ["min(amount, revenue * 0.2, 3000000)", "min(amount, revenue * 0.1)"]


def rules(
    version_id: int, eligibility: str, instant: str | None, formula: str | None
) -> CompiledRules:
    return CompiledRules(
        version_id,
        1,
        compile_rule(eligibility),
        compile_rule(instant) if instant else None,
        compile_formula(formula) if formula else None,
    )


def make_products(count: int, realistic: bool, seed: int = 2023) -> list[CatalogueProduct]:
    rng = random.Random(seed)  # noqa: S311 - seeded test data, not security-sensitive
    draw = Draw(rng, realistic)
    pool = clause_pool(draw)
    hours = [Decimal(rng.randint(2, 96)) for _ in range(BANKS)]
    products = []
    for pid in range(1, count + 1):
        bank = rng.randrange(BANKS)
        kind = rng.choice(KINDS)
        eligibility = " and ".join(pool_item() for pool_item in rng.sample(pool, rng.randint(4, 8)))
        instant = formula = None
        if rng.random() < 0.35:
            cap = draw.money([50, 100, 200])
            instant = rng.choice(INSTANT_RULES).format(cap=cap)
            formula = rng.choice(LIMIT_FORMULAS)
        min_amount = rng.choice([10, 20, 50, 100]) * WAN
        min_rate = Decimal(rng.randint(62, 96) * 5) / 100  # 3.10 … 4.80
        regions = [] if rng.random() < 0.6 else sorted(rng.sample(CITIES, rng.randint(1, 3)))
        guarantees = [] if rng.random() < 0.4 else sorted(rng.sample(GUARANTEES, rng.randint(1, 3)))
        products.append(
            CatalogueProduct(
                id=pid,
                institution_id=bank + 1,
                institution_name=f"银行{bank + 1}",
                name=f"产品{pid}",
                kind=kind,
                min_amount=Decimal(min_amount),
                max_amount=Decimal(rng.choice([100, 200, 300, 500, 1000, 2000, 3000]) * WAN),
                min_term_months=rng.choice([1, 3, 6, 12]),
                max_term_months=rng.choice([12, 24, 36, 60]),
                min_rate=min_rate,
                max_rate=min_rate + 1,
                guarantee_fee_rate=(
                    Decimal(rng.choice(["1.0", "1.5", "2.0"]))
                    if kind == ProductKind.GUARANTEED
                    else Decimal(0)
                ),
                guarantee_types=frozenset(guarantees),
                region_codes=frozenset(regions),
                rules=rules(pid, eligibility, instant, formula),
                response_hours=hours[bank],
            )
        )
    return products


POLICIES = [
    # (title, benefit kind, cap, eligibility, formula, kinds it stacks on)
    (
        "福州市普惠小微贷款贴息",
        BenefitKind.RATE_POINTS,
        Decimal(50000),
        'region_code == "350100" and size_class in ["small", "micro"]',
        "1.0",
        ["credit", "tech_credit", "relief"],
    ),
    (
        "科技型企业贷款贴息",
        BenefitKind.RATE_POINTS,
        None,
        '"high_tech" in qualifications or "tech_sme" in qualifications',
        "min(rate - lpr_one_year, 1.5)",
        ["tech_credit", "credit"],
    ),
    (
        "融资担保费补贴",
        BenefitKind.FEE_SHARE,
        Decimal(100000),
        'size_class in ["small", "micro"]',
        "0.5",
        ["guaranteed"],
    ),
    (
        "涉农贷款贴息",
        BenefitKind.RATE_POINTS,
        None,
        '"agricultural" in qualifications',
        "lpr_one_year * 0.3",
        ["agriculture", "forestry"],
    ),
    (
        "小微企业信贷风险补偿",
        BenefitKind.LOSS_SHARE,
        None,
        'size_class in ["small", "micro"] and tax_credit_grade != "D"',
        "0.4",
        [],
    ),
    ("首贷户奖励", BenefitKind.LUMP_SUM, Decimal(5000), "years_in_business <= 3", "2000", []),
]


def make_catalogue(products: list[CatalogueProduct]) -> Catalogue:
    policies = [
        CataloguePolicy(
            index,
            title,
            title,
            kind,
            cap,
            rules(100_000 + index, eligibility, None, formula),
        )
        for index, (title, kind, cap, eligibility, formula, _) in enumerate(POLICIES, start=1)
    ]
    stacking = {
        product.id: [
            index
            for index, spec in enumerate(POLICIES, start=1)
            if not spec[5] or product.kind in spec[5]
        ]
        for product in products
    }
    return Catalogue(tuple(products), tuple(policies), Decimal("3.10"), stacking)


FIRMS = [
    # a small manufacturer in 福州 asking 200 万元 on credit
    (
        profile_facts(
            region_code="350100",
            industry_code="1311",
            size_class="small",
            years_in_business=6,
            employees=80,
            revenue=Decimal(18_000_000),
            total_assets=Decimal(12_000_000),
            tax_credit_grade="B",
            qualifications=["specialised"],
        ),
        need_facts(amount=Decimal(2_000_000), term_months=24, guarantee_type="credit"),
    ),
    # a micro high-tech firm in 厦门 asking 80 万元 for a year
    (
        profile_facts(
            region_code="350200",
            industry_code="6513",
            size_class="micro",
            years_in_business=3,
            employees=9,
            revenue=Decimal(4_500_000),
            total_assets=Decimal(2_000_000),
            tax_credit_grade="A",
            qualifications=["high_tech", "tech_sme"],
        ),
        need_facts(amount=Decimal(800_000), term_months=12, guarantee_type="credit"),
    ),
    # the docs/rules.md firm: medium, 三明, 1 year, grade C, 800 万元 over 48 months
    (
        profile_facts(
            region_code="350400",
            industry_code="1311",
            size_class="medium",
            years_in_business=1,
            employees=320,
            revenue=Decimal(15_000_000),
            total_assets=Decimal(30_000_000),
            tax_credit_grade="C",
            qualifications=["green"],
        ),
        need_facts(amount=Decimal(8_000_000), term_months=48, guarantee_type="mortgage"),
    ),
    # a micro farm in 南平, newly set up, asking 50 万元 with a guarantee company
    (
        profile_facts(
            region_code="350700",
            industry_code="0141",
            size_class="micro",
            years_in_business=2,
            employees=12,
            revenue=Decimal(1_200_000),
            total_assets=Decimal(900_000),
            tax_credit_grade="M",
            qualifications=["agricultural"],
        ),
        need_facts(amount=Decimal(500_000), term_months=12, guarantee_type="guarantee_agency"),
    ),
]


# -- what is timed ----------------------------------------------------------------------------


def render_all(outcome: MatchOutcome) -> int:
    """Touch every string a results page shows; returns their count."""
    shown = 0
    for found in outcome.ineligible:
        for reason in found.reasons:
            shown += bool(reason.explanation) + (reason.hint is not None)
        shown += found.hint is not None
    for found in outcome.eligible:
        for reason in found.instant_reasons:
            shown += bool(reason.explanation) + (reason.hint is not None)
        shown += found.instant_hint is not None
    return shown


def naive_check(catalogue: Catalogue, firm: dict[str, Any], need: dict[str, Any]) -> int:
    """Each product's terms and check() one by one: decisions only."""
    facts = {**firm, **need, "lpr_one_year": catalogue.lpr_one_year}
    passed = 0
    for product in catalogue.products:
        if terms_hold(product, facts) and product.rules.eligibility.check(facts):
            passed += 1
    return passed


def naive_evaluate(catalogue: Catalogue, firm: dict[str, Any], need: dict[str, Any]) -> int:
    """As naive_check, plus evaluate() (eager Chinese explanations) for every failing product."""
    facts = {**firm, **need, "lpr_one_year": catalogue.lpr_one_year}
    explained = 0
    for product in catalogue.products:
        rule = product.rules.eligibility
        if not (terms_hold(product, facts) and rule.check(facts)):
            explained += len(rule.evaluate(facts).failures)
    return explained


def terms_hold(product: CatalogueProduct, facts: dict[str, Any]) -> bool:
    return (
        product.min_amount <= facts["amount"] <= product.max_amount
        and product.min_term_months <= facts["term_months"] <= product.max_term_months
        and (not product.guarantee_types or facts["guarantee_type"] in product.guarantee_types)
        and (not product.region_codes or facts["region_code"] in product.region_codes)
    )


def rule_engine_facts(firm: dict[str, Any], need: dict[str, Any]) -> dict[str, Any]:
    """The same facts in rule-engine's types: Decimal → float, sets → tuples."""
    converted: dict[str, Any] = {}
    for name, value in {**firm, **need}.items():
        if isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, frozenset):
            value = tuple(sorted(value))
        converted[name] = value
    return converted


def rule_engine_rules(catalogue: Catalogue) -> list[rule_engine.Rule]:
    """Our eligibility rules in rule-engine's syntax (the generated ones need no change)."""
    context = rule_engine.Context(default_value=None)
    return [rule_engine.Rule(p.rules.eligibility.text, context=context) for p in catalogue.products]


def timed(run: Callable[[], Any], collect: bool) -> float:
    """Seconds for one call; the collector paused as in timeit unless `collect`."""
    enabled = gc.isenabled()
    if not collect:
        gc.disable()
    try:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def cycle(runs: list[Callable[[], Any]], rounds: int, collect: bool = False) -> list[float]:
    """Time each firm's call `rounds` times, interleaved."""
    return [timed(run, collect) for _ in range(rounds) for run in runs]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def ms(value: float) -> str:
    return f"{value * 1000:.2f}"


def bench(count: int, realistic: bool) -> dict[str, Any]:
    """Every measure for one catalogue size, cycling through the four firms."""
    start = time.perf_counter()
    products = make_products(count, realistic)
    compiled_in = time.perf_counter() - start
    start = time.perf_counter()
    catalogue = make_catalogue(products)
    prepared_in = time.perf_counter() - start
    rounds = SIZES[count]
    pairs = FIRMS
    for firm, need in pairs:  # warm up
        render_all(match(catalogue, firm, need))

    def runs(make: Callable[[dict[str, Any], dict[str, Any]], Any]) -> list[Callable[[], Any]]:
        return [lambda f=f, n=n: make(f, n) for f, n in pairs]

    decided = runs(lambda f, n: match(catalogue, f, n))
    objects = runs(lambda f, n: match(catalogue, f, n).ineligible)
    rendered = runs(lambda f, n: render_all(match(catalogue, f, n)))
    re_rules = rule_engine_rules(catalogue)
    re_facts = [rule_engine_facts(f, n) for f, n in pairs]
    measures = {
        "decided": (cycle(decided, rounds), cycle(decided, rounds, collect=True)),
        "objects": (cycle(objects, rounds), cycle(objects, rounds, collect=True)),
        "rendered": (cycle(rendered, rounds), cycle(rendered, rounds, collect=True)),
        "naive": (cycle(runs(lambda f, n: naive_check(catalogue, f, n)), 5), None),
        "eager": (cycle(runs(lambda f, n: naive_evaluate(catalogue, f, n)), 2), None),
        "rule_engine": (
            cycle(
                [lambda facts=facts: [r.matches(facts) for r in re_rules] for facts in re_facts],
                RULE_ENGINE_RUNS[count],
            ),
            None,
        ),
    }
    # The same decisions: rule-engine agrees with check() on every product and firm.
    for (firm, need), facts in zip(pairs, re_facts, strict=True):
        ours = {**firm, **need, "lpr_one_year": catalogue.lpr_one_year}
        for product, rule in zip(catalogue.products, re_rules, strict=True):
            if rule.matches(facts) != product.rules.eligibility.check(ours):
                raise RuntimeError(f"rule-engine disagrees on product {product.id}")
    outcomes = [match(catalogue, f, n) for f, n in pairs]
    return {
        "count": count,
        "realistic": realistic,
        "compiled_in": compiled_in,
        "prepared_in": prepared_in,
        "distinct": catalogue.distinct_checks,
        "eligible": statistics.mean(len(o.eligible) for o in outcomes),
        "instant": statistics.mean(len(o.instant_approved) for o in outcomes),
        "reasons": statistics.mean(sum(len(m.reasons) for m in o.ineligible) for o in outcomes),
        "hints": statistics.mean(sum(m.hint is not None for m in o.ineligible) for o in outcomes),
        "measures": measures,
    }


LABELS = {
    "decided": "match(): decisions + failure records",
    "objects": "match() + every ineligible ProductMatch",
    "rendered": "match() + all explanation strings rendered",
    "naive": "naive loop: terms + check(), decisions only",
    "eager": "naive loop + evaluate() for each failure",
    "rule_engine": "rule-engine matches(), decisions only",
}


def report(result: dict[str, Any]) -> None:
    count = result["count"]
    label = "round thresholds" if result["realistic"] else "random thresholds (worst case)"
    re_median = statistics.median(result["measures"]["rule_engine"][0])
    print(f"\n{count:,} products, {label}")
    print(
        f"  rules compiled in {result['compiled_in']:.1f} s, catalogue prepared in "
        f"{ms(result['prepared_in'])} ms; {result['distinct']:,} distinct checks; per firm on "
        f"average {result['eligible']:.0f} eligible, {result['instant']:.0f} instant, "
        f"{result['reasons']:,.0f} failed checks on the ineligible, {result['hints']:.0f} hints"
    )
    print(f"  | {'measure':<44} | median ms | p95 ms | median ms, GC on | runs | rule-engine ÷ |")
    for key, (paused, collecting) in result["measures"].items():
        median = statistics.median(paused)
        gc_on = ms(statistics.median(collecting)) if collecting else "–"
        print(
            f"  | {LABELS[key]:<44} | {ms(median):>9} | {ms(p95(paused)):>6} | {gc_on:>16} "
            f"| {len(paused):>4} | {re_median / median:>13.1f} |"
        )


def main() -> None:
    """Print the timings for 1,000 and 10,000 products."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--thresholds",
        choices=("round", "random", "both"),
        default="both",
        help="round: realistic catalogue; random: worst case (default: both)",
    )
    chosen = parser.parse_args().thresholds
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    print(f"Python {platform.python_version()} on {cpu}, rule-engine {rule_engine.__version__}")
    for realistic in (True, False):
        if chosen == "both" or chosen == ("round" if realistic else "random"):
            for count in SIZES:
                report(bench(count, realistic))


if __name__ == "__main__":
    main()
