"""The matcher: every published product and every live policy against one firm and one need.

Pure: no database and no app context. `portal.matching.catalogue` builds a `Catalogue` from the
database; `match(catalogue, firm_facts, need_facts)` decides, explains, prices and ranks.

For each product, in this order:

1. The product's own terms, explained like rule clauses: amount and term within its range,
   the guarantee offered accepted, the firm's region served.
2. The eligibility rule, clause by clause.
3. If eligible: the instant-approval (秒批) rule; if it holds, a pre-approved limit from the
   product's formula, clipped to the product's ceiling and to the amount asked.
4. If eligible and the need offers a guarantee institution's guarantee: the cheapest guarantee
   product that cooperates with the bank product and takes the firm and the loan (its terms
   and its eligibility rule). Its fee is the loan's guarantee fee.
5. If eligible: the stacking policies the firm qualifies for, and the cost after them, by the
   one subsidy rule (portal.subsidies.rule): the single best interest subsidy and the single
   best guarantee-fee subsidy count, each within what is left of the firm's yearly cap; risk
   compensation and lump sums are listed.

Eligible products are ranked by subsidy-adjusted annual cost (rate plus guarantee fee), then by
the bank's median hours to first response, then by product id.

How it stays fast. A catalogue repeats its checks: thousands of products share a few hundred
distinct clauses (`tax_credit_grade in ["A", "B"]`, `amount <= 3000000`, a ceiling of 500 万元).
Building the catalogue interns every check (the products' own terms, eligibility and
instant-approval clauses) into one table of distinct checks, and gives each product an
`itemgetter` over the indexes of its own. A match evaluates each distinct check once for the
firm and the need, marks those that fail, and reads every product's row of the table with one
C-level call; the eligible ones are then priced and ranked. The answers are those of `check()`
and `evaluate()` on each product's rule (clauses have no side effects), and every ineligible
product gets the full list of its failed checks. Clauses that read a product's own price
(`rate`, `guarantee_fee_rate`) are interned per price.

A failed check becomes one `Reason` per match, shared by every product that failed it. The
failed fact, operator, threshold and actual value, the Chinese explanation and the hint (the
same `ClauseFailure` that `CompiledRule.evaluate` gives) are worked out on first access, and so
is each product's combined "what would change the answer" hint. bench/match_bench.py times it;
docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress, repeat
from operator import call as call_with
from operator import itemgetter, not_
from typing import Any, NamedTuple

from portal.catalog.compiled import CompiledRules, pre_approved_limit
from portal.enums import BenefitKind
from portal.matching.facts import pricing_facts
from portal.rules import FACTS, ClauseFailure, FactSource
from portal.rules.explain import (
    alternatives,
    clauses,
    format_money,
    format_number,
    format_value,
    listed,
)
from portal.rules.explain import hint as clause_hint
from portal.rules.i18n import N_, render
from portal.subsidies.evaluate import PolicyRule, benefits_for
from portal.subsidies.rule import (
    Benefit,
    LoanPrice,
    PolicyTerms,
    annual_cost,
    subsidised_fee_rate,
    subsidised_rate,
)

Facts = Mapping[str, Any]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
POINT_PLACES = Decimal("0.0001")
PROVINCE_CODE = "350000"
# Facts whose value depends on the product, not on the firm or the need.
PRODUCT_PRICING_FACTS = frozenset({"rate", "guarantee_fee_rate"})
NEED_FACTS = frozenset(name for name, fact in FACTS.items() if fact.source is FactSource.NEED)
GUARANTEE_TYPES = tuple(FACTS["guarantee_type"].values or ())
GUARANTEE_AGENCY = "guarantee_agency"  # a guarantee institution's guarantee, paired by the matcher

_UNSET: Any = object()  # marks a value computed on first access, not computed yet


# -- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueProduct:
    """A published bank product as the matcher sees it. Money in yuan, rates in percent a year."""

    id: int
    institution_id: int
    institution_name: str
    name: str
    kind: str
    min_amount: Decimal
    max_amount: Decimal
    min_term_months: int
    max_term_months: int
    min_rate: Decimal
    max_rate: Decimal
    guarantee_fee_rate: Decimal
    guarantee_types: frozenset[str]  # empty: any guarantee
    region_codes: frozenset[str]  # empty or containing 350000: the whole province
    rules: CompiledRules
    response_hours: Decimal  # the bank's median hours to a first response; lower is better


@dataclass(frozen=True)
class CatalogueGuarantee:
    """A published guarantee product as the matcher pairs it with the bank products it
    cooperates with. Money in yuan, rates and shares in percent."""

    id: int
    institution_id: int
    institution_name: str
    name: str
    fee_rate: Decimal  # percent a year of the principal
    coverage_share: Decimal  # percent of a loss the guarantor bears
    min_amount: Decimal
    max_amount: Decimal
    max_term_months: int
    region_codes: frozenset[str]  # empty or containing 350000: the whole province
    rules: CompiledRules

    def takes(self, facts: Facts) -> bool:
        """Whether the guarantee takes this firm and loan: its terms, then its rule."""
        if not self.min_amount <= facts["amount"] <= self.max_amount:
            return False
        if facts["term_months"] > self.max_term_months:
            return False
        regions = self.region_codes
        if regions and PROVINCE_CODE not in regions and facts["region_code"] not in regions:
            return False
        return self.rules.problem is None and bool(self.rules.eligibility.check(facts))


@dataclass(frozen=True)
class CataloguePolicy:
    """A live policy product: who qualifies (eligibility) and how much (the benefit formula)."""

    id: int
    title: str
    kind: str
    benefit_kind: BenefitKind
    benefit_cap: Decimal | None  # yuan per firm per year; None: no cap
    rules: CompiledRules
    agency_id: int | None = None  # who hears when its rules cannot be evaluated

    @property
    def rule(self) -> PolicyRule:
        """The policy for the subsidy rule; the catalogue holds only policies in force."""
        terms = PolicyTerms(
            self.id, self.title, self.benefit_kind, dt.date.min, cap=self.benefit_cap
        )
        return PolicyRule(terms, self.rules)


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Products, policies and the 1-year LPR, prepared once for many matches.

    `stacking` maps a product id to the ids of the policies that stack on it (see
    `portal.catalog.queries.policy_stacks_on`); a product it does not name has none.
    `guarantees` maps a product id to the guarantee products that cooperate with it, cheapest
    first (the first that takes the firm and the loan is paired).
    """

    products: tuple[CatalogueProduct, ...]
    policies: tuple[CataloguePolicy, ...] = ()
    lpr_one_year: Decimal | None = None
    stacking: Mapping[int, Sequence[int]] = field(default_factory=dict)
    guarantees: Mapping[int, Sequence[CatalogueGuarantee]] = field(default_factory=dict)
    stacking_policies: Mapping[int, tuple[CataloguePolicy, ...]] = field(init=False, repr=False)
    _plan: _Plan = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Check the ids and precompute everything a match needs."""
        object.__setattr__(self, "products", tuple(self.products))
        object.__setattr__(self, "policies", tuple(self.policies))
        by_id = {policy.id: policy for policy in self.policies}
        if len(by_id) != len(self.policies):
            raise ValueError("duplicate policy id in catalogue")
        if len({product.id for product in self.products}) != len(self.products):
            raise ValueError("duplicate product id in catalogue")
        unknown = {pid for ids in self.stacking.values() for pid in ids} - by_id.keys()
        if unknown:
            raise ValueError(f"stacking names unknown policies: {sorted(unknown)}")
        stacking = {
            product.id: tuple(by_id[pid] for pid in sorted(set(self.stacking.get(product.id, ()))))
            for product in self.products
        }
        object.__setattr__(self, "stacking_policies", stacking)
        object.__setattr__(self, "_plan", _Plan(self))

    @property
    def distinct_checks(self) -> int:
        """How many distinct checks the products make between them (each runs once a match)."""
        return len(self._plan.tests) - 1


# -- results ----------------------------------------------------------------------------------


class Reason:
    """One failed check of a product or of its instant-approval rule, for one firm and need.

    `fact`, `operator`, `threshold` and `actual` are set when the check compares one fact with
    constants (fact on the left; operators as in `ClauseFailure`), else None. They are worked
    out, and `explanation` and `hint` rendered in the current language, on first access; one
    Reason is shared by every product that failed the same check in a match.
    """

    __slots__ = ("_check", "_facts", "_failure", "_where")

    def __init__(self, check: _Check, facts: Facts) -> None:
        self._check = check
        self._facts = facts
        self._where: Where | None = None
        self._failure: ClauseFailure | None = None

    @property
    def text(self) -> str:
        """The check in the rule language, e.g. amount <= 3000000."""
        return self._check.text

    def _seen(self) -> Facts:
        pricing = self._check.pricing
        return self._facts if pricing is None else {**self._facts, **pricing}

    def _located(self) -> Where:
        where = self._where
        if where is None:
            where = self._where = self._check.locate(self._seen())
        return where

    @property
    def fact(self) -> str | None:
        """The one fact compared with constants, if the check is such a comparison."""
        return self._located()[0]

    @property
    def operator(self) -> str | None:
        """The comparison that failed, fact on the left: == != < <= > >= in, not in, contains …"""
        return self._located()[1]

    @property
    def threshold(self) -> Any:
        """The constant the fact was compared with."""
        return self._located()[2]

    @property
    def actual(self) -> Any:
        """The fact's value for this firm and need."""
        return self._located()[3]

    @property
    def hintable(self) -> bool:
        """Whether a change to the need alone could pass this check."""
        return self._check.maybe_hintable and self._located()[4]

    @property
    def failure(self) -> ClauseFailure:
        """The failure rendered in the current language (computed once)."""
        failure = self._failure
        if failure is None:
            failure = self._check.render(self._seen())
            if failure is None:  # pragma: no cover - a reason exists only for a failed check
                raise AssertionError(f"check {self.text!r} did not fail")
            self._failure = failure
        return failure

    @property
    def explanation(self) -> str:
        """Why the check failed, with the actual value: 纳税信用等级为 B，要求为 A."""
        failure = self._failure
        return (failure or self.failure).explanation

    @property
    def hint(self) -> str | None:
        """What change to the need would pass this check alone, if any."""
        failure = self._failure
        return (failure or self.failure).hint

    @property
    def undefined(self) -> bool:
        """Whether the check could not be computed (e.g. a division by zero)."""
        return self.failure.undefined

    def __repr__(self) -> str:
        return f"Reason({self.text!r}, actual={self.actual!r})"


