"""What an API client may do: its scopes, named resource:action as OAuth 2 scopes are."""

from __future__ import annotations

from enum import StrEnum

from portal.enums import Role
from portal.words import N_


class Scope(StrEnum):
    LEADS_READ = "leads:read"
    LEADS_WRITE = "leads:write"
    REPORTS_WRITE = "reports:write"
    PRODUCTS_WRITE = "products:write"


SCOPE_LABELS = {
    Scope.LEADS_READ: N_("读取线索（列表、详情；受理后含企业信息，每次读取都告知企业）"),
    Scope.LEADS_WRITE: N_("处理线索（领取、受理、拒绝、授信、放款）"),
    Scope.REPORTS_WRITE: N_("报送月度贷款状态"),
    Scope.PRODUCTS_WRITE: N_("提交产品草稿供审核"),
}

# The scopes a bank's client may be given (guarantors' clients come with the guarantee API).
BANK_SCOPES = tuple(Scope)

# The role a client of the institution acts in: an officer's, never its admin's.
CLIENT_ROLE = {Role.BANK_ADMIN: Role.BANK_OFFICER}


def parse_scopes(text: str | None) -> frozenset[Scope]:
    """The known scopes in a space-separated OAuth 2 scope string; unknown names are dropped."""
    known = {scope.value for scope in Scope}
    return frozenset(Scope(name) for name in (text or "").split() if name in known)
