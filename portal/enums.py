"""Enumerations shared by models, forms and templates, with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum


def db_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint on every database."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Role(StrEnum):
    SME = "sme"
    BANK_OFFICER = "bank_officer"
    BANK_ADMIN = "bank_admin"
    GUARANTOR_OFFICER = "guarantor_officer"
    GUARANTOR_ADMIN = "guarantor_admin"
    GOV_STAFF = "gov_staff"
    REGULATOR = "regulator"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.SME: _l("企业用户"),
    Role.BANK_OFFICER: _l("银行客户经理"),
    Role.BANK_ADMIN: _l("银行管理员"),
    Role.GUARANTOR_OFFICER: _l("担保机构业务经理"),
    Role.GUARANTOR_ADMIN: _l("担保机构管理员"),
    Role.GOV_STAFF: _l("政府部门工作人员"),
    Role.REGULATOR: _l("监管人员"),
    Role.ADMIN: _l("平台管理员"),
}


class FirmRole(StrEnum):
    """What a firm's user may do for it: owners also run its team and export its data."""

    OWNER = "owner"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return str(FIRM_ROLE_LABELS[self])


FIRM_ROLE_LABELS = {FirmRole.OWNER: _l("企业负责人"), FirmRole.MEMBER: _l("企业成员")}

BANK_ROLES = frozenset({Role.BANK_OFFICER, Role.BANK_ADMIN})
GUARANTOR_ROLES = frozenset({Role.GUARANTOR_OFFICER, Role.GUARANTOR_ADMIN})
# Users who act for a financial institution: onboarding approval and a second factor gate them.
INSTITUTION_ROLES = BANK_ROLES | GUARANTOR_ROLES
INSTITUTION_ADMIN_ROLES = frozenset({Role.BANK_ADMIN, Role.GUARANTOR_ADMIN})