# A policy the firm qualifies for on one product and what it gives (see portal.subsidies.rule).
PolicyBenefit = Benefit


class Offer(NamedTuple):
    """What an eligible product offers the firm: pre-approval, policies and cost."""

    instant_approved: bool
    instant_reasons: tuple[Reason, ...]  # why the instant rule failed, if it did
    limit: Decimal | None  # pre-approved limit in yuan; None when not approved or undefined
    adjusted_rate: Decimal  # the lowest rate after the best interest subsidy
    adjusted_fee_rate: Decimal  # the guarantee fee after the best fee subsidy
    annual_cost: Decimal  # adjusted_rate + adjusted_fee_rate, percent a year
    policies: tuple[PolicyBenefit, ...]  # every policy the firm qualifies for on this product
    guarantee: CatalogueGuarantee | None = None  # the guarantee product paired, if any


class ProductMatch:
    """One product's answer for the firm and the need.

    Eligible products carry an `Offer`; ineligible ones their failed checks (`reasons`), in
    order: the product's own terms, then the eligibility rule. One is built per product per
    match, so it holds a few references and derives the rest.
    """

    __slots__ = ("_call", "_entry", "_hint", "_instant_hint", "offer", "product", "reasons")

    def __init__(
        self,
        product: CatalogueProduct,
        reasons: tuple[Reason, ...] = (),
        offer: Offer | None = None,
        call: _Call | None = None,
        entry: _Entry | None = None,
    ) -> None:
        self.product = product
        self.reasons = reasons
        self.offer = offer
        self._call = call
        self._entry = entry
        self._hint: Any = _UNSET
        self._instant_hint: Any = _UNSET

    @property
    def eligible(self) -> bool:
        """Whether the firm may apply for the product with this need."""
        return self.offer is not None

    @property
    def rule_version_id(self) -> int:
        """The rule version that decided this answer."""
        return self.product.rules.version_id

    @property
    def instant_approved(self) -> bool:
        """Whether the product's instant-approval (秒批) rule holds: a pre-approval at once."""
        return self.offer is not None and self.offer.instant_approved

    @property
    def instant_reasons(self) -> tuple[Reason, ...]:
        """For an eligible product not approved at once, the instant rule's failed clauses."""
        return self.offer.instant_reasons if self.offer is not None else ()

    @property
    def limit(self) -> Decimal | None:
        """The pre-approved limit in yuan (formula, clipped to the ceiling and the amount asked)."""
        return self.offer.limit if self.offer is not None else None

    @property
    def rate(self) -> Decimal:
        """The product's lowest rate, percent a year."""
        return self.product.min_rate

    @property
    def guarantee(self) -> CatalogueGuarantee | None:
        """The guarantee product paired with an eligible product, if any."""
        return self.offer.guarantee if self.offer is not None else None

    @property
    def guarantee_fee_rate(self) -> Decimal:
        """The guarantee fee, percent a year: the paired guarantee's, else the product's."""
        guarantee = self.guarantee
        return guarantee.fee_rate if guarantee is not None else self.product.guarantee_fee_rate

    @property
    def adjusted_rate(self) -> Decimal | None:
        """The rate after the best interest subsidy; None when ineligible."""
        return self.offer.adjusted_rate if self.offer is not None else None

    @property
    def adjusted_fee_rate(self) -> Decimal | None:
        """The guarantee fee after the best fee subsidy; None when ineligible."""
        return self.offer.adjusted_fee_rate if self.offer is not None else None

    @property
    def annual_cost(self) -> Decimal | None:
        """Subsidy-adjusted rate plus guarantee fee, percent a year; None when ineligible."""
        return self.offer.annual_cost if self.offer is not None else None

    @property
    def policies(self) -> tuple[PolicyBenefit, ...]:
        """The policies the firm qualifies for on this product, with their benefits."""
        return self.offer.policies if self.offer is not None else ()

    @property
    def hint(self) -> str | None:
        """For an ineligible product, the one change to the need that would make it eligible.

        Given only when every failed check is on the need (amount, term, guarantee) and the
        change passes all of the product's checks: "金额降至 300 万元以内即可申请".
        """
        hint = self._hint
        if hint is _UNSET:
            hint = None
            if self.offer is None and self._call is not None and self._entry is not None:
                hint = self._call.combined_hint(self._entry, self.reasons, instant=False)
            self._hint = hint
        return hint  # type: ignore[no-any-return]

    @property
    def instant_hint(self) -> str | None:
        """For an eligible product not approved at once, the change that would approve it.

        Same conditions as `hint`: "金额降至 100 万元以内即可秒批".
        """
        hint = self._instant_hint
        if hint is _UNSET:
            hint = None
            if self.instant_reasons and self._call is not None and self._entry is not None:
                hint = self._call.combined_hint(self._entry, self.instant_reasons, instant=True)
            self._instant_hint = hint
        return hint  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        state = "eligible" if self.offer is not None else f"{len(self.reasons)} failed checks"
        return f"<ProductMatch {self.product.id} {self.product.name}: {state}>"


