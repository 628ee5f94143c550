"""Every permission, and which role holds it. The one place that says who may do what."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from portal.enums import INSTITUTION_ROLES, OnboardingStatus, Role

if TYPE_CHECKING:
    from portal.accounts.models import User


class Permission(StrEnum):
    # Named scope:resource:action, as warehouse does. Each home page belongs to exactly one role.
    HOME_SME = "home:sme:view"
    HOME_BANK_OFFICER = "home:bank_officer:view"
    HOME_BANK_ADMIN = "home:bank_admin:view"
    HOME_GUARANTOR_OFFICER = "home:guarantor_officer:view"
    HOME_GUARANTOR_ADMIN = "home:guarantor_admin:view"
    HOME_GOV = "home:gov:view"
    HOME_REGULATOR = "home:regulator:view"
    HOME_ADMIN = "home:admin:view"
    FIRM_PROFILE_EDIT = "firm:profile:edit"
    FIRM_NEED_SUBMIT = "firm:need:submit"
    # A firm's owners run its team (invite, disable, pass ownership on) and download everything
    # the portal holds about the firm; its members only do its business.
    FIRM_TEAM_MANAGE = "firm:team:manage"
    FIRM_DATA_EXPORT = "firm:data:export"
    BANK_LEADS_WORK = "bank:leads:work"
    BANK_PRODUCTS_MANAGE = "bank:products:manage"
    GOV_POLICIES_MANAGE = "gov:policies:manage"
    GOV_ONBOARDING_DECIDE = "gov:onboarding:decide"
    # Interest-subsidy settlement batches (review, adjust, approve, export) and claims decisions.
    GOV_SUBSIDIES_SETTLE = "gov:subsidies:settle"
    GOV_CLAIMS_DECIDE = "gov:claims:decide"
    # A bank files risk-compensation claims on its loans and reports recoveries.
    BANK_CLAIMS_FILE = "bank:claims:file"
    # A guarantor works the guarantee requests banks send it and publishes guarantee products.
    GUARANTOR_REQUESTS_WORK = "guarantor:requests:work"
    GUARANTOR_PRODUCTS_MANAGE = "guarantor:products:manage"
    # An institution's admin may see and edit its application while it waits for review.
    INSTITUTION_ONBOARDING_APPLY = "institution:onboarding:apply"
    # An approved institution's admins run its team (invite, disable, reset a second factor)
    # and its settings (default response deadline, working hours, notification mailboxes).
    INSTITUTION_TEAM_MANAGE = "institution:team:manage"
    # An institution's admins give its own systems API clients (scopes, networks, secrets).
    INSTITUTION_API_CLIENTS_MANAGE = "institution:api_clients:manage"
    # Government staff see who else works for their agency (read only).
    GOV_COLLEAGUES_VIEW = "gov:colleagues:view"
    SUPERVISION_VIEW = "supervision:dashboard:view"
    # Bank admins see their own bank against the anonymised median of all banks.
    DASHBOARD_VIEW = "supervision:dashboard:view_scoped"
    REPORTS_ARCHIVE_VIEW = "supervision:reports:view"
    REPORTS_REGENERATE = "supervision:reports:regenerate"
    BANK_LOAN_REPORTS_SUBMIT = "bank:loan_reports:submit"
    # Every bank query of firms' government data (read only): regulators and admins.
    DATA_QUERIES_VIEW = "supervision:data_queries:view"
    ADMIN_USERS_MANAGE = "admin:users:manage"
    ADMIN_AUDIT_VIEW = "admin:audit:view"
    ADMIN_SETTINGS_MANAGE = "admin:settings:manage"
    # Platform staff review authorisation letters and disputes of verified facts.
    PLATFORM_REVIEW = "platform:reviews:decide"
    # Platform staff approve or return bank products before they go live.
    PLATFORM_PRODUCT_REVIEW = "platform:product_reviews:decide"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SME: frozenset(
        {
            Permission.HOME_SME,
            Permission.FIRM_PROFILE_EDIT,
            Permission.FIRM_NEED_SUBMIT,
            Permission.FIRM_TEAM_MANAGE,
            Permission.FIRM_DATA_EXPORT,
        }
    ),
    Role.BANK_OFFICER: frozenset(
        {
            Permission.HOME_BANK_OFFICER,
            Permission.BANK_LEADS_WORK,
            Permission.BANK_LOAN_REPORTS_SUBMIT,
            Permission.BANK_CLAIMS_FILE,
        }
    ),
    Role.BANK_ADMIN: frozenset(
        {
            Permission.HOME_BANK_ADMIN,
            Permission.BANK_LEADS_WORK,
            Permission.BANK_PRODUCTS_MANAGE,
            Permission.INSTITUTION_ONBOARDING_APPLY,
            Permission.INSTITUTION_TEAM_MANAGE,
            Permission.INSTITUTION_API_CLIENTS_MANAGE,
            Permission.BANK_LOAN_REPORTS_SUBMIT,
            Permission.BANK_CLAIMS_FILE,
            Permission.DASHBOARD_VIEW,
            Permission.REPORTS_ARCHIVE_VIEW,
        }
    ),
    Role.GUARANTOR_OFFICER: frozenset(
        {Permission.HOME_GUARANTOR_OFFICER, Permission.GUARANTOR_REQUESTS_WORK}
    ),
    Role.GUARANTOR_ADMIN: frozenset(
        {
            Permission.HOME_GUARANTOR_ADMIN,
            Permission.GUARANTOR_REQUESTS_WORK,
            Permission.GUARANTOR_PRODUCTS_MANAGE,
            Permission.INSTITUTION_ONBOARDING_APPLY,
            Permission.INSTITUTION_TEAM_MANAGE,
            Permission.INSTITUTION_API_CLIENTS_MANAGE,
        }
    ),
    Role.GOV_STAFF: frozenset(
        {
            Permission.HOME_GOV,
            Permission.GOV_COLLEAGUES_VIEW,
            Permission.GOV_POLICIES_MANAGE,
            Permission.GOV_ONBOARDING_DECIDE,
            Permission.GOV_SUBSIDIES_SETTLE,
            Permission.GOV_CLAIMS_DECIDE,
            Permission.SUPERVISION_VIEW,
            Permission.DASHBOARD_VIEW,
            Permission.REPORTS_ARCHIVE_VIEW,
        }
    ),
    # Regulators only read: they hold no permission whose views change anything. Regenerating a
    # monthly report rewrites the archive every other role downloads, so only admins may do it.
    Role.REGULATOR: frozenset(
        {
            Permission.HOME_REGULATOR,
            Permission.SUPERVISION_VIEW,
            Permission.DATA_QUERIES_VIEW,
            Permission.DASHBOARD_VIEW,
            Permission.REPORTS_ARCHIVE_VIEW,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Permission.HOME_ADMIN,
            Permission.ADMIN_USERS_MANAGE,
            Permission.ADMIN_AUDIT_VIEW,
            Permission.ADMIN_SETTINGS_MANAGE,
            Permission.PLATFORM_REVIEW,
            Permission.PLATFORM_PRODUCT_REVIEW,
            Permission.DATA_QUERIES_VIEW,
            Permission.SUPERVISION_VIEW,
            Permission.DASHBOARD_VIEW,
            Permission.REPORTS_ARCHIVE_VIEW,
            Permission.REPORTS_REGENERATE,
        }
    ),
}


# An institution's users (banks and guarantors) hold their role's permissions only while the
# institution is approved and the session began with the second factor. Until then (applied,
# rejected) and while it is suspended, the administrator may only follow the institution's own
# application; officers may do nothing but look after their own account.
UNAPPROVED_INSTITUTION_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.BANK_ADMIN: frozenset({Permission.INSTITUTION_ONBOARDING_APPLY}),
    Role.BANK_OFFICER: frozenset(),
    Role.GUARANTOR_ADMIN: frozenset({Permission.INSTITUTION_ONBOARDING_APPLY}),
    Role.GUARANTOR_OFFICER: frozenset(),
}


# What a firm's member does not hold of the SME role's permissions: only owners run the firm's
# account.
FIRM_OWNER_PERMISSIONS = frozenset({Permission.FIRM_TEAM_MANAGE, Permission.FIRM_DATA_EXPORT})


def role_has(role: Role, permission: Permission) -> bool:
    """Whether the role holds the permission (before any onboarding gate; see `user_has`)."""
    return permission in ROLE_PERMISSIONS[role]


def institution_approved(user: User) -> bool:
    """Whether the user's institution is approved (False for users without one)."""
    institution = user.institution
    return institution is not None and institution.onboarding_status == OnboardingStatus.APPROVED


def holds_institution_powers(user: User, *, second_factor: bool) -> bool:
    """Whether an institution's user may act for it: approved, in a session begun with a code."""
    return user.role in INSTITUTION_ROLES and institution_approved(user) and second_factor


def user_permissions(user: User, *, second_factor: bool) -> frozenset[Permission]:
    """The permissions the user holds now: its role's, gated for institutions by onboarding
    and for a firm's users by whether they own the firm's account."""
    if user.role in INSTITUTION_ROLES and not holds_institution_powers(
        user, second_factor=second_factor
    ):
        return UNAPPROVED_INSTITUTION_PERMISSIONS[user.role]
    if user.role == Role.SME and not user.is_firm_owner:
        return ROLE_PERMISSIONS[Role.SME] - FIRM_OWNER_PERMISSIONS
    return ROLE_PERMISSIONS[user.role]


def user_has(user: User, permission: Permission, *, second_factor: bool) -> bool:
    """Whether the user holds the permission now (see `user_permissions`)."""
    return permission in user_permissions(user, second_factor=second_factor)