class OnboardingStatus(StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


ONBOARDING_LABELS = {
    OnboardingStatus.APPLIED: _l("待审核"),
    OnboardingStatus.APPROVED: _l("已批准"),
    OnboardingStatus.REJECTED: _l("已拒绝"),
    OnboardingStatus.SUSPENDED: _l("已暂停"),
}


class InstitutionKind(StrEnum):
    STATE_OWNED = "state_owned"
    JOINT_STOCK = "joint_stock"
    CITY_COMMERCIAL = "city_commercial"
    RURAL = "rural"
    POLICY = "policy"
    GUARANTEE = "guarantee"
    OTHER = "other"


INSTITUTION_KIND_LABELS = {
    InstitutionKind.STATE_OWNED: _l("国有大型银行"),
    InstitutionKind.JOINT_STOCK: _l("股份制银行"),
    InstitutionKind.CITY_COMMERCIAL: _l("城市商业银行"),
    InstitutionKind.RURAL: _l("农村金融机构"),
    InstitutionKind.POLICY: _l("政策性银行"),
    InstitutionKind.GUARANTEE: _l("融资担保机构"),
    InstitutionKind.OTHER: _l("其他金融机构"),
}


class ProductStatus(StrEnum):
    DRAFT = "draft"
    # A bank product waiting for the platform's review before it goes live.
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


PRODUCT_STATUS_LABELS = {
    ProductStatus.DRAFT: _l("草稿"),
    ProductStatus.IN_REVIEW: _l("待平台审核"),
    ProductStatus.PUBLISHED: _l("已发布"),
    ProductStatus.ARCHIVED: _l("已下架"),
}


class ProductKind(StrEnum):
    CREDIT = "credit"
    MORTGAGE = "mortgage"
    TECH_CREDIT = "tech_credit"
    FORESTRY = "forestry"
    AGRICULTURE = "agriculture"
    RELIEF = "relief"
    GUARANTEED = "guaranteed"
    SUPPLY_CHAIN = "supply_chain"


PRODUCT_KIND_LABELS = {
    ProductKind.CREDIT: _l("信用贷"),
    ProductKind.MORTGAGE: _l("抵押贷"),
    ProductKind.TECH_CREDIT: _l("科技信用贷"),
    ProductKind.FORESTRY: _l("林业贷"),
    ProductKind.AGRICULTURE: _l("农业贷"),
    ProductKind.RELIEF: _l("助企纾困贷款"),
    ProductKind.GUARANTEED: _l("担保贷"),
    ProductKind.SUPPLY_CHAIN: _l("供应链贷"),
}


class PolicyKind(StrEnum):
    INTEREST_SUBSIDY = "interest_subsidy"
    GUARANTEE_FEE_SUBSIDY = "guarantee_fee_subsidy"
    RISK_COMPENSATION = "risk_compensation"
    FIRST_LOAN_REWARD = "first_loan_reward"


POLICY_KIND_LABELS = {
    PolicyKind.INTEREST_SUBSIDY: _l("贴息"),
    PolicyKind.GUARANTEE_FEE_SUBSIDY: _l("担保费补贴"),
    PolicyKind.RISK_COMPENSATION: _l("风险补偿"),
    PolicyKind.FIRST_LOAN_REWARD: _l("首贷奖励"),
}


class GuaranteeType(StrEnum):
    CREDIT = "credit"
    MORTGAGE = "mortgage"
    PLEDGE = "pledge"
    GUARANTOR = "guarantor"
    GUARANTEE_AGENCY = "guarantee_agency"


GUARANTEE_LABELS = {
    GuaranteeType.CREDIT: _l("信用（无担保）"),
    GuaranteeType.MORTGAGE: _l("抵押"),
    GuaranteeType.PLEDGE: _l("质押"),
    GuaranteeType.GUARANTOR: _l("保证"),
    GuaranteeType.GUARANTEE_AGENCY: _l("融资担保公司担保"),
}


class NeedStatus(StrEnum):
    OPEN = "open"
    ROUTED = "routed"
    FULFILLED = "fulfilled"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


NEED_STATUS_LABELS = {
    NeedStatus.OPEN: _l("已匹配，待申请"),
    NeedStatus.ROUTED: _l("已推送银行"),
    NeedStatus.FULFILLED: _l("已获贷"),
    NeedStatus.WITHDRAWN: _l("已撤回"),
    NeedStatus.CLOSED: _l("已关闭"),
}


class LeadStatus(StrEnum):
    POOLED = "pooled"
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    APPROVED = "approved"
    DISBURSED = "disbursed"
    CLOSED = "closed"


LEAD_STATUS_LABELS = {
    LeadStatus.POOLED: _l("抢单池"),
    LeadStatus.OPEN: _l("待响应"),
    LeadStatus.ACCEPTED: _l("已受理"),
    LeadStatus.DECLINED: _l("已拒绝"),
    LeadStatus.EXPIRED: _l("已超时"),
    LeadStatus.APPROVED: _l("已给出授信方案"),
    LeadStatus.DISBURSED: _l("已放款"),
    LeadStatus.CLOSED: _l("已关闭"),
}


class FiveTierClass(StrEnum):
    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


class ReportEdition(StrEnum):
    """Which edition of a monthly report: before the reporting deadline, or after it."""

    PROVISIONAL = "provisional"
    FINAL = "final"


REPORT_EDITION_LABELS = {
    ReportEdition.PROVISIONAL: _l("临时版"),
    ReportEdition.FINAL: _l("正式版"),
}


FIVE_TIER_LABELS = {
    FiveTierClass.NORMAL: _l("正常"),
    FiveTierClass.SPECIAL_MENTION: _l("关注"),
    FiveTierClass.SUBSTANDARD: _l("次级"),
    FiveTierClass.DOUBTFUL: _l("可疑"),
    FiveTierClass.LOSS: _l("损失"),
}

NON_PERFORMING = frozenset({FiveTierClass.SUBSTANDARD, FiveTierClass.DOUBTFUL, FiveTierClass.LOSS})


class LoanStatus(StrEnum):
    ACTIVE = "active"
    REPAID = "repaid"
    WRITTEN_OFF = "written_off"


LOAN_STATUS_LABELS = {
    LoanStatus.ACTIVE: _l("存续"),
    LoanStatus.REPAID: _l("已结清"),
    LoanStatus.WRITTEN_OFF: _l("已核销"),
}


class TaxCreditGrade(StrEnum):
    A = "A"
    B = "B"
    M = "M"
    C = "C"
    D = "D"


SIZE_CLASS_LABELS = {
    "large": _l("大型"),
    "medium": _l("中型"),
    "small": _l("小型"),
    "micro": _l("微型"),
}

QUALIFICATION_LABELS = {
    "high_tech": _l("高新技术企业"),
    "specialised": _l("专精特新"),
    "tech_sme": _l("科技型中小企业"),
    "agricultural": _l("涉农"),
    "green": _l("绿色"),
}


class RegistryStatus(StrEnum):
    """The market registry's status of a firm (登记状态)."""

    ACTIVE = "active"  # 存续（在营）
    CANCELLED = "cancelled"  # 注销
    REVOKED = "revoked"  # 吊销


REGISTRY_STATUS_LABELS = {
    "active": _l("存续（在营）"),
    "cancelled": _l("注销"),
    "revoked": _l("吊销"),
}

COURT_RECORD_LABELS = {
    "dishonest": _l("失信被执行人"),
    "enforcement": _l("有未结执行案件"),
}

TAX_GRADE_LABELS = {
    "A": _l("A级（90分以上）"),
    "B": _l("B级（70–89分）"),
    "M": _l("M级（新设立企业）"),
    "C": _l("C级（40–69分）"),
    "D": _l("D级（40分以下）"),
}


class BenefitKind(StrEnum):
    """What a policy's benefit formula yields."""

    RATE_POINTS = "rate_points"  # percentage points off the loan's annual rate
    FEE_SHARE = "fee_share"  # share (0–1) of the guarantee fee paid by the policy
    LOSS_SHARE = "loss_share"  # share (0–1) of a loan loss the risk pool covers
    LUMP_SUM = "lump_sum"  # a one-off amount in yuan


BENEFIT_KIND_LABELS = {
    BenefitKind.RATE_POINTS: _l("利率贴息（百分点）"),
    BenefitKind.FEE_SHARE: _l("担保费补贴（比例）"),
    BenefitKind.LOSS_SHARE: _l("风险补偿（损失分担比例）"),
    BenefitKind.LUMP_SUM: _l("一次性奖励（元）"),
}


class LeadOrigin(StrEnum):
    """How a lead reached its bank."""

    APPLIED = "applied"  # the firm chose the product
    BEST = "best"  # the platform routed to the best matches
    POOL = "pool"  # a bank claimed it from the open pool
    REROUTE = "reroute"  # the previous bank let the deadline pass


LEAD_ORIGIN_LABELS = {
    LeadOrigin.APPLIED: _l("企业申请"),
    LeadOrigin.BEST: _l("平台推荐"),
    LeadOrigin.POOL: _l("抢单"),
    LeadOrigin.REROUTE: _l("超时转派"),
}


class DeclineReason(StrEnum):
    CREDIT_HISTORY = "credit_history"
    REPAYMENT_CAPACITY = "repayment_capacity"
    COLLATERAL = "collateral"
    INDUSTRY_POLICY = "industry_policy"
    AMOUNT = "amount"
    DOCUMENTS = "documents"
    UNREACHABLE = "unreachable"
    OTHER = "other"


DECLINE_REASON_LABELS = {
    DeclineReason.CREDIT_HISTORY: _l("征信记录不符合要求"),
    DeclineReason.REPAYMENT_CAPACITY: _l("还款能力不足"),
    DeclineReason.COLLATERAL: _l("担保或抵押物不足"),
    DeclineReason.INDUSTRY_POLICY: _l("不符合行业授信政策"),
    DeclineReason.AMOUNT: _l("申请金额或期限无法满足"),
    DeclineReason.DOCUMENTS: _l("材料不齐或信息不实"),
    DeclineReason.UNREACHABLE: _l("无法联系企业"),
    DeclineReason.OTHER: _l("其他原因"),
}


class LeadCloseReason(StrEnum):
    """Why a lead closed without a loan."""

    OTHER_OFFER_TAKEN = "other_offer_taken"
    NEED_WITHDRAWN = "need_withdrawn"
    OFFER_REJECTED = "offer_rejected"
    OFFER_EXPIRED = "offer_expired"  # the firm did not take the offer by its validity date
    # The offer was conditional on a guarantee and no cooperating guarantor gave one.
    GUARANTEE_UNAVAILABLE = "guarantee_unavailable"


LEAD_CLOSE_REASON_LABELS = {
    LeadCloseReason.OTHER_OFFER_TAKEN: _l("企业已选择其他银行"),
    LeadCloseReason.NEED_WITHDRAWN: _l("企业已撤回需求"),
    LeadCloseReason.OFFER_REJECTED: _l("企业未接受本行方案"),
    LeadCloseReason.OFFER_EXPIRED: _l("授信方案已过有效期"),
    LeadCloseReason.GUARANTEE_UNAVAILABLE: _l("未能获得担保机构担保"),
}


class GrantStatus(StrEnum):
    """A policy benefit on one offer and then its loan, and where its budget stands."""

    RESERVED = "reserved"  # on an offer: budget held until the firm takes it and the bank pays out
    COMMITTED = "committed"  # on a disbursed loan: budget spent as settlements come due
    RELEASED = "released"  # the offer lapsed (declined, expired, withdrawn, another taken)


GRANT_STATUS_LABELS = {
    GrantStatus.RESERVED: _l("已预留"),
    GrantStatus.COMMITTED: _l("已占用"),
    GrantStatus.RELEASED: _l("已释放"),
}


class RepaymentMethod(StrEnum):
    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_ONLY = "interest_only"  # 先息后本


REPAYMENT_METHOD_LABELS = {
    RepaymentMethod.EQUAL_INSTALMENT: _l("等额本息"),
    RepaymentMethod.EQUAL_PRINCIPAL: _l("等额本金"),
    RepaymentMethod.INTEREST_ONLY: _l("先息后本"),
}


class SettlementStatus(StrEnum):
    DRAFT = "draft"  # computed from the loan reports; staff may adjust lines
    APPROVED = "approved"  # approved by government staff; the payment list may be exported
    PAID = "paid"  # the treasury has paid it


SETTLEMENT_STATUS_LABELS = {
    SettlementStatus.DRAFT: _l("待审核"),
    SettlementStatus.APPROVED: _l("已审核"),
    SettlementStatus.PAID: _l("已拨付"),
}


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


CLAIM_STATUS_LABELS = {
    ClaimStatus.SUBMITTED: _l("待审核"),
    ClaimStatus.APPROVED: _l("已批准"),
    ClaimStatus.REJECTED: _l("已驳回"),
}


class GuaranteeMode(StrEnum):
    """How a guarantee product works with a cooperating bank product (银担合作协议)."""

    # 批量担保: the bank reviews the credit; the guarantor confirms each loan in the portal.
    BATCH = "batch"
    # 见贷即保: the guarantee is issued with the bank's credit decision, up to the agreed limit.
    AUTOMATIC = "automatic"


GUARANTEE_MODE_LABELS = {
    GuaranteeMode.BATCH: _l("批量担保（逐笔确认）"),
    GuaranteeMode.AUTOMATIC: _l("见贷即保"),
}


class GuaranteeRequestStatus(StrEnum):
    """A bank's request for a guarantee on its credit decision, as the guarantor works it."""

    OPEN = "open"  # waiting for the guarantor to take it on
    ACCEPTED = "accepted"  # taken on: the guarantor sees the firm and reviews
    ISSUED = "issued"  # the guarantee letter (担保函) is issued
    DECLINED = "declined"
    EXPIRED = "expired"  # the guarantor let the deadline pass
    CLOSED = "closed"  # the need or the offer ended first


GUARANTEE_REQUEST_STATUS_LABELS = {
    GuaranteeRequestStatus.OPEN: _l("待响应"),
    GuaranteeRequestStatus.ACCEPTED: _l("审核中"),
    GuaranteeRequestStatus.ISSUED: _l("已出具担保函"),
    GuaranteeRequestStatus.DECLINED: _l("已拒绝"),
    GuaranteeRequestStatus.EXPIRED: _l("已超时"),
    GuaranteeRequestStatus.CLOSED: _l("已关闭"),
}


class DocumentKind(StrEnum):
    """What a bank may ask a firm for on an accepted lead."""

    BUSINESS_LICENCE = "business_licence"
    FINANCIAL_STATEMENTS = "financial_statements"
    TAX_CERTIFICATE = "tax_certificate"
    OTHER = "other"


DOCUMENT_KIND_LABELS = {
    DocumentKind.BUSINESS_LICENCE: _l("营业执照"),
    DocumentKind.FINANCIAL_STATEMENTS: _l("财务报表"),
    DocumentKind.TAX_CERTIFICATE: _l("纳税证明"),
    DocumentKind.OTHER: _l("其他材料"),
}


class DocumentRequestStatus(StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


DOCUMENT_REQUEST_STATUS_LABELS = {
    DocumentRequestStatus.OPEN: _l("待企业上传"),
    DocumentRequestStatus.FULFILLED: _l("已上传"),
    DocumentRequestStatus.CANCELLED: _l("已撤销"),
}


class InstitutionDocumentKind(StrEnum):
    """What an institution's application carries: its licence and its business licence."""

    LICENCE = "licence"  # 金融许可证, or a guarantor's 融资担保业务经营许可证
    BUSINESS_LICENCE = "business_licence"
    OTHER = "other"


INSTITUTION_DOCUMENT_LABELS = {
    InstitutionDocumentKind.LICENCE: _l("金融许可证或融资担保业务经营许可证"),
    InstitutionDocumentKind.BUSINESS_LICENCE: _l("营业执照"),
    InstitutionDocumentKind.OTHER: _l("其他证明材料"),
}
# Without these an application cannot be approved.
REQUIRED_INSTITUTION_DOCUMENTS = (
    InstitutionDocumentKind.LICENCE,
    InstitutionDocumentKind.BUSINESS_LICENCE,
)


class FirmClosureStatus(StrEnum):
    """A firm owner's request to close the firm's account: open until platform staff decide."""

    REQUESTED = "requested"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # withdrawn by the owner or refused by platform staff


FIRM_CLOSURE_STATUS_LABELS = {
    FirmClosureStatus.REQUESTED: _l("待平台办理"),
    FirmClosureStatus.CLOSED: _l("已注销"),
    FirmClosureStatus.CANCELLED: _l("已撤回或未予办理"),
}