class MatchOutcome:
    """Eligible products, ranked, and the ineligible ones in catalogue order.

    The match's record of failures is its table of distinct checks, marking each one that
    failed; a product's failed checks are the rows of its own checks in that table, read with
    one C-level call. The `ProductMatch` objects of the ineligible products are built from it on
    first access of `ineligible` (most callers want the eligible ones first, and ten thousand
    objects kept per match would also keep the garbage collector busy).
    """

    __slots__ = ("_call", "_ineligible", "eligible")

    def __init__(self, eligible: list[ProductMatch], call: _Call | None = None) -> None:
        self.eligible = eligible
        self._call = call
        self._ineligible: list[ProductMatch] | None = None if call is not None else []

    @property
    def ineligible(self) -> list[ProductMatch]:
        """The products the firm cannot apply to, each with its failed checks."""
        call = self._call
        if self._ineligible is None and call is not None:
            rows = map(call_with, call.plan.getters, repeat(call.reason_table()))
            self._ineligible = [
                ProductMatch(entry.product, tuple(filter(None, row)), None, call, entry)
                for entry, row in zip(call.plan.entries, rows, strict=True)
                if any(row)
            ]
        return self._ineligible or []

    @property
    def instant_approved(self) -> list[ProductMatch]:
        """The eligible products that pre-approve the firm at once, in rank order."""
        return [found for found in self.eligible if found.instant_approved]


