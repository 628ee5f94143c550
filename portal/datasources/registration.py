"""Registering a firm on the registry's word (issue 15, part 3).

The credit code must be in the market registry and 存续, and the authority that issued it must
lie where the registry places the firm. The firm's name, region, industry, established date and
legal representative come from the registry; its tax, social-insurance and qualification records
fill in at once. The registrant shows they act for the firm: the legal representative's name and
ID number confirmed by the registry (the number kept only as a salted hash), or an authorisation
letter that platform staff review.

Nothing is saved unless all of it succeeds: when the exchange cannot answer, registration waits
(the page says to try again in a few minutes) rather than creating a firm that is half checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app

from portal.accounts import services as accounts
from portal.accounts import throttle
from portal.accounts.models import User
from portal.datasources import identity, reviews, verification
from portal.datasources.client import Envelope, ExchangeClient, ExchangeUnavailable
from portal.datasources.sources import Source
from portal.db import utcnow
from portal.firms import standards
from portal.firms.models import Firm
from portal.legal import services as legal
from portal.uploads import UploadedFile

ACTIVE = "active"
# Working days a new firm's registration takes to reach the exchange.
REGISTRY_DELAY_DAYS = 3
# Profile fields the tax and social-insurance bureaus give; the firm states them only when the
# bureau has no record of it yet (a firm established this year has filed no return).
BUREAU_FIELDS = ("employees", "revenue", "tax_credit_grade")
# What a field holds until the bureau's value replaces it in the same transaction; a field the
# bureau did not fill and the firm did not state stops the registration (MissingDeclared).
_PENDING = {"employees": 0, "revenue": Decimal("0"), "tax_credit_grade": "M"}


class RegistrationRefused(Exception):
    """The registration cannot go ahead; the subclass says why. Nothing was saved."""


class ExchangeDown(RegistrationRefused):
    """The government data exchange is not configured or did not answer."""


class NotInRegistry(RegistrationRefused):
    """The registry does not know the credit code."""


class NotActive(RegistrationRefused):
    """The registry has the firm as cancelled (注销) or revoked (吊销)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class OutsideProvince(RegistrationRefused):
    """The registry places the firm outside the province the platform serves."""

    def __init__(self, region_code: str) -> None:
        super().__init__(region_code)
        self.region_code = region_code


class RegionMismatch(RegistrationRefused):
    """The code's registration authority is not where the registry places the firm."""

    def __init__(self, check: identity.RegionCheck) -> None:
        super().__init__(check.authority, check.registry)
        self.check = check


class IdentityMismatch(RegistrationRefused):
    """The registry's legal representative has another name or ID number."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason)
        self.reason = reason or "name"


class MissingDeclared(RegistrationRefused):
    """A bureau has no record of the firm yet: the firm must state these fields."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(fields)
        self.fields = fields


@dataclass(frozen=True)
class Representative:
    """The legal representative as the registrant states them."""

    name: str
    id_number: str


@dataclass(frozen=True)
class Declared:
    """What the firm states itself: what no source gives, and the bureaus' fields as a fallback."""

    total_assets: Decimal
    qualifications: list[str]
    employees: int | None = None
    revenue: Decimal | None = None
    tax_credit_grade: str | None = None


@dataclass(frozen=True)
class Applicant:
    """Who registers: their account, the firm's code, what they state and how they show that
    they act for the firm (a representative confirmed by the registry, or a letter)."""

    account: dict[str, Any]
    credit_code: str
    declared: Declared
    representative: Representative | None = None
    letter: UploadedFile | None = None


