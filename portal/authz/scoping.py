"""The one scoping layer: every query of tenant data goes through `scoped` or `get_or_404`.

Each tenant model registers a rule that turns the acting user into a WHERE clause. A row outside
the actor's tenant simply does not exist for them: a lookup by id gives 404, never 403, so ids
cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort
from sqlalchemy import ColumnElement, Select, false, select, true

from portal.accounts.models import User
from portal.api.models import ApiClient
from portal.audit.models import AuditEntry
from portal.authz.permissions import institution_approved
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.channel.models import DocumentRequest, LeadDocument, LeadMessage, ProfileSnapshot
from portal.claims.models import ClaimRecovery, CompensationClaim
from portal.datasources.models import DataAuthorisation, DataQuery, FactDispute, IdentityLetter
from portal.enums import (
    BANK_ROLES,
    GUARANTOR_ROLES,
    INSTITUTION_ADMIN_ROLES,
    INSTITUTION_ROLES,
    GuaranteeRequestStatus,
    LeadStatus,
    Role,
)
from portal.extensions import db
from portal.firms.models import Firm
from portal.guarantees.models import (
    Compensation,
    CompensationRecovery,
    CompensationShare,
    Guarantee,
    GuaranteeAgreement,
    GuaranteeProduct,
    GuaranteeRequest,
    RiskShareAgreement,
)
from portal.institutions.models import (
    FinancialInstitution,
    GovernmentAgency,
    InstitutionDocument,
)
from portal.leads.models import Lead, Loan
from portal.matching.models import MatchResult
from portal.monthly.models import MonthlyReport
from portal.needs.models import FinancingNeed
from portal.notifications.models import Notification
from portal.reporting.models import LoanReportUpload, LoanStatusReport
from portal.subsidies.models import SettlementBatch, SettlementLine

M = TypeVar("M")
Rule = Callable[[User], ColumnElement[bool]]

# Once a bank accepts a lead it may see the firm behind it; before that, only a teaser.
LEAD_STATUSES_REVEALING_FIRM = (
    LeadStatus.ACCEPTED,
    LeadStatus.APPROVED,
    LeadStatus.DISBURSED,
)
# Likewise a guarantor once it takes a guarantee request on.
REQUEST_STATUSES_REVEALING_FIRM = (GuaranteeRequestStatus.ACCEPTED, GuaranteeRequestStatus.ISSUED)

# GB/T 2260 codes of a province end in four zeros (350000); a city's do not (350100).
PROVINCE_SUFFIX = "0000"

_RULES: dict[type, Rule] = {}


def tenant_rule(model: type) -> Callable[[Rule], Rule]:
    """Register the function that scopes `model` for an actor."""

    def register(rule: Rule) -> Rule:
        _RULES[model] = rule
        return rule

    return register


def scope_clause(model: type, actor: User) -> ColumnElement[bool]:
    """The WHERE clause limiting `model` to what `actor` may see (admins see everything)."""
    if actor.role == Role.ADMIN:
        return true()
    try:
        rule = _RULES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no tenant rule; register one") from None
    return rule(actor)


def scoped(statement: Select[Any], model: type, actor: User) -> Select[Any]:
    """Add the actor's tenant scope for `model` to a select statement."""
    return statement.where(scope_clause(model, actor))


def get_or_404(model: type[M], object_id: int, actor: User) -> M:
    """Load one row the actor may see, or answer 404 (also for other tenants' rows)."""
    pk = model.id  # type: ignore[attr-defined]
    row = db.session.scalar(select(model).where(pk == object_id, scope_clause(model, actor)))
    if row is None:
        abort(404)
    return row


# --- the supervision figures ------------------------------------------------------------------


class NoFigureScope(Exception):
    """The actor has no cut of the supervision figures (wrong role, no bank or agency)."""


@dataclass(frozen=True)
class FigureScope:
    """The cut of the supervision figures (dashboard, exports) an actor is held to.

    - regulators and admins: the whole province, cut as they ask (any bank);
    - government staff: their agency's region, or the province for a provincial agency;
    - bank admins: their own bank only, beside the anonymised median of all banks.
    """

    region_code: str | None = None
    institution_id: int | None = None
    may_choose_bank: bool = False
    bank_view: bool = False