def match(
    catalogue: Catalogue, firm: Facts, need: Facts, drawn: Mapping[int, Decimal] | None = None
) -> MatchOutcome:
    """Match one firm and one need (fact dicts, see portal.matching.facts) against a catalogue.

    `drawn` is what the firm's live grants already count against each policy's yearly cap
    (portal.subsidies.grants.drawn_by_firm); none when not given.
    """
    return catalogue._plan.run(firm, need, drawn or {})


# -- checks: the product's own terms and the rules' clauses, interned ----------------------------

Test = Callable[[Facts], bool]
Where = tuple[str | None, str | None, Any, Any, bool]  # fact, operator, threshold, actual, hintable


class _Check:
    """One distinct check, shared by every product that makes it."""

    __slots__ = ("locate", "maybe_hintable", "pricing", "render", "test", "text")

    def __init__(
        self,
        text: str,
        test: Test,
        locate: Callable[[Facts], Where],
        render: Callable[[Facts], ClauseFailure | None],
        maybe_hintable: bool,
        pricing: Facts | None = None,
    ) -> None:
        self.text = text
        self.locate = locate  # which comparison failed, for facts that fail the check
        self.render = render  # the failure in words
        self.maybe_hintable = maybe_hintable
        self.pricing = pricing  # the product's price facts, for checks that read them
        self.test = test if pricing is None else (lambda facts: test({**facts, **pricing}))


def _builtin(
    text: str,
    fact: str,
    operator: str,
    threshold: Any,
    test: Test,
    explain: Callable[[Any], str],
    hint_text: Callable[[], str | None],
) -> _Check:
    """A check of one of the product's own terms, explained like a rule clause."""
    hintable = fact in NEED_FACTS

    def locate(facts: Facts) -> Where:
        return fact, operator, threshold, facts[fact], hintable

    def render_failure(facts: Facts) -> ClauseFailure:
        actual = facts[fact]
        return ClauseFailure(text, explain(actual), hint_text(), fact, operator, threshold, actual)

    return _Check(text, test, locate, render_failure, hintable)


def _no_positive_limit() -> _Check:
    """The check a 秒批 fails when its limit formula gives no limit above zero for the firm."""
    text = "limit > 0"

    def render_failure(_facts: Facts) -> ClauseFailure:
        explanation = render(N_("额度公式对本企业算不出大于 0 的额度，不能秒批；仍可正常申请"))
        return ClauseFailure(text, explanation, undefined=True)

    return _Check(
        text,
        lambda _facts: False,
        lambda _facts: (None, None, None, None, False),
        render_failure,
        False,
    )


NO_POSITIVE_LIMIT = _no_positive_limit()


def _amount_at_most(limit: Decimal) -> _Check:
    return _builtin(
        f"amount <= {format_number(limit)}",
        "amount",
        "<=",
        limit,
        lambda facts: facts["amount"] <= limit,
        lambda actual: render(
            N_("申请金额 %(actual)s超出本产品额度上限 %(limit)s"),
            actual=format_money(actual),
            limit=format_money(limit),
        ),
        lambda: render(N_("金额降至 %(value)s以内即可申请"), value=format_money(limit)),
    )


def _amount_at_least(limit: Decimal) -> _Check:
    return _builtin(
        f"amount >= {format_number(limit)}",
        "amount",
        ">=",
        limit,
        lambda facts: facts["amount"] >= limit,
        lambda actual: render(
            N_("申请金额 %(actual)s低于本产品起贷金额 %(limit)s"),
            actual=format_money(actual),
            limit=format_money(limit),
        ),
        lambda: render(N_("金额提高至 %(value)s即可申请"), value=format_money(limit)),
    )


def _months(value: int) -> str:
    return format_value(FACTS["term_months"], value)


def _term_at_most(limit: int) -> _Check:
    return _builtin(
        f"term_months <= {limit}",
        "term_months",
        "<=",
        Decimal(limit),
        lambda facts: facts["term_months"] <= limit,
        lambda actual: render(
            N_("贷款期限 %(actual)s超出本产品最长期限 %(limit)s"),
            actual=_months(actual),
            limit=_months(limit),
        ),
        lambda: render(N_("期限缩短至 %(value)s以内即可申请"), value=_months(limit)),
    )


def _term_at_least(limit: int) -> _Check:
    return _builtin(
        f"term_months >= {limit}",
        "term_months",
        ">=",
        Decimal(limit),
        lambda facts: facts["term_months"] >= limit,
        lambda actual: render(
            N_("贷款期限 %(actual)s短于本产品最短期限 %(limit)s"),
            actual=_months(actual),
            limit=_months(limit),
        ),
        lambda: render(N_("期限延长至 %(value)s即可申请"), value=_months(limit)),
    )


def _ordered(fact: str, codes: Iterable[str]) -> tuple[str, ...]:
    """Values of an enumeration in registry order (unknown ones last, sorted)."""
    present = set(codes)
    ordered = [code for code in FACTS[fact].values or () if code in present]
    return tuple(ordered + sorted(present.difference(ordered)))


def _labels(fact: str, codes: Iterable[str]) -> str:
    """Values of an enumeration in registry order, by their labels: 信用、质押."""
    known = FACTS[fact]
    return listed(known.value_label(code) for code in _ordered(fact, codes))


