"""The navigation bar for each role: one list, filtered by permission."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.authz.access import current_user_has
from portal.authz.permissions import Permission

PUBLIC = "public"  # shown to everyone, signed in or not


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    permission: Permission | str


NAV_ITEMS = (
    NavItem("home.sme", _l("企业首页"), Permission.HOME_SME),
    NavItem("home.firm_profile", _l("企业信息"), Permission.FIRM_PROFILE_EDIT),
    NavItem("needs.index", _l("融资需求"), Permission.FIRM_NEED_SUBMIT),
    NavItem("datasources.authorisation", _l("数据授权"), Permission.FIRM_PROFILE_EDIT),
    NavItem("firm_team.index", _l("企业团队"), Permission.FIRM_TEAM_MANAGE),
    NavItem("home.bank", _l("客户经理工作台"), Permission.HOME_BANK_OFFICER),
    NavItem("leads.index", _l("线索收件箱"), Permission.BANK_LEADS_WORK),
    NavItem("leads.pool", _l("抢单池"), Permission.BANK_LEADS_WORK),
    NavItem("home.bank_admin", _l("机构管理"), Permission.HOME_BANK_ADMIN),
    NavItem("products.index", _l("产品管理"), Permission.BANK_PRODUCTS_MANAGE),
    NavItem("guarantees.officer_home", _l("担保业务工作台"), Permission.HOME_GUARANTOR_OFFICER),
    NavItem("guarantees.requests", _l("担保申请"), Permission.GUARANTOR_REQUESTS_WORK),
    NavItem("compensations.guarantor_index", _l("代偿申请"), Permission.GUARANTOR_REQUESTS_WORK),
    NavItem("guarantees.admin_home", _l("担保机构管理"), Permission.HOME_GUARANTOR_ADMIN),
    NavItem("institutions.my_application", _l("准入申请"), Permission.INSTITUTION_ONBOARDING_APPLY),
    NavItem("team.index", _l("团队与机构设置"), Permission.INSTITUTION_TEAM_MANAGE),
    NavItem("api_clients.index", _l("接口客户端"), Permission.INSTITUTION_API_CLIENTS_MANAGE),
    NavItem("home.gov", _l("政府工作台"), Permission.HOME_GOV),
    NavItem("gov_policies.index", _l("政策管理"), Permission.GOV_POLICIES_MANAGE),
    NavItem("subsidies.index", _l("贴息结算"), Permission.GOV_SUBSIDIES_SETTLE),
    NavItem("institutions.review_list", _l("机构准入审核"), Permission.GOV_ONBOARDING_DECIDE),
    NavItem("team.colleagues", _l("本部门同事"), Permission.GOV_COLLEAGUES_VIEW),
    NavItem("loan_reports.index", _l("贷后月报"), Permission.BANK_LOAN_REPORTS_SUBMIT),
    NavItem("claims.bank_index", _l("风险补偿"), Permission.BANK_CLAIMS_FILE),
    NavItem("claims.queue", _l("风险补偿审核"), Permission.GOV_CLAIMS_DECIDE),
    NavItem("compensations.bank_index", _l("担保代偿"), Permission.BANK_CLAIMS_FILE),
    NavItem("compensations.shares", _l("担保代偿分担审核"), Permission.GOV_CLAIMS_DECIDE),
    NavItem("home.regulator", _l("监管首页"), Permission.HOME_REGULATOR),
    NavItem("dashboard.index", _l("监管看板"), Permission.DASHBOARD_VIEW),
    NavItem("claims.overview", _l("政策资金汇总"), Permission.SUPERVISION_VIEW),
    NavItem("monthly_reports.index", _l("月度报告"), Permission.REPORTS_ARCHIVE_VIEW),
    NavItem("datasources.queries", _l("数据查询记录"), Permission.DATA_QUERIES_VIEW),
    NavItem("admin.index", _l("系统管理"), Permission.HOME_ADMIN),
    NavItem("admin.users", _l("用户管理"), Permission.ADMIN_USERS_MANAGE),
    NavItem("reviews.index", _l("数据核验审核"), Permission.PLATFORM_REVIEW),
    NavItem("product_reviews.index", _l("产品上线审核"), Permission.PLATFORM_PRODUCT_REVIEW),
    NavItem("admin.settings_page", _l("系统设置"), Permission.ADMIN_SETTINGS_MANAGE),
    NavItem("admin.lpr", _l("LPR 利率表"), Permission.ADMIN_SETTINGS_MANAGE),
    NavItem("audit.index", _l("审计日志"), Permission.ADMIN_AUDIT_VIEW),
    NavItem("catalog.products", _l("贷款产品"), PUBLIC),
    NavItem("guarantee_catalog.index", _l("担保产品"), PUBLIC),
    NavItem("catalog.policies", _l("扶持政策"), PUBLIC),
)


def navigation_for() -> list[NavItem]:
    """Items the current visitor may open, in order."""
    return [item for item in NAV_ITEMS if _visible(item) and _exists(item.endpoint)]


def _visible(item: NavItem) -> bool:
    if item.permission == PUBLIC:
        return True
    return current_user_has(item.permission)


def _exists(endpoint: str) -> bool:
    # Lets a domain's blueprint be left out of an app (tests build small ones) without 500s.
    return endpoint in current_app.view_functions