def figure_scope(actor: User) -> FigureScope:
    if actor.role in (Role.REGULATOR, Role.ADMIN):
        return FigureScope(may_choose_bank=True)
    if actor.role == Role.GOV_STAFF:
        if actor.agency is None:
            raise NoFigureScope("government user without an agency")
        return FigureScope(region_code=agency_region(actor), may_choose_bank=True)
    if actor.role == Role.BANK_ADMIN:
        if not actor.institution_id:
            raise NoFigureScope("bank admin without a bank")
        return FigureScope(institution_id=actor.institution_id, bank_view=True)
    raise NoFigureScope(f"role {actor.role} has no supervision figures")


def agency_region(actor: User) -> str | None:
    """A government user's city (GB/T 2260), or None for a provincial agency: the province."""
    code = actor.agency.region_code if actor.agency is not None else None
    return None if code is None or code.endswith(PROVINCE_SUFFIX) else code


def _is_bank(actor: User) -> bool:
    """A bank user whose institution is approved: only they see the bank's rows.

    An applicant (applied, rejected) or a suspended bank's user sees none of them, whatever
    page lets a query through; they see their institution (its application) and themselves.
    """
    return actor.role in BANK_ROLES and institution_approved(actor)


def _is_guarantor(actor: User) -> bool:
    """A guarantee institution's user whose institution is approved (as `_is_bank`)."""
    return actor.role in GUARANTOR_ROLES and institution_approved(actor)


@tenant_rule(Firm)
def _firm_rule(actor: User) -> ColumnElement[bool]:
    if actor.role == Role.SME:
        return Firm.id == actor.firm_id
    if _is_bank(actor):
        revealed = (
            select(FinancingNeed.firm_id)
            .join(Lead, Lead.need_id == FinancingNeed.id)
            .where(
                Lead.institution_id == actor.institution_id,
                Lead.status.in_(LEAD_STATUSES_REVEALING_FIRM),
            )
        )
        return Firm.id.in_(revealed)
    if _is_guarantor(actor):
        revealed = (
            select(FinancingNeed.firm_id)
            .join(GuaranteeRequest, GuaranteeRequest.need_id == FinancingNeed.id)
            .where(
                GuaranteeRequest.institution_id == actor.institution_id,
                GuaranteeRequest.status.in_(REQUEST_STATUSES_REVEALING_FIRM),
            )
        )
        return Firm.id.in_(revealed)
    return false()


@tenant_rule(FinancingNeed)
def _need_rule(actor: User) -> ColumnElement[bool]:
    if actor.role == Role.SME:
        return FinancingNeed.firm_id == actor.firm_id
    if _is_bank(actor):
        routed = select(Lead.need_id).where(Lead.institution_id == actor.institution_id)
        return FinancingNeed.id.in_(routed)
    if _is_guarantor(actor):
        asked = select(GuaranteeRequest.need_id).where(
            GuaranteeRequest.institution_id == actor.institution_id
        )
        return FinancingNeed.id.in_(asked)
    return false()


@tenant_rule(MatchResult)
def _match_rule(actor: User) -> ColumnElement[bool]:
    if actor.role == Role.SME:
        own = select(FinancingNeed.id).where(FinancingNeed.firm_id == actor.firm_id)
        return MatchResult.need_id.in_(own)
    return false()


@tenant_rule(Lead)
def _lead_rule(actor: User) -> ColumnElement[bool]:
    if actor.role == Role.SME:
        own = select(FinancingNeed.id).where(FinancingNeed.firm_id == actor.firm_id)
        return Lead.need_id.in_(own)
    if _is_bank(actor):
        return Lead.institution_id == actor.institution_id
    return false()


def _channel_leads(actor: User) -> Select[Any] | None:
    """The leads whose channel the actor takes part in: the firm's own, or the bank's while
    it may see the firm behind them."""
    if actor.role == Role.SME:
        own = select(FinancingNeed.id).where(FinancingNeed.firm_id == actor.firm_id)
        return select(Lead.id).where(Lead.need_id.in_(own))
    if _is_bank(actor):
        return select(Lead.id).where(
            Lead.institution_id == actor.institution_id,
            Lead.status.in_(LEAD_STATUSES_REVEALING_FIRM),
        )
    return None


@tenant_rule(LeadMessage)
def _lead_message_rule(actor: User) -> ColumnElement[bool]:
    leads = _channel_leads(actor)
    return false() if leads is None else LeadMessage.lead_id.in_(leads)