def _choices(fact: str, codes: Iterable[str]) -> str:
    """Values any one of which will do, by their labels: 抵押或保证."""
    known = FACTS[fact]
    return alternatives(known.value_label(code) for code in _ordered(fact, codes))


def _guarantee_accepted(accepted: frozenset[str]) -> _Check:
    codes = _ordered("guarantee_type", accepted)
    listed = ", ".join(f'"{code}"' for code in codes)
    return _builtin(
        f"guarantee_type in [{listed}]",
        "guarantee_type",
        "in",
        codes,
        lambda facts: facts["guarantee_type"] in accepted,
        lambda actual: render(
            N_("本产品不接受 %(actual)s 担保，可接受：%(accepted)s"),
            actual=FACTS["guarantee_type"].value_label(str(actual)),
            accepted=_labels("guarantee_type", codes),
        ),
        lambda: render(
            N_("担保方式改为%(value)s即可申请"), value=_choices("guarantee_type", codes)
        ),
    )


def _region_served(served: frozenset[str]) -> _Check:
    codes = _ordered("region_code", served)
    listed = ", ".join(f'"{code}"' for code in codes)
    return _builtin(
        f"region_code in [{listed}]",
        "region_code",
        "in",
        codes,
        lambda facts: facts["region_code"] in served,
        lambda actual: render(
            N_("本产品不服务 %(region)s"), region=FACTS["region_code"].value_label(str(actual))
        ),
        lambda: None,
    )


def _serves_whole_province(product: CatalogueProduct) -> bool:
    return not product.region_codes or PROVINCE_CODE in product.region_codes


def _product_terms_hold(product: CatalogueProduct, facts: Facts) -> bool:
    """The product's own terms, checked directly (to verify a proposed change to the need)."""
    amount, term = facts["amount"], facts["term_months"]
    if not (product.min_amount <= amount <= product.max_amount):
        return False
    if not (product.min_term_months <= term <= product.max_term_months):
        return False
    if product.guarantee_types and facts["guarantee_type"] not in product.guarantee_types:
        return False
    return _serves_whole_province(product) or facts["region_code"] in product.region_codes


def _clause_check(clause: Any, pricing: Facts | None) -> _Check:
    """One eligibility or instant-approval clause; `pricing` when it reads the product's price."""
    parts = tuple(
        (part, part_test, part.fact.source is FactSource.NEED and clause_hint(part) is not None)
        for part, part_test in zip(clause.parts or (), clause.part_tests, strict=True)
    )

    def locate(facts: Facts) -> Where:
        for part, part_test, hintable in parts:
            if not part_test(facts):
                name = part.fact.name
                return name, part.operator, part.threshold, facts[name], hintable
        return None, None, None, None, False

    maybe_hintable = any(hintable for _, _, hintable in parts)
    return _Check(clause.text, clause.test, locate, clause.failure, maybe_hintable, pricing)


def _always(facts: Facts) -> bool:
    return True


def _reads_product_price(facts_used: Iterable[Any]) -> bool:
    return any(getattr(fact, "name", fact) in PRODUCT_PRICING_FACTS for fact in facts_used)


# -- the plan: everything a match needs, precomputed per catalogue ----------------------------

# Reads a product's rows of a table indexed like the plan's checks (checks or Reasons).
Getter = Callable[[Sequence[Any]], tuple[Any, ...]]


class _Entry:
    """One product, prepared: its instant-approval getter, price facts and rank tie-break."""

    __slots__ = (
        "formula",
        "group",
        "instant",
        "order",
        "pricing",
        "product",
        "reads_price",
        "stack",
        "unsubsidised",
    )

    def __init__(self, product: CatalogueProduct) -> None:
        self.product = product
        self.instant: Getter | None = None
        self.formula = -1  # index of its limit formula among the plan's distinct ones
        self.pricing: dict[str, Any] = {}
        self.reads_price = False  # its eligibility or instant rule reads its rate or fee
        self.stack: tuple[int, ...] = ()  # indexes of the stacking policies
        self.group = -1  # index of its subsidy group; -1: no policy stacks on it
        self.order = 0
        price = LoanPrice(ONE, product.min_rate, 1, product.guarantee_fee_rate)
        self.unsubsidised = (
            subsidised_rate(price.rate, ()),
            subsidised_fee_rate(price.guarantee_fee_rate, ()),
            annual_cost(price, ()),
            (),
        )


def _no_checks(table: Sequence[Any]) -> tuple[Any, ...]:
    return ()


def _number(numbers: dict[tuple[Any, ...], int], key: tuple[Any, ...]) -> int:
    """A small integer per distinct key, for list-indexed memos."""
    return numbers.setdefault(key, len(numbers))


def _getter(ids: Sequence[int]) -> Getter:
    # Index 0 is a check that always passes: padding keeps itemgetter returning a tuple.
    return itemgetter(0, *ids) if ids else _no_checks


