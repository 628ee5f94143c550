"""Every model, imported in one place so that metadata is complete for Alembic and tests."""

from portal.accounts.models import RecoveryCode, ThrottleCounter, User
from portal.api.models import ApiCall, ApiClient, ApiClientSecret, ApiToken, IdempotencyRecord
from portal.audit.models import AuditEntry
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.channel.models import DocumentRequest, LeadDocument, LeadMessage, ProfileSnapshot
from portal.claims.models import ClaimRecovery, CompensationClaim
from portal.datasources.models import (
    DataAuthorisation,
    DataQuery,
    FactDispute,
    FirmFact,
    IdentityLetter,
)
from portal.figures.models import (
    DashboardLeadFact,
    DashboardLoanFact,
    DashboardReportCell,
    DashboardReportMonth,
    MonthMark,
)
from portal.firm_team.models import FirmClosureRequest
from portal.firms.models import Firm
from portal.guarantees.models import (
    Guarantee,
    GuaranteeAgreement,
    GuaranteeProduct,
    GuaranteeRequest,
)
from portal.institutions.models import (
    FinancialInstitution,
    GovernmentAgency,
    InstitutionDocument,
)
from portal.leads.models import Lead, Loan
from portal.legal.models import Consent
from portal.lpr import LprRate
from portal.matching.models import MatchResult
from portal.monthly.models import MonthlyReport
from portal.needs.models import FinancingNeed
from portal.notifications.models import Notification
from portal.reporting.models import LoanReportUpload, LoanStatusReport
from portal.scheduler.models import SchedulerRun
from portal.settings import SystemSetting
from portal.subsidies.models import SettlementBatch, SettlementLine, SubsidyGrant
from portal.workdays import CalendarDay, CalendarYear

__all__ = [
    "ApiCall",
    "ApiClient",
    "ApiClientSecret",
    "ApiToken",
    "AuditEntry",
    "BankProduct",
    "CalendarDay",
    "CalendarYear",
    "ClaimRecovery",
    "CompensationClaim",
    "Consent",
    "DashboardLeadFact",
    "DashboardLoanFact",
    "DashboardReportCell",
    "DashboardReportMonth",
    "DataAuthorisation",
    "DataQuery",
    "DocumentRequest",
    "FactDispute",
    "FinancialInstitution",
    "FinancingNeed",
    "Firm",
    "FirmClosureRequest",
    "FirmFact",
    "GovernmentAgency",
    "Guarantee",
    "GuaranteeAgreement",
    "GuaranteeProduct",
    "GuaranteeRequest",
    "IdempotencyRecord",
    "IdentityLetter",
    "InstitutionDocument",
    "Lead",
    "LeadDocument",
    "LeadMessage",
    "Loan",
    "LoanReportUpload",
    "LoanStatusReport",
    "LprRate",
    "MatchResult",
    "MonthMark",
    "MonthlyReport",
    "Notification",
    "PolicyProduct",
    "ProfileSnapshot",
    "RecoveryCode",
    "RuleVersion",
    "SchedulerRun",
    "SettlementBatch",
    "SettlementLine",
    "SubsidyGrant",
    "SystemSetting",
    "ThrottleCounter",
    "User",
]