@tenant_rule(DocumentRequest)
def _document_request_rule(actor: User) -> ColumnElement[bool]:
    leads = _channel_leads(actor)
    return false() if leads is None else DocumentRequest.lead_id.in_(leads)


@tenant_rule(LeadDocument)
def _lead_document_rule(actor: User) -> ColumnElement[bool]:
    # A document is seen by its firm and by the bank of the lead it was uploaded on, never by
    # another bank the firm also applied to.
    leads = _channel_leads(actor)
    return false() if leads is None else LeadDocument.lead_id.in_(leads)


@tenant_rule(ProfileSnapshot)
def _profile_snapshot_rule(actor: User) -> ColumnElement[bool]:
    # The bank's record of what it decided on, while it may see the firm.
    if _is_bank(actor):
        leads = _channel_leads(actor)
        return ProfileSnapshot.lead_id.in_(leads)
    return false()


@tenant_rule(Loan)
def _loan_rule(actor: User) -> ColumnElement[bool]:
    if actor.role == Role.SME:
        return Loan.firm_id == actor.firm_id
    if _is_bank(actor):
        return Loan.institution_id == actor.institution_id
    return false()


@tenant_rule(LoanStatusReport)
def _status_report_rule(actor: User) -> ColumnElement[bool]:
    if _is_bank(actor):
        return LoanStatusReport.institution_id == actor.institution_id
    return false()


@tenant_rule(LoanReportUpload)
def _upload_rule(actor: User) -> ColumnElement[bool]:
    if _is_bank(actor):
        return LoanReportUpload.institution_id == actor.institution_id
    return false()


@tenant_rule(CompensationClaim)
def _claim_rule(actor: User) -> ColumnElement[bool]:
    # The bank that filed it, the agency whose policy pays it, and the regulator.
    if _is_bank(actor):
        return CompensationClaim.institution_id == actor.institution_id
    if actor.role == Role.GOV_STAFF:
        own = select(PolicyProduct.id).where(PolicyProduct.agency_id == actor.agency_id)
        return CompensationClaim.policy_id.in_(own)
    if actor.role == Role.REGULATOR:
        return true()
    return false()


@tenant_rule(ClaimRecovery)
def _claim_recovery_rule(actor: User) -> ColumnElement[bool]:
    visible = select(CompensationClaim.id).where(_claim_rule(actor))
    return ClaimRecovery.claim_id.in_(visible)


@tenant_rule(SettlementBatch)
def _settlement_batch_rule(actor: User) -> ColumnElement[bool]:
    # Interest-subsidy batches belong to the agency whose policy pays them.
    if actor.role == Role.GOV_STAFF:
        own = select(PolicyProduct.id).where(PolicyProduct.agency_id == actor.agency_id)
        return SettlementBatch.policy_id.in_(own)
    return false()


@tenant_rule(SettlementLine)
def _settlement_line_rule(actor: User) -> ColumnElement[bool]:
    # The agency's batches' lines; a firm its own loans' lines (what it was paid).
    if actor.role == Role.SME:
        return SettlementLine.firm_id == actor.firm_id
    visible = select(SettlementBatch.id).where(_settlement_batch_rule(actor))
    return SettlementLine.batch_id.in_(visible)


@tenant_rule(GuaranteeRequest)
def _guarantee_request_rule(actor: User) -> ColumnElement[bool]:
    # The guarantor asked; the bank that asked (its leads'); the firm (its needs'); read by
    # the regulator.
    if _is_guarantor(actor):
        return GuaranteeRequest.institution_id == actor.institution_id
    if _is_bank(actor):
        own = select(Lead.id).where(Lead.institution_id == actor.institution_id)
        return GuaranteeRequest.lead_id.in_(own)
    if actor.role == Role.SME:
        own = select(FinancingNeed.id).where(FinancingNeed.firm_id == actor.firm_id)
        return GuaranteeRequest.need_id.in_(own)
    if actor.role == Role.REGULATOR:
        return true()
    return false()


