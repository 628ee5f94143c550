"""What an API client may do: its scopes, named resource:action as OAuth 2 scopes are."""

from __future__ import annotations

from enum import StrEnum

from portal.authz.permissions import Permission
from portal.enums import Role
from portal.words import N_


class Scope(StrEnum):
    LEADS_READ = "leads:read"
    LEADS_WRITE = "leads:write"
    REPORTS_WRITE = "reports:write"
    PRODUCTS_WRITE = "products:write"
    CLAIMS_READ = "claims:read"
    CLAIMS_WRITE = "claims:write"
    GUARANTEES_READ = "guarantees:read"
    GUARANTEES_WRITE = "guarantees:write"
    GUARANTEE_PRODUCTS_WRITE = "guarantee-products:write"


SCOPE_LABELS = {
    Scope.LEADS_READ: N_("读取线索（列表、详情；受理后含企业信息，每次读取都告知企业）"),
    Scope.LEADS_WRITE: N_("处理线索（领取、受理、拒绝、授信、放款）"),
    Scope.REPORTS_WRITE: N_("报送月度贷款状态"),
    Scope.PRODUCTS_WRITE: N_("提交产品草稿供审核"),
    Scope.CLAIMS_READ: N_("读取风险补偿申请及可申请的贷款"),
    Scope.CLAIMS_WRITE: N_("申请风险补偿、报告追回款"),
    Scope.GUARANTEES_READ: N_("读取担保申请（受理后含企业信息，每次读取都告知企业）"),
    Scope.GUARANTEES_WRITE: N_("处理担保申请（受理、拒绝、出具担保函）"),
    Scope.GUARANTEE_PRODUCTS_WRITE: N_("管理担保产品（读取、新建草稿、发布）"),
}

# The scopes a client may be given, by the role of the admin who makes it.
BANK_SCOPES = (
    Scope.LEADS_READ,
    Scope.LEADS_WRITE,
    Scope.REPORTS_WRITE,
    Scope.PRODUCTS_WRITE,
    Scope.CLAIMS_READ,
    Scope.CLAIMS_WRITE,
)
GUARANTOR_SCOPES = (Scope.GUARANTEES_READ, Scope.GUARANTEES_WRITE, Scope.GUARANTEE_PRODUCTS_WRITE)
SCOPES_FOR_ADMIN = {Role.BANK_ADMIN: BANK_SCOPES, Role.GUARANTOR_ADMIN: GUARANTOR_SCOPES}

# The role a client of the institution acts in: an officer's, never its admin's.
CLIENT_ROLE = {Role.BANK_ADMIN: Role.BANK_OFFICER, Role.GUARANTOR_ADMIN: Role.GUARANTOR_OFFICER}

# A right of the admin's that a scope carries beyond the officer's role: the admin who gives the
# client the scope holds it, and the client uses it for that scope's endpoints only.
SCOPE_GRANTS = {
    Scope.PRODUCTS_WRITE: frozenset({Permission.BANK_PRODUCTS_MANAGE}),
    Scope.GUARANTEE_PRODUCTS_WRITE: frozenset({Permission.GUARANTOR_PRODUCTS_MANAGE}),
}


def parse_scopes(text: str | None) -> frozenset[Scope]:
    """The known scopes in a space-separated OAuth 2 scope string; unknown names are dropped."""
    known = {scope.value for scope in Scope}
    return frozenset(Scope(name) for name in (text or "").split() if name in known)