class _Plan:
    """The interned check table and the prepared products and policies of one catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.lpr = catalogue.lpr_one_year if catalogue.lpr_one_year is not None else ZERO
        self.policies = catalogue.policies
        self.guarantees = catalogue.guarantees
        self.policy_rules = tuple(policy.rule for policy in catalogue.policies)
        self.tests: list[tuple[Test, _Check | None]] = [(_always, None)]
        self.formula_keys: dict[tuple[Any, ...], int] = {}
        self.group_keys: dict[tuple[Any, ...], int] = {}
        self._index: dict[tuple[Any, ...], int] = {}
        policy_index = {policy.id: i for i, policy in enumerate(catalogue.policies)}
        self.policy_reads_price = tuple(
            _reads_product_price(policy.rules.eligibility.facts_used)
            or (
                policy.rules.formula is not None
                and _reads_product_price(policy.rules.formula.facts_used)
            )
            for policy in catalogue.policies
        )
        entries, getters = [], []
        for product in catalogue.products:
            entry, getter = self._prepare(product)
            entry.stack = tuple(
                policy_index[policy.id] for policy in catalogue.stacking_policies[product.id]
            )
            entry.group = self._group(entry)
            entries.append(entry)
            getters.append(getter)
        ranked = sorted(entries, key=lambda e: (e.product.response_hours, e.product.id))
        for order, entry in enumerate(ranked):
            entry.order = order
        self.entries = tuple(entries)
        self.getters = tuple(getters)  # per product: its eligibility checks' rows of the table

    def _intern(self, key: tuple[Any, ...], build: Callable[[], _Check]) -> int:
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.tests)
            check = build()
            self.tests.append((check.test, check))
        return index

    def _prepare(self, product: CatalogueProduct) -> tuple[_Entry, Getter]:
        entry = _Entry(product)
        entry.pricing = pricing_facts(
            rate=product.min_rate,
            lpr_one_year=self.lpr,
            guarantee_fee_rate=product.guarantee_fee_rate,
        )
        low, high = product.min_amount, product.max_amount
        shortest, longest = product.min_term_months, product.max_term_months
        ids = [
            self._intern(("amount>=", low), lambda: _amount_at_least(low)),
            self._intern(("amount<=", high), lambda: _amount_at_most(high)),
            self._intern(("term>=", shortest), lambda: _term_at_least(shortest)),
            self._intern(("term<=", longest), lambda: _term_at_most(longest)),
        ]
        if product.guarantee_types:
            accepted = frozenset(product.guarantee_types)
            ids.append(self._intern(("guarantee", accepted), lambda: _guarantee_accepted(accepted)))
        if not _serves_whole_province(product):
            served = frozenset(product.region_codes)
            ids.append(self._intern(("region", served), lambda: _region_served(served)))
        rules = product.rules
        entry.reads_price = _reads_product_price(rules.eligibility.facts_used) or (
            rules.instant_approval is not None
            and _reads_product_price(rules.instant_approval.facts_used)
        )
        ids += self._clause_ids(rules.eligibility.clauses, entry.pricing)
        if rules.instant_approval is not None:
            entry.instant = _getter(self._clause_ids(rules.instant_approval.clauses, entry.pricing))
        if rules.formula is not None:
            reads_price = _reads_product_price(rules.formula.facts_used)
            price_key = (product.min_rate, product.guarantee_fee_rate) if reads_price else ()
            entry.formula = _number(self.formula_keys, (rules.formula.text, *price_key))
        return entry, _getter(ids)

    def _group(self, entry: _Entry) -> int:
        """Products with the same stacking policies, rate and fee get the same subsidies (the
        rate bounds an interest subsidy even where no policy reads it)."""
        if not entry.stack:
            return -1
        product = entry.product
        key = (entry.stack, product.guarantee_fee_rate, product.min_rate)
        return _number(self.group_keys, key)

    def _clause_ids(self, clauses: Iterable[Any], pricing: dict[str, Any]) -> list[int]:
        ids = []
        for clause in clauses:
            if _reads_product_price(clause.facts):
                key = ("clause", clause.text, pricing["rate"], pricing["guarantee_fee_rate"])
                ids.append(self._intern(key, lambda c=clause: _clause_check(c, pricing)))
            else:
                key = ("clause", clause.text)
                ids.append(self._intern(key, lambda c=clause: _clause_check(c, None)))
        return ids

    def run(self, firm: Facts, need: Facts, drawn: Mapping[int, Decimal]) -> MatchOutcome:
        """Evaluate every distinct check once, then read each product's failures from the table."""
        facts = {**firm, **need, "lpr_one_year": self.lpr}
        table = [None if test(facts) else check for test, check in self.tests]
        ongoing = _Call(self, facts, table, drawn)
        # Per product, its checks' rows of the table (the check where it failed, else None):
        # itemgetter, any() and compress() run in C, and the rows are not kept.
        rows = map(call_with, self.getters, repeat(table))
        passed = compress(self.entries, map(not_, map(any, rows)))
        eligible = sorted(map(ongoing.accept, passed), key=_rank_key)
        return MatchOutcome([found for _, _, found in eligible], ongoing)


_rank_key = itemgetter(0, 1)  # (annual cost, order by response hours then id)