@tenant_rule(Guarantee)
def _guarantee_rule(actor: User) -> ColumnElement[bool]:
    # Its guarantor, the bank it backs, the firm; government and the regulator read them all
    # (fee subsidies and risk sharing are paid on them).
    if _is_guarantor(actor):
        return Guarantee.institution_id == actor.institution_id
    if _is_bank(actor):
        return Guarantee.bank_institution_id == actor.institution_id
    if actor.role == Role.SME:
        return Guarantee.firm_id == actor.firm_id
    if actor.role in (Role.GOV_STAFF, Role.REGULATOR):
        return true()
    return false()


@tenant_rule(GuaranteeProduct)
def _guarantee_product_rule(actor: User) -> ColumnElement[bool]:
    # The public catalogue reads published products without an actor; this rule is for managing.
    if _is_guarantor(actor):
        return GuaranteeProduct.institution_id == actor.institution_id
    return false()


@tenant_rule(GuaranteeAgreement)
def _guarantee_agreement_rule(actor: User) -> ColumnElement[bool]:
    visible = select(GuaranteeProduct.id).where(_guarantee_product_rule(actor))
    return GuaranteeAgreement.guarantee_product_id.in_(visible)


@tenant_rule(RiskShareAgreement)
def _risk_share_rule(actor: User) -> ColumnElement[bool]:
    visible = select(GuaranteeProduct.id).where(_guarantee_product_rule(actor))
    return RiskShareAgreement.guarantee_product_id.in_(visible)


@tenant_rule(Compensation)
def _compensation_rule(actor: User) -> ColumnElement[bool]:
    # The bank that claimed, the guarantor that pays; government staff those whose onward
    # shares they review; the regulator reads them all.
    if _is_bank(actor):
        return Compensation.bank_institution_id == actor.institution_id
    if _is_guarantor(actor):
        return Compensation.institution_id == actor.institution_id
    if actor.role == Role.GOV_STAFF:
        reviewed = select(CompensationShare.compensation_id).where(_share_rule(actor))
        return Compensation.id.in_(reviewed)
    if actor.role == Role.REGULATOR:
        return true()
    return false()


@tenant_rule(CompensationShare)
def _share_rule(actor: User) -> ColumnElement[bool]:
    # Government staff of the firm's city, or of the province; the guarantor that claims them.
    if actor.role == Role.GOV_STAFF and actor.agency is not None:
        city = agency_region(actor)
        if city is None:
            return CompensationShare.region_code.like(actor.agency.region_code[:2] + "%")
        return CompensationShare.region_code == city
    if _is_guarantor(actor):
        own = select(Compensation.id).where(Compensation.institution_id == actor.institution_id)
        return CompensationShare.compensation_id.in_(own)
    if actor.role == Role.REGULATOR:
        return true()
    return false()


@tenant_rule(CompensationRecovery)
def _compensation_recovery_rule(actor: User) -> ColumnElement[bool]:
    visible = select(Compensation.id).where(_compensation_rule(actor))
    return CompensationRecovery.compensation_id.in_(visible)


@tenant_rule(BankProduct)
def _product_rule(actor: User) -> ColumnElement[bool]:
    # The public catalogue reads published products without an actor; this rule is for managing.
    if _is_bank(actor):
        return BankProduct.institution_id == actor.institution_id
    return false()


@tenant_rule(PolicyProduct)
def _policy_rule(actor: User) -> ColumnElement[bool]:
    if actor.role == Role.GOV_STAFF:
        return PolicyProduct.agency_id == actor.agency_id
    return false()


@tenant_rule(RuleVersion)
def _rule_version_rule(actor: User) -> ColumnElement[bool]:
    if _is_bank(actor):
        own = select(BankProduct.id).where(BankProduct.institution_id == actor.institution_id)
        return RuleVersion.product_id.in_(own)
    if actor.role == Role.GOV_STAFF:
        own = select(PolicyProduct.id).where(PolicyProduct.agency_id == actor.agency_id)
        return RuleVersion.policy_id.in_(own)
    if _is_guarantor(actor):
        own = select(GuaranteeProduct.id).where(
            GuaranteeProduct.institution_id == actor.institution_id
        )
        return RuleVersion.guarantee_product_id.in_(own)
    return false()


@tenant_rule(FinancialInstitution)
def _institution_rule(actor: User) -> ColumnElement[bool]:
    if actor.role in INSTITUTION_ROLES:
        return FinancialInstitution.id == actor.institution_id
    if actor.role in (Role.GOV_STAFF, Role.REGULATOR):
        return true()
    return false()