def register(applicant: Applicant, address: str | None, today: dt.date) -> User:
    """Check the firm and the registrant, then create the firm, its user, its facts and the
    user's consent to the user agreement and the privacy policy in force.

    Raises EmailTaken, CreditCodeTaken, Throttled or a RegistrationRefused; nothing is saved then.
    """
    code = applicant.credit_code
    accounts.ensure_available(applicant.account["email"], code)
    client = verification.exchange_client()
    if client is None:
        raise ExchangeDown("not configured")
    record = _registry_record(client, code)
    if applicant.representative is not None:
        _confirm_representative(client, code, applicant.representative, address)
    profile = {**registry_profile(record), **_declared_profile(applicant.declared)}

    def finish(user: User, firm: Firm) -> None:
        legal.record_consents(user, today)  # the consent box: the versions in force today
        _verify(user, firm, client, applicant.declared, today)
        if applicant.representative is not None:
            firm.identity_method = "registry"
            firm.identity_verified_at = utcnow()
            firm.legal_rep_id_hash = identity.hash_id_number(
                applicant.representative.id_number, current_app.config["SECRET_KEY"]
            )
        elif applicant.letter is not None:
            reviews.add_letter(user, firm, applicant.letter)

    return accounts.register_firm(applicant.account, profile, code, before_commit=finish)


def _registry_record(client: ExchangeClient, code: str) -> Envelope:
    """The registry's record of an active firm of the province, or the refusal that applies."""
    try:
        record = client.fetch(Source.REGISTRY, code)
    except ExchangeUnavailable as error:
        raise ExchangeDown(str(error)) from error
    if record is None:
        raise NotInRegistry(code)
    status = record.data.get("status")
    if status != ACTIVE:
        raise NotActive(str(status))
    region = str(record.data.get("region_code") or "")
    if not region.isdigit() or len(region) != 6:
        raise ExchangeDown("registry record without a region")
    if identity.prefecture_of(region) not in _PREFECTURES:
        raise OutsideProvince(region)
    check = identity.check_region(code, region)
    if not check.agrees:
        raise RegionMismatch(check)
    return record


_PREFECTURES = frozenset(
    code for code, _name in standards.FUJIAN_REGIONS if not code.endswith("0000")
)


def _confirm_representative(
    client: ExchangeClient, code: str, person: Representative, address: str | None
) -> None:
    """Ask the registry whether the person is the firm's legal representative.

    Counted like a sign-in attempt (per code, per address): the answer would otherwise let
    anyone test guesses of a representative's ID number.
    """
    attempt = throttle.begin(f"identity:{code}", address, step="identity")
    try:
        answer = client.verify_identity(code, person.name, person.id_number)
    except ExchangeUnavailable as error:
        attempt.succeeded()  # the exchange failing is not a wrong guess
        raise ExchangeDown(str(error)) from error
    if not answer.match:
        raise IdentityMismatch(answer.reason)
    attempt.succeeded()


def registry_profile(record: Envelope) -> dict[str, Any]:
    """The profile fields the registry gives: name, representative, region, industry, date."""
    data = record.data
    try:
        industry = str(data["industry_code"]).strip()
        standards.industry_label(industry)  # a code of GB/T 4754, else the record is unusable
        profile = {
            "name": str(data["name"]).strip()[:120],
            "legal_representative": (str(data.get("legal_representative") or "").strip() or None),
            "region_code": identity.prefecture_of(str(data["region_code"])),
            "industry_code": industry,
            "established_on": dt.date.fromisoformat(str(data["established_on"])),
        }
    except (KeyError, ValueError) as error:
        raise ExchangeDown(f"registry record unusable: {error}") from error
    if not profile["name"]:
        raise ExchangeDown("registry record without a name")
    return profile


def _declared_profile(declared: Declared) -> dict[str, Any]:
    stated = {
        "employees": declared.employees,
        "revenue": declared.revenue,
        "tax_credit_grade": declared.tax_credit_grade,
    }
    return {
        "total_assets": declared.total_assets,
        "qualifications": list(declared.qualifications),
        **{name: value if value is not None else _PENDING[name] for name, value in stated.items()},
    }


def _verify(
    user: User, firm: Firm, client: ExchangeClient, declared: Declared, today: dt.date
) -> None:
    """Fetch every source into the new firm; refuse if a bureau's field is left unfilled."""
    try:
        verification.verify(user, firm, today, client=client)
    except verification.VerificationUnavailable as error:
        raise ExchangeDown(str(error)) from error
    filled = firm.verified_fields or {}
    missing = [
        name for name in BUREAU_FIELDS if name not in filled and getattr(declared, name) is None
    ]
    if missing:
        raise MissingDeclared(missing)