class _Call:
    """One match in progress: the facts, the check table, and memos of work products share."""

    __slots__ = (
        "amount",
        "drawn",
        "facts",
        "groups",
        "guaranteed",
        "limits",
        "plan",
        "proposals",
        "reasons",
        "reasons_by_check",
        "sentences",
        "table",
        "takes",
        "unhintable",
    )

    def __init__(
        self,
        plan: _Plan,
        facts: dict[str, Any],
        table: list[_Check | None],
        drawn: Mapping[int, Decimal],
    ) -> None:
        self.plan = plan
        self.drawn = drawn
        self.facts = facts
        self.table = table  # the failed checks, at their indexes; None where a check passed
        self.reasons_by_check: dict[_Check, Reason] = {}
        self.reasons: list[Reason | None] | None = None
        self.amount: Decimal = facts["amount"]
        self.limits: list[Any] = [_UNSET] * len(plan.formula_keys)
        self.groups: list[Any] = [None] * len(plan.group_keys)
        # Prices with a paired guarantee's fee, and which guarantees take this firm and loan.
        self.guaranteed: dict[tuple[Any, ...], Any] = {}
        self.takes: dict[int, bool] = {}
        # Memos of the combined hints, filled on demand.
        self.proposals: dict[tuple[Reason, ...], Proposal | None] = {}
        self.sentences: dict[tuple[Any, ...], str] = {}
        self.unhintable: set[Reason] | None = None

    def reason(self, check: _Check) -> Reason:
        """The one Reason of this match for a failed check."""
        reason = self.reasons_by_check.get(check)
        if reason is None:
            reason = self.reasons_by_check[check] = Reason(check, self.facts)
        return reason

    def reason_table(self) -> list[Reason | None]:
        """The table with a Reason for each failed check, built on first use."""
        if self.reasons is None:
            reason = self.reason
            self.reasons = [None if check is None else reason(check) for check in self.table]
        return self.reasons

    # -- eligible products

    def accept(self, entry: _Entry) -> tuple[Decimal, int, ProductMatch]:
        """An eligible product's answer: instant approval, limit, policies and cost."""
        product = entry.product
        instant_reasons: tuple[Reason, ...] = ()
        approved = False
        limit = None
        if entry.instant is not None:
            failed = entry.instant(self.table)
            if any(failed):
                instant_reasons = tuple(map(self.reason, filter(None, failed)))
            else:
                limit = self.limit(entry)
                approved = limit is not None
                if not approved:
                    instant_reasons = (self.reason(NO_POSITIVE_LIMIT),)
        guarantee = self.paired_guarantee(product)
        if guarantee is not None:
            key = (entry.stack, guarantee.fee_rate, product.min_rate)
            priced = self.guaranteed.get(key)
            if priced is None:
                priced = self.guaranteed[key] = self._subsidies(entry, guarantee.fee_rate)
        elif entry.group < 0:
            priced = entry.unsubsidised
        else:
            priced = self.groups[entry.group]
            if priced is None:
                priced = self.groups[entry.group] = self._subsidies(entry)
        adjusted_rate, adjusted_fee, cost, benefits = priced
        offer = Offer(
            approved, instant_reasons, limit, adjusted_rate, adjusted_fee, cost, benefits, guarantee
        )
        return cost, entry.order, ProductMatch(product, (), offer, self, entry)

    def paired_guarantee(self, product: CatalogueProduct) -> CatalogueGuarantee | None:
        """The cheapest cooperating guarantee that takes the firm and the loan, when the need
        offers a guarantee institution's guarantee."""
        if self.facts["guarantee_type"] != GUARANTEE_AGENCY:
            return None
        for guarantee in self.plan.guarantees.get(product.id, ()):
            taken = self.takes.get(guarantee.id)
            if taken is None:
                taken = self.takes[guarantee.id] = guarantee.takes(self.facts)
            if taken:
                return guarantee
        return None

    def limit(self, entry: _Entry) -> Decimal | None:
        """The pre-approved limit: the formula's value up to the product ceiling and the amount
        asked; None when the formula gives none above zero."""
        product = entry.product
        ceiling = min(product.max_amount, self.amount)
        formula = product.rules.formula
        if formula is None:
            return pre_approved_limit(None, ceiling)
        value = self.limits[entry.formula]
        if value is _UNSET:
            reads_price = _reads_product_price(formula.facts_used)
            facts = {**self.facts, **entry.pricing} if reads_price else self.facts
            value = self.limits[entry.formula] = formula.evaluate(facts)
        if value is None:
            return None
        return pre_approved_limit(value, ceiling)

    def _subsidies(
        self, entry: _Entry, guarantee_fee_rate: Decimal | None = None
    ) -> tuple[Decimal, Decimal, Decimal, tuple[PolicyBenefit, ...]]:
        """The product's cost after the stacking policies, and every benefit, by the one
        subsidy rule on the need's amount and term at the product's lowest rate, with its own
        guarantee fee or a paired guarantee's.

        Computed once per group of products with the same policies, rate and guarantee fee.
        """
        product = entry.product
        price = LoanPrice(
            amount=self.amount,
            rate=product.min_rate,
            term_months=self.facts["term_months"],
            guarantee_fee_rate=(
                product.guarantee_fee_rate if guarantee_fee_rate is None else guarantee_fee_rate
            ),
        )
        rules = [self.plan.policy_rules[index] for index in entry.stack]
        benefits = benefits_for(rules, self.facts, price, None, self.drawn)
        adjusted_rate = subsidised_rate(price.rate, benefits)
        adjusted_fee = subsidised_fee_rate(price.guarantee_fee_rate, benefits)
        return adjusted_rate, adjusted_fee, annual_cost(price, benefits), benefits

    # -- hints

    def combined_hint(
        self, entry: _Entry, reasons: tuple[Reason, ...], *, instant: bool
    ) -> str | None:
        """One sentence naming the change to the need that passes every failed check, or None.

        The change is worked out once per set of failed checks in a match, then verified
        against each product's own checks and rules.
        """
        if not reasons or not self._unhintable().isdisjoint(reasons):
            return None
        proposal = self.proposals.get(reasons, _UNSET)
        if proposal is _UNSET:
            proposal = self.proposals[reasons] = _propose(reasons, self.facts)
        if proposal is None:
            return None
        values, changes, guarantees = proposal
        passing: tuple[str, ...] = ()
        if guarantees:
            changed = {**self.facts, **values}
            for guarantee in guarantees:
                changed["guarantee_type"] = guarantee
                if _passes(changed, entry, instant):
                    passing += (guarantee,)
            if not passing:
                return None
        elif not _passes({**self.facts, **values}, entry, instant):
            return None
        key = (changes, passing, instant)
        sentence = self.sentences.get(key)
        if sentence is None:
            sentence = self.sentences[key] = _sentence(changes, passing, instant)
        return sentence

    def _unhintable(self) -> set[Reason]:
        """The failed checks of this match that no change to the need could pass."""
        if self.unhintable is None:
            reasons = self.reason_table()
            self.unhintable = {r for r in reasons if r is not None and not r.hintable}
        return self.unhintable