@tenant_rule(InstitutionDocument)
def _institution_document_rule(actor: User) -> ColumnElement[bool]:
    # The applicant's own admins, and the government staff who decide applications.
    if actor.role in INSTITUTION_ADMIN_ROLES:
        return InstitutionDocument.institution_id == actor.institution_id
    if actor.role == Role.GOV_STAFF:
        return true()
    return false()


@tenant_rule(GovernmentAgency)
def _agency_rule(actor: User) -> ColumnElement[bool]:
    if actor.role == Role.GOV_STAFF:
        return GovernmentAgency.id == actor.agency_id
    if actor.role == Role.REGULATOR:
        return true()
    return false()


@tenant_rule(User)
def _user_rule(actor: User) -> ColumnElement[bool]:
    if actor.role == Role.SME:
        return User.firm_id == actor.firm_id
    if actor.role in INSTITUTION_ADMIN_ROLES and institution_approved(actor):
        # An API client's user is managed on the client's page, not as one of the team.
        return (User.institution_id == actor.institution_id) & User.api_client.is_(False)
    if actor.role == Role.GOV_STAFF:
        return User.agency_id == actor.agency_id
    return User.id == actor.id


@tenant_rule(ApiClient)
def _api_client_rule(actor: User) -> ColumnElement[bool]:
    if actor.role in INSTITUTION_ADMIN_ROLES and institution_approved(actor):
        return ApiClient.institution_id == actor.institution_id
    return false()


@tenant_rule(Notification)
def _notification_rule(actor: User) -> ColumnElement[bool]:
    if actor.role in INSTITUTION_ROLES and not institution_approved(actor):
        # Until approval (and while suspended) only the news about the application itself.
        return (Notification.user_id == actor.id) & Notification.kind.like("institution.%")
    return Notification.user_id == actor.id


@tenant_rule(DataAuthorisation)
def _data_authorisation_rule(actor: User) -> ColumnElement[bool]:
    # The firm's own; a bank those of the firms revealed to it (an accepted lead), so that it
    # sees which sources it may query and until when.
    if actor.role == Role.SME:
        return DataAuthorisation.firm_id == actor.firm_id
    if _is_bank(actor) or _is_guarantor(actor):
        return DataAuthorisation.firm_id.in_(select(Firm.id).where(_firm_rule(actor)))
    return false()


@tenant_rule(DataQuery)
def _data_query_rule(actor: User) -> ColumnElement[bool]:
    # The firm sees every query of its data; a bank its own queries; the regulator all (read).
    if actor.role == Role.SME:
        return DataQuery.firm_id == actor.firm_id
    if _is_bank(actor) or _is_guarantor(actor):
        return DataQuery.institution_id == actor.institution_id
    if actor.role == Role.REGULATOR:
        return true()
    return false()


@tenant_rule(IdentityLetter)
def _identity_letter_rule(actor: User) -> ColumnElement[bool]:
    # The firm's own letters; platform staff (admins) see every one.
    if actor.role == Role.SME:
        return IdentityLetter.firm_id == actor.firm_id
    return false()


@tenant_rule(FactDispute)
def _fact_dispute_rule(actor: User) -> ColumnElement[bool]:
    # The firm's own disputes; platform staff (admins) see every one.
    if actor.role == Role.SME:
        return FactDispute.firm_id == actor.firm_id
    return false()


@tenant_rule(AuditEntry)
def _audit_rule(actor: User) -> ColumnElement[bool]:
    # A firm may read the entries about its own data (who viewed its profile, and when).
    if actor.role == Role.SME:
        return AuditEntry.firm_id == actor.firm_id
    return false()


@tenant_rule(MonthlyReport)
def _monthly_report_rule(actor: User) -> ColumnElement[bool]:
    if actor.role == Role.REGULATOR:
        return true()
    if _is_bank(actor):
        return MonthlyReport.scope == f"bank:{actor.institution_id}"
    if actor.role == Role.GOV_STAFF and actor.agency is not None:
        city = agency_region(actor)
        if city is None:
            # A provincial agency's region is the whole province, as on its dashboard.
            return (MonthlyReport.scope == "province") | MonthlyReport.scope.like("region:%")
        # A city's staff see their city only, as on the dashboard: the province report has
        # every city's figures in its tables.
        return MonthlyReport.scope == f"region:{city}"
    return false()
