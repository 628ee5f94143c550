"""The navigation bar for each role: one list, filtered by permission."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.authz.permissions import Permission, role_has


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    permission: Permission | None  # None: any signed-in user


NAV_ITEMS = (
    NavItem("home.sme", _l("企业首页"), Permission.HOME_SME),
    NavItem("home.firm_profile", _l("企业信息"), Permission.FIRM_PROFILE_EDIT),
    NavItem("home.bank", _l("客户经理工作台"), Permission.HOME_BANK_OFFICER),
    NavItem("home.bank_admin", _l("机构管理"), Permission.HOME_BANK_ADMIN),
    NavItem("home.gov", _l("政府工作台"), Permission.HOME_GOV),
    NavItem("home.regulator", _l("监管首页"), Permission.HOME_REGULATOR),
    NavItem("admin.index", _l("系统管理"), Permission.HOME_ADMIN),
    NavItem("admin.users", _l("用户管理"), Permission.ADMIN_USERS_MANAGE),
    NavItem("admin.lpr", _l("LPR 利率表"), Permission.ADMIN_SETTINGS_MANAGE),
)


def navigation_for() -> list[NavItem]:
    """Items the current user may open, in order."""
    if not current_user.is_authenticated:
        return []
    return [
        item
        for item in NAV_ITEMS
        if item.permission is None or role_has(current_user.role, item.permission)
    ]