# -- "what would change the answer" -----------------------------------------------------------

_CHANGES = {
    ("amount", "<="): N_("金额降至 %(value)s以内"),
    ("amount", "<"): N_("金额降至 %(value)s以下"),
    ("amount", ">="): N_("金额提高至 %(value)s"),
    ("amount", ">"): N_("金额提高至 %(value)s以上"),
    ("amount", "=="): N_("金额改为 %(value)s"),
    ("term_months", "<="): N_("期限缩短至 %(value)s以内"),
    ("term_months", "<"): N_("期限缩短至 %(value)s以下"),
    ("term_months", ">="): N_("期限延长至 %(value)s"),
    ("term_months", ">"): N_("期限延长至 %(value)s以上"),
    ("term_months", "=="): N_("期限改为 %(value)s"),
    ("guarantee_type", "in"): N_("担保方式改为%(value)s"),
}
_STEP = {"amount": CENT, "term_months": 1}


Change = tuple[str, str, Any]  # fact, operator of the binding check, its threshold
Proposal = tuple[dict[str, Any], tuple[Change, ...], tuple[str, ...]]


def _propose(reasons: Sequence[Reason], facts: Facts) -> Proposal | None:
    """The values to try for the need facts that failed, the binding checks to name, and the
    guarantee types that would pass; None when the failed checks contradict each other."""
    by_fact: dict[str, list[Reason]] = {}
    for reason in reasons:
        by_fact.setdefault(reason.fact or "", []).append(reason)
    values: dict[str, Any] = {}
    changes: list[Change] = []
    for name in ("amount", "term_months"):
        if name in by_fact:
            proposed = _numeric_change(name, by_fact[name], facts[name])
            if proposed is None:
                return None
            values[name] = proposed[0]
            changes.append((name, proposed[1], proposed[2]))
    guarantees: tuple[str, ...] = ()
    if "guarantee_type" in by_fact:
        guarantees = _guarantee_change(by_fact["guarantee_type"])
        if not guarantees:
            return None
    return values, tuple(changes), guarantees


def _sentence(changes: tuple[Change, ...], guarantees: tuple[str, ...], instant: bool) -> str:
    phrases = [render(_CHANGES[name, op], value=_shown(name, value)) for name, op, value in changes]
    if guarantees:
        value = _choices("guarantee_type", guarantees)
        phrases.append(render(_CHANGES["guarantee_type", "in"], value=value))
    template = N_("%(changes)s即可秒批") if instant else N_("%(changes)s即可申请")
    return render(template, changes=clauses(phrases))


def _passes(changed: Facts, entry: _Entry, instant: bool) -> bool:
    """Whether the product would take the changed need (and approve it at once)."""
    product = entry.product
    if entry.reads_price:
        changed = {**changed, **entry.pricing}
    if not _product_terms_hold(product, changed) or not product.rules.eligibility.check(changed):
        return False
    instant_rule = product.rules.instant_approval
    return not instant or (instant_rule is not None and instant_rule.check(changed))


def _shown(name: str, value: Any) -> str:
    if name == "amount":
        return format_money(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return _months(value)


def _numeric_change(
    name: str, reasons: Sequence[Reason], actual: Any
) -> tuple[Any, str, Any] | None:
    """(new value, operator of the binding check, its threshold), or None if none fits them all."""
    step = _STEP[name]
    allowed: set[Any] | None = None
    upper: tuple[Any, str, Any] | None = None  # (highest passing value, operator, threshold)
    lower: tuple[Any, str, Any] | None = None
    for reason in reasons:
        operator, threshold = reason.operator, reason.threshold
        if operator in ("==", "in"):
            values = set(threshold) if isinstance(threshold, tuple) else {threshold}
            allowed = values if allowed is None else allowed & values
        elif operator in ("<=", "<"):
            bound = threshold if operator == "<=" else threshold - step
            if upper is None or bound < upper[0]:
                upper = (bound, operator, threshold)
        elif operator in (">=", ">"):
            bound = threshold if operator == ">=" else threshold + step
            if lower is None or bound > lower[0]:
                lower = (bound, operator, threshold)
        else:
            return None
    if upper is not None and lower is not None:
        return None  # asked both to rise and to fall
    if allowed is not None:
        fits = [
            value
            for value in allowed
            if (upper is None or value <= upper[0]) and (lower is None or value >= lower[0])
        ]
        if not fits:
            return None
        chosen = min(fits, key=lambda value: (abs(value - actual), value))
        return chosen, "==", chosen
    return upper or lower


def _guarantee_change(reasons: Sequence[Reason]) -> tuple[str, ...]:
    """Guarantee types that pass every failed guarantee check, in registry order."""
    allowed = set(GUARANTEE_TYPES)
    for reason in reasons:
        threshold = reason.threshold
        values = set(threshold) if isinstance(threshold, tuple) else {threshold}
        if reason.operator in ("==", "in"):
            allowed &= values
        elif reason.operator in ("!=", "not in"):
            allowed -= values
        else:
            return ()
    return tuple(code for code in GUARANTEE_TYPES if code in allowed)
