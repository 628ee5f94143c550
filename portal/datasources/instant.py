"""秒批 on verified facts: a pre-approval may rest only on facts a source verified and that are
still fresh.

A product's instant-approval rule and its limit formula read facts about the firm. Where any of
them is as the firm declared it (or verified too long ago), the match stays eligible but is not
pre-approved: the need goes to the bank as an ordinary lead, and the firm is told which fact
lacked verification. A pre-approval keeps each deciding fact with its source, as-of date and
reference, so firm and bank see what it rested on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from portal.datasources.sources import SOURCE_LABELS, Source
from portal.datasources.verification import RULE_FACTS, unverified_facts
from portal.firms.models import Firm
from portal.rules import FACTS, FactSource
from portal.settings import instant_requires_verified


@dataclass(frozen=True)
class InstantCheck:
    """Whether a pre-approval may stand, the facts that were not verified, and what it rests on."""

    allowed: bool
    unverified: tuple[str, ...] = ()  # rule fact names
    deciding: tuple[dict[str, Any], ...] = field(default=())


def firm_facts_read(instant: Any, formula: Any) -> list[str]:
    """The facts about the firm a product's instant rule and limit formula read, in order."""
    names: list[str] = []
    for compiled in (instant, formula):
        if compiled is None:
            continue
        for name in sorted(compiled.facts_used):
            fact = FACTS.get(name)
            if fact is not None and fact.source == FactSource.FIRM and name not in names:
                names.append(name)
    return names


def check(firm: Firm, names: Iterable[str], today: dt.date) -> InstantCheck:
    """Whether the facts `names` are verified and fresh enough for a pre-approval."""
    names = list(names)
    missing = tuple(unverified_facts(firm, names, today)) if instant_requires_verified() else ()
    return InstantCheck(not missing, missing, tuple(_deciding(firm, names)))


def _deciding(firm: Firm, names: list[str]) -> list[dict[str, Any]]:
    verified = firm.verified_fields or {}
    found = []
    for name in names:
        profile_field = RULE_FACTS.get(name)
        provenance = verified.get(profile_field or "") or {}
        found.append(
            {
                "fact": name,
                "source": provenance.get("source"),
                "as_of": provenance.get("as_of"),
                "reference": provenance.get("reference"),
            }
        )
    return found


def fact_label(name: str) -> str:
    """A rule fact's name for people, in the current language."""
    fact = FACTS.get(name)
    return fact.display_label if fact is not None else name


def source_label(value: str | None) -> str:
    """A source's name for people, or 企业自报 for a declared fact."""
    if not value:
        from flask_babel import gettext as _

        return _("企业自报")
    return str(SOURCE_LABELS.get(Source(value), value))
