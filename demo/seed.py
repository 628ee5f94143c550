"""Demo data: a small, realistic Fujian province and one account per role.

`flask demo seed` calls seed_demo(). Every row is looked up by its natural key before it is added,
so a second run creates nothing and changes nothing. The content is fixed (random.Random(2026));
only the loan months follow today's date, so that the dashboards always show a recent year.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from demo.sample_documents import attach_samples
from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.api import clients as api_clients
from portal.api.models import ApiClient
from portal.api.scopes import BANK_SCOPES
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.catalog.policy_files import upsert_directory
from portal.catalog.queries import policy_stacks_on
from portal.catalog.versions import record_rules
from portal.dates import add_months, months_between, today_in_china
from portal.db import utcnow
from portal.enums import (
    INSTITUTION_ROLES,
    BenefitKind,
    FirmRole,
    FiveTierClass,
    GrantStatus,
    GuaranteeMode,
    GuaranteeType,
    InstitutionKind,
    LoanStatus,
    OnboardingStatus,
    ProductKind,
    ProductStatus,
    Role,
    TaxCreditGrade,
)
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.services import build_firm
from portal.firms.standards import classify_size, make_credit_code
from portal.guarantees.models import GuaranteeAgreement, GuaranteeProduct
from portal.institutions.models import FinancialInstitution, GovernmentAgency
from portal.leads.models import Loan
from portal.legal import services as legal
from portal.lpr import LprRate
from portal.matching.facts import firm_facts, need_facts, pricing_facts
from portal.reporting.models import LoanStatusReport
from portal.subsidies import budget
from portal.subsidies.evaluate import PolicyRule, benefits_for
from portal.subsidies.grants import policy_rules
from portal.subsidies.models import SubsidyGrant
from portal.subsidies.rule import LoanPrice, expected_amount, yearly_amount

# Printed by `flask demo seed` for every demo login; these accounts exist only in demo databases.
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105
# Staff demo accounts come enrolled in two-factor sign-in with this authenticator secret, printed
# beside them, so a demo needs only an authenticator app (or `python -m pyotp`-style tools).
DEMO_TOTP_SECRET = "CRTDEMOFUJIANPORTALTWOFACTOR2345"  # noqa: S105
# The demo bank's own credit system calls the open API with this client (demo databases only).
DEMO_API_CLIENT = "crt_demo_credit_system"
DEMO_API_SECRET = "crs_demo-secret-for-the-open-api-2026"  # noqa: S105
RANDOM_SEED = 2026
WAN = Decimal(10000)  # yuan per 万元

# Fixed timestamps keep the catalogue identical from one run (and one machine) to the next.
ONBOARDED_AT = dt.datetime(2024, 1, 8, 2, 0, tzinfo=dt.UTC)
PUBLISHED_AT = dt.datetime(2024, 3, 1, 2, 0, tzinfo=dt.UTC)

DEMO_BANK = "兴业银行福州分行"
DEMO_GUARANTOR = "福建省融资担保有限责任公司"
DEMO_AGENCY = "福建省委金融办"


@dataclass(frozen=True)
class DemoAccount:
    """A demo login printed by `flask demo seed`."""

    email: str
    role: Role
    full_name: str
    phone: str | None = None  # what a firm or a bank sees as the contact on an accepted lead


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("sme@demo.local", Role.SME, "陈志明", "13905910001"),
    DemoAccount("bank@demo.local", Role.BANK_OFFICER, "林晓峰", "0591-87810001"),
    DemoAccount("bankadmin@demo.local", Role.BANK_ADMIN, "黄丽娟"),
    DemoAccount("guarantor@demo.local", Role.GUARANTOR_OFFICER, "吴海燕"),
    DemoAccount("guarantoradmin@demo.local", Role.GUARANTOR_ADMIN, "蔡振宇"),
    DemoAccount("gov@demo.local", Role.GOV_STAFF, "王建华"),
    DemoAccount("regulator@demo.local", Role.REGULATOR, "郑文斌"),
    DemoAccount("admin@demo.local", Role.ADMIN, "张敏"),
)

# Two more firms with a login of their own, so a bank sees more than one identifiable customer.
FIRM_CONTACTS: tuple[tuple[DemoAccount, str], ...] = (
    (DemoAccount("contact@ludaoptics.demo.local", Role.SME, "李雅琴"), "厦门鹭岛光电科技有限公司"),
    (DemoAccount("contact@jjshoes.demo.local", Role.SME, "苏明辉"), "泉州晋江鞋服科技有限公司"),
)


@dataclass
class SeedReport:
    """How many rows of each kind one run created (0 where they were already present)."""

    institutions: int = 0
    agencies: int = 0
    firms: int = 0
    users: int = 0
    consents: int = 0
    bank_products: int = 0
    guarantee_products: int = 0
    policies: int = 0
    rule_versions: int = 0
    lpr_rates: int = 0
    loans: int = 0
    loan_reports: int = 0
    api_clients: int = 0

    @property
    def total(self) -> int:
        """Rows created in all."""
        return sum(getattr(self, field.name) for field in fields(self))

    def summary(self) -> str:
        """One line for the console."""
        counts = ", ".join(
            f"{getattr(self, field.name)} {field.name.replace('_', ' ')}" for field in fields(self)
        )
        return f"Demo data (演示数据): created {counts} (0 = already present)."


# ---------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _InstitutionSpec:
    name: str
    short_name: str
    kind: InstitutionKind
    region_code: str
    response_days: int = 2
    status: OnboardingStatus = OnboardingStatus.APPROVED
    status_reason: str | None = None


_INSTITUTIONS = (
    _InstitutionSpec("中国工商银行福建省分行", "工商银行", InstitutionKind.STATE_OWNED, "350000"),
    _InstitutionSpec("中国农业银行福建省分行", "农业银行", InstitutionKind.STATE_OWNED, "350000"),
    _InstitutionSpec("中国银行福建省分行", "中国银行", InstitutionKind.STATE_OWNED, "350000"),
    _InstitutionSpec("中国建设银行福建省分行", "建设银行", InstitutionKind.STATE_OWNED, "350000"),
    _InstitutionSpec(
        "中国邮政储蓄银行福建省分行", "邮储银行", InstitutionKind.STATE_OWNED, "350000"
    ),
    _InstitutionSpec(DEMO_BANK, "兴业银行", InstitutionKind.JOINT_STOCK, "350100"),
    _InstitutionSpec("福建海峡银行", "海峡银行", InstitutionKind.CITY_COMMERCIAL, "350100"),
    _InstitutionSpec("厦门银行", "厦门银行", InstitutionKind.CITY_COMMERCIAL, "350200"),
    # A city bank with a slower credit committee: its leads get three business days.
    _InstitutionSpec(
        "泉州银行", "泉州银行", InstitutionKind.CITY_COMMERCIAL, "350500", response_days=3
    ),
    _InstitutionSpec("福建省农村信用社联合社", "福建农信", InstitutionKind.RURAL, "350000"),
    # A government financing guarantee institution (政府性融资担保机构).
    _InstitutionSpec(DEMO_GUARANTOR, "福建省融资担保", InstitutionKind.GUARANTEE, "350000"),
    # Waiting for the government's approval: the onboarding demo starts here.
    _InstitutionSpec(
        "福建华安汇通村镇银行",
        "华安汇通村镇银行",
        InstitutionKind.RURAL,
        "350600",
        status=OnboardingStatus.APPLIED,
    ),
)

_AGENCIES = (
    (DEMO_AGENCY, "省委金融办", "350000"),
    ("福建省工业和信息化厅", "省工信厅", "350000"),
    ("福建省财政厅", "省财政厅", "350000"),
    ("福州市地方金融管理局", "福州市金融局", "350100"),
)

# Firms, one a line: name, region, GB/T 4754 division, employees, revenue (万元), total assets
# (万元), established, tax credit grade, qualifications ("-" for none), legal representative.
# Figures are chosen so that most firms are small or micro, a few medium and one large.
_FIRM_TABLE = """
福州闽江精密机械有限公司 350100 34 86 3800 2600 2015-04-18 A specialised,high_tech 陈国栋
福州榕城软件技术有限公司 350100 65 45 1200 800 2017-09-06 A high_tech,tech_sme 林宇航
福建鼓山茉莉花茶业有限公司 350100 15 28 650 900 2009-05-20 B agricultural 郑秀兰
福州马尾船舶配件有限公司 350100 37 120 5600 4300 2012-03-12 B - 吴承志
福清融侨食品有限公司 350100 14 340 23000 15000 2006-08-01 A green 何建平
福州长乐锦纶纺织有限公司 350100 17 420 38000 26000 2010-11-15 A - 陈美玲
福州仓山云智数据服务有限公司 350100 65 8 90 120 2023-02-14 M tech_sme 黄俊杰
福州台江鑫源贸易有限公司 350100 51 12 2600 900 2016-06-30 B - 王丽萍
福州闽都餐饮管理有限公司 350100 62 46 820 400 2019-01-08 B - 林志强
厦门鹭岛光电科技有限公司 350200 39 150 9800 7200 2013-07-22 A high_tech,specialised 李雅琴
厦门海沧生物医药有限公司 350200 27 65 1800 3500 2018-04-10 A high_tech,tech_sme 许文涛
厦门集美跨境电商有限公司 350200 51 30 5200 1600 2017-10-19 B - 杨晓东
厦门思明信息技术有限公司 350200 65 22 480 260 2020-05-27 A tech_sme 蔡思远
厦门翔安新材料股份有限公司 350200 29 1200 52000 41000 1998-12-03 A high_tech,green 洪振华
厦门同安物流有限公司 350200 54 58 2400 1900 2014-02-25 B - 叶志勇
厦门湖里咖啡餐饮有限公司 350200 62 9 160 80 2024-03-16 M - 庄雨婷
莆田荔城鞋业有限公司 350300 19 260 12000 6800 2008-09-09 B - 黄志坚
莆田仙游古典工艺家具有限公司 350300 21 75 2900 3100 2011-04-04 A - 朱金福
莆田涵江食品有限公司 350300 13 40 1600 1100 2016-12-12 B agricultural 方明珠
莆田秀屿海产养殖专业合作社 350300 04 15 380 520 2015-06-18 B agricultural 林海生
莆田城厢建筑装饰工程有限公司 350300 50 85 2200 1400 2012-08-30 C - 陈鸿达
三明沙县小吃餐饮连锁有限公司 350400 62 68 1800 900 2014-10-10 A - 罗春生
三明永安竹木制品有限公司 350400 20 55 1300 1500 2010-03-21 B green 邓永福
三明将乐林业开发有限公司 350400 02 30 620 2800 2005-07-07 A agricultural,green 廖林生
三明明溪生态农业科技有限公司 350400 01 8 45 60 2023-05-09 M agricultural 谢小芳
三明梅列重型机械配件有限公司 350400 34 210 8600 7400 2007-01-17 B - 刘卫东
泉州晋江鞋服科技有限公司 350500 19 280 18500 9600 2009-03-03 A specialised 苏明辉
泉州石狮服装辅料有限公司 350500 18 95 4200 2300 2012-11-11 B - 施雅芬
泉州南安石材有限公司 350500 30 130 6800 5200 2006-04-26 B - 洪清水
泉州德化陶瓷工艺有限公司 350500 30 160 5400 4600 2010-08-18 A specialised 郑德明
泉州安溪铁观音茶业有限公司 350500 15 48 3200 2700 2008-05-05 A agricultural 王铁山
泉州惠安建筑工程有限公司 350500 47 360 9200 6500 2004-09-29 B - 张惠民
泉州丰泽智能装备有限公司 350500 35 140 7600 5800 2016-07-12 A high_tech,specialised 李泽宇
泉州鲤城便利连锁有限公司 350500 52 36 980 450 2018-12-20 B - 陈丽君
漳州平和蜜柚农业专业合作社 350600 01 12 260 340 2013-09-15 B agricultural 曾柚生
漳州龙海罐头食品有限公司 350600 14 310 26000 17000 2003-06-06 A agricultural,green 郭建国
漳州角美电子科技有限公司 350600 39 85 2400 1800 2017-02-28 B tech_sme 戴晓明
漳州东山水产品批发有限公司 350600 51 9 1500 600 2014-04-08 B agricultural 孙海涛
漳州芗城花卉园艺有限公司 350600 01 6 30 40 2020-03-30 C agricultural 沈芳华
南平武夷山岩茶农业专业合作社 350700 01 18 420 760 2011-10-01 A agricultural,green 游岩松
南平建阳竹业科技有限公司 350700 20 62 2100 1900 2013-12-06 B green 魏竹青
南平邵武化工新材料有限公司 350700 26 110 5900 6100 2009-08-14 B - 饶国华
南平延平闽北农家菜餐饮有限公司 350700 62 14 180 90 2019-07-19 B - 杨春梅
龙岩新罗工程机械有限公司 350800 35 240 11000 9300 2008-10-22 A specialised 邱振兴
龙岩长汀稀土新材料有限公司 350800 32 90 6200 8800 2012-05-16 A high_tech,green 钟汀生
龙岩上杭客家食品有限公司 350800 14 18 260 210 2020-11-02 B - 温秀英
龙岩连城红心地瓜干加工有限公司 350800 13 26 720 530 2015-09-23 B agricultural 童连根
宁德三都澳大黄鱼养殖有限公司 350900 04 40 860 1300 2010-04-12 A agricultural 阮海平
宁德福鼎白茶有限公司 350900 15 52 2800 2400 2012-06-21 A agricultural,green 林白毫
宁德蕉城新能源配件有限公司 350900 38 230 15000 11000 2018-08-08 A high_tech,specialised,green 缪宁波
"""


@dataclass(frozen=True)
class _FirmSpec:
    name: str
    region_code: str
    industry_code: str
    employees: int
    revenue: Decimal
    total_assets: Decimal
    established_on: dt.date
    grade: TaxCreditGrade
    qualifications: tuple[str, ...]
    legal_representative: str
    credit_code: str


def _parse_firms(table: str) -> tuple[_FirmSpec, ...]:
    """Turn the firm table into specs, each with a valid credit code unique to its line."""
    specs = []
    for index, line in enumerate(table.strip().splitlines(), start=1):
        name, region, industry, staff, revenue, assets, founded, grade, quals, rep = line.split()
        specs.append(
            _FirmSpec(
                name=name,
                region_code=region,
                industry_code=industry,
                employees=int(staff),
                revenue=Decimal(revenue) * WAN,
                total_assets=Decimal(assets) * WAN,
                established_on=dt.date.fromisoformat(founded),
                grade=TaxCreditGrade(grade),
                qualifications=() if quals == "-" else tuple(quals.split(",")),
                legal_representative=rep,
                # Registries have issued "MA" bodies since 2015; the line number keeps codes unique.
                credit_code=make_credit_code("9", "1", region, f"MA2D{index:04d}"),
            )
        )
    return tuple(specs)


_FIRMS = _parse_firms(_FIRM_TABLE)


@dataclass(frozen=True)
class _ProductSpec:
    bank: str
    name: str
    kind: ProductKind
    summary: str
    amount_wan: tuple[int, int]
    term_months: tuple[int, int]
    rate: tuple[str, str]
    guarantees: tuple[GuaranteeType, ...]
    regions: tuple[str, ...]
    eligibility: str
    instant_approval: str | None
    formula: str


# Rules shared by the plain tax-data credit loans most banks offer (纳税信用贷).
_TAX_CREDIT_ELIGIBILITY = (
    'size_class in ["small", "micro"] and tax_credit_grade in ["A", "B"] and years_in_business >= 2'
)
_TAX_CREDIT_INSTANT = 'tax_credit_grade == "A" and amount <= 1000000'
_TAX_CREDIT_FORMULA = "min(amount, revenue * 0.2, 3000000)"

_MORTGAGE_ELIGIBILITY = (
    'size_class in ["medium", "small", "micro"] and tax_credit_grade in ["A", "B", "M"]'
    ' and guarantee_type == "mortgage"'
)
_MORTGAGE_FORMULA = "min(amount, total_assets * 0.6, 10000000)"

_TECH_ELIGIBILITY = (
    '("high_tech" in qualifications or "specialised" in qualifications'
    ' or "tech_sme" in qualifications) and size_class in ["medium", "small", "micro"]'
    ' and tax_credit_grade in ["A", "B", "M"]'
)

_CREDIT = (GuaranteeType.CREDIT,)
_MORTGAGE = (GuaranteeType.MORTGAGE,)

_PRODUCTS = (
    _ProductSpec(
        "中国工商银行福建省分行",
        "经营快贷",
        ProductKind.CREDIT,
        "依托纳税、结算数据线上审批，随借随还，最快当天到账。",
        (10, 300),
        (12, 36),
        ("3.30", "4.35"),
        _CREDIT,
        (),
        _TAX_CREDIT_ELIGIBILITY,
        _TAX_CREDIT_INSTANT,
        _TAX_CREDIT_FORMULA,
    ),
    _ProductSpec(
        "中国工商银行福建省分行",
        "e抵快贷",
        ProductKind.MORTGAGE,
        "以企业或实际控制人名下房产抵押，线上评估，额度最高1000万元。",
        (50, 1000),
        (12, 36),
        ("3.10", "3.90"),
        _MORTGAGE,
        (),
        _MORTGAGE_ELIGIBILITY + " and years_in_business >= 1",
        'tax_credit_grade == "A" and amount <= 3000000',
        _MORTGAGE_FORMULA,
    ),
    _ProductSpec(
        "中国农业银行福建省分行",
        "纳税e贷",
        ProductKind.CREDIT,
        "按纳税信用和纳税额核定额度的纯信用贷款，全流程线上办理。",
        (10, 300),
        (12, 12),
        ("3.35", "4.30"),
        _CREDIT,
        (),
        _TAX_CREDIT_ELIGIBILITY,
        _TAX_CREDIT_INSTANT,
        _TAX_CREDIT_FORMULA,
    ),
    _ProductSpec(
        "中国农业银行福建省分行",
        "惠农e贷",
        ProductKind.AGRICULTURE,
        "面向涉农企业、农民专业合作社的生产经营贷款，可信用可担保。",
        (10, 300),
        (12, 36),
        ("3.20", "4.20"),
        (GuaranteeType.CREDIT, GuaranteeType.GUARANTOR),
        (),
        '"agricultural" in qualifications and size_class in ["small", "micro"]'
        ' and tax_credit_grade in ["A", "B", "M"]',
        '"agricultural" in qualifications and tax_credit_grade == "A" and amount <= 500000',
        "min(amount, revenue * 0.3, 3000000)",
    ),
    _ProductSpec(
        "中国银行福建省分行",
        "中银企E贷·信用贷",
        ProductKind.CREDIT,
        "基于企业纳税与结算数据的线上信用贷款，额度循环使用。",
        (10, 300),
        (12, 24),
        ("3.40", "4.40"),
        _CREDIT,
        (),
        _TAX_CREDIT_ELIGIBILITY + " and employees >= 5",
        _TAX_CREDIT_INSTANT,
        _TAX_CREDIT_FORMULA,
    ),
    _ProductSpec(
        "中国银行福建省分行",
        "中银科创贷",
        ProductKind.TECH_CREDIT,
        "面向高新技术、专精特新和科技型中小企业，看重知识产权与研发投入。",
        (50, 1000),
        (12, 36),
        ("3.15", "4.00"),
        (GuaranteeType.CREDIT, GuaranteeType.PLEDGE),
        (),
        _TECH_ELIGIBILITY,
        '"high_tech" in qualifications and tax_credit_grade == "A" and amount <= 2000000',
        "min(amount, revenue * 0.3, 10000000)",
    ),
    _ProductSpec(
        "中国建设银行福建省分行",
        "云税贷",
        ProductKind.CREDIT,
        "以纳税数据为核心的线上信用贷款，额度最高300万元。",
        (10, 300),
        (12, 12),
        ("3.45", "4.35"),
        _CREDIT,
        (),
        _TAX_CREDIT_ELIGIBILITY,
        _TAX_CREDIT_INSTANT,
        _TAX_CREDIT_FORMULA,
    ),
    _ProductSpec(
        "中国建设银行福建省分行",
        "抵押快贷",
        ProductKind.MORTGAGE,
        "以住房或商业用房抵押，线上申请、线下签约，额度最高1000万元。",
        (50, 1000),
        (12, 36),
        ("3.00", "3.85"),
        _MORTGAGE,
        (),
        _MORTGAGE_ELIGIBILITY,
        None,
        _MORTGAGE_FORMULA,
    ),
    _ProductSpec(
        "中国邮政储蓄银行福建省分行",
        "小微易贷",
        ProductKind.CREDIT,
        "结合税务、发票数据核定额度，县域小微企业可线上申请。",
        (10, 200),
        (12, 24),
        ("3.50", "4.60"),
        _CREDIT,
        (),
        'size_class in ["small", "micro"] and tax_credit_grade in ["A", "B"]'
        " and years_in_business >= 1",
        _TAX_CREDIT_INSTANT,
        "min(amount, revenue * 0.15, 2000000)",
    ),
    _ProductSpec(
        "中国邮政储蓄银行福建省分行",
        "助企纾困贷",
        ProductKind.RELIEF,
        "面向受经营周期影响、暂时困难但有订单的小微企业，可延期还本。",
        (20, 500),
        (12, 36),
        ("3.00", "3.80"),
        (GuaranteeType.CREDIT, GuaranteeType.GUARANTOR, GuaranteeType.GUARANTEE_AGENCY),
        (),
        'size_class in ["small", "micro"] and tax_credit_grade != "D" and employees >= 5',
        None,
        "min(amount, revenue * 0.25, 5000000)",
    ),
    _ProductSpec(
        DEMO_BANK,
        "技术流科技信用贷",
        ProductKind.TECH_CREDIT,
        "以“技术流”评价体系评估企业技术实力，给予纯信用或知识产权质押授信。",
        (50, 1000),
        (12, 36),
        ("3.20", "4.20"),
        (GuaranteeType.CREDIT, GuaranteeType.PLEDGE),
        (),
        _TECH_ELIGIBILITY + ' and tax_credit_grade != "M"',
        '"specialised" in qualifications and tax_credit_grade == "A" and amount <= 2000000',
        "min(amount, revenue * 0.3, 10000000)",
    ),
    _ProductSpec(
        DEMO_BANK,
        "兴速贷",
        ProductKind.MORTGAGE,
        "房产抵押快速授信，福州地区当天评估、三天放款。",
        (50, 1000),
        (12, 36),
        ("3.30", "4.35"),
        _MORTGAGE,
        ("350100",),
        _MORTGAGE_ELIGIBILITY + " and years_in_business >= 1",
        'tax_credit_grade == "A" and amount <= 3000000',
        _MORTGAGE_FORMULA,
    ),
    _ProductSpec(
        DEMO_BANK,
        "快易贷",
        ProductKind.CREDIT,
        "小微企业纯信用线上贷款，按纳税和开票数据自动核额。",
        (10, 300),
        (12, 24),
        ("3.45", "4.80"),
        _CREDIT,
        (),
        _TAX_CREDIT_ELIGIBILITY,
        _TAX_CREDIT_INSTANT,
        _TAX_CREDIT_FORMULA,
    ),
    _ProductSpec(
        "福建海峡银行",
        "海峡税易贷",
        ProductKind.CREDIT,
        "依据纳税信用等级和纳税额授信，纳税A级企业可秒批。",
        (10, 300),
        (12, 24),
        ("3.60", "4.80"),
        _CREDIT,
        (),
        _TAX_CREDIT_ELIGIBILITY,
        _TAX_CREDIT_INSTANT,
        _TAX_CREDIT_FORMULA,
    ),
    _ProductSpec(
        "福建海峡银行",
        "政银担保贷",
        ProductKind.GUARANTEED,
        "由政府性融资担保机构担保，担保费可申请福州市担保费补贴。",
        (50, 1000),
        (12, 36),
        ("3.40", "4.50"),
        (GuaranteeType.GUARANTEE_AGENCY,),
        ("350100", "350300", "350900"),
        'size_class in ["small", "micro"] and tax_credit_grade in ["A", "B", "M"]'
        ' and guarantee_type == "guarantee_agency"',
        None,
        "min(amount, revenue * 0.3, 10000000)",
    ),
    _ProductSpec(
        "厦门银行",
        "科创易贷",
        ProductKind.TECH_CREDIT,
        "面向厦门、泉州、漳州科技型企业的信用贷款，支持知识产权质押增信。",
        (50, 800),
        (12, 36),
        ("3.30", "4.30"),
        (GuaranteeType.CREDIT, GuaranteeType.PLEDGE),
        ("350200", "350500", "350600"),
        _TECH_ELIGIBILITY,
        '"tech_sme" in qualifications and tax_credit_grade == "A" and amount <= 1000000',
        "min(amount, revenue * 0.25, 8000000)",
    ),
    _ProductSpec(
        "厦门银行",
        "供应链e融",
        ProductKind.SUPPLY_CHAIN,
        "以核心企业应收账款为基础的供应链融资，在线确权，随用随借。",
        (50, 1000),
        (6, 12),
        ("3.50", "4.50"),
        (GuaranteeType.PLEDGE,),
        ("350200", "350500", "350600"),
        'size_class in ["medium", "small", "micro"] and years_in_business >= 1'
        ' and tax_credit_grade in ["A", "B"]',
        None,
        "min(amount, revenue * 0.3, 10000000)",
    ),
    _ProductSpec(
        "泉州银行",
        "泉商抵押贷",
        ProductKind.MORTGAGE,
        "服务泉州民营制造业的厂房、住房抵押贷款，抵押率最高七成。",
        (50, 1000),
        (12, 36),
        ("3.50", "4.50"),
        _MORTGAGE,
        ("350500",),
        _MORTGAGE_ELIGIBILITY,
        None,
        "min(amount, total_assets * 0.7, 10000000)",
    ),
    _ProductSpec(
        "泉州银行",
        "泉心纾困贷",
        ProductKind.RELIEF,
        "为订单充足但资金周转困难的小微企业提供纾困资金，可无还本续贷。",
        (20, 500),
        (12, 24),
        ("3.40", "4.40"),
        (GuaranteeType.CREDIT, GuaranteeType.GUARANTOR),
        ("350500", "350600"),
        'size_class in ["small", "micro"] and tax_credit_grade in ["A", "B", "M"]'
        " and employees >= 10",
        None,
        "min(amount, revenue * 0.2, 5000000)",
    ),
    _ProductSpec(
        "福建省农村信用社联合社",
        "福林贷",
        ProductKind.FORESTRY,
        "以林权或林业经营收益为保障，服务林农、林业企业和合作社。",
        (10, 300),
        (12, 36),
        ("3.80", "4.80"),
        (GuaranteeType.MORTGAGE, GuaranteeType.GUARANTOR),
        ("350400", "350700", "350800"),
        '"agricultural" in qualifications and industry_code in ["01", "02", "05", "20"]',
        None,
        "min(amount, total_assets * 0.5, 3000000)",
    ),
    _ProductSpec(
        "福建省农村信用社联合社",
        "福农快贷",
        ProductKind.AGRICULTURE,
        "面向家庭农场、农民专业合作社和涉农企业的信用贷款，乡镇网点可办。",
        (10, 300),
        (12, 36),
        ("3.60", "4.80"),
        (GuaranteeType.CREDIT, GuaranteeType.GUARANTOR),
        (),
        '"agricultural" in qualifications and size_class in ["small", "micro"]'
        ' and tax_credit_grade != "D"',
        '"agricultural" in qualifications and tax_credit_grade == "A" and amount <= 300000',
        "min(amount, revenue * 0.3, 3000000)",
    ),
    _ProductSpec(
        "福建省农村信用社联合社",
        "福e贷",
        ProductKind.CREDIT,
        "县域小微企业纯信用贷款，手机银行申请，额度循环使用。",
        (10, 200),
        (12, 24),
        ("3.70", "4.80"),
        _CREDIT,
        (),
        _TAX_CREDIT_ELIGIBILITY,
        'tax_credit_grade == "A" and amount <= 500000',
        "min(amount, revenue * 0.15, 2000000)",
    ),
)


# Policy products come from the shipped policy files, loaded as `flask policies load` would.
POLICY_DIR = Path(__file__).resolve().parents[1] / "policies"
# The 专精特新 interest subsidy, which some of the historical loans received.
SUBSIDY_POLICY = "fj-specialised-interest-subsidy"
RISK_POOL_POLICY = "fj-inclusive-risk-compensation"
HISTORICAL_POLICIES = (SUBSIDY_POLICY, RISK_POOL_POLICY)
RISK_POOL_KINDS = frozenset(
    {
        ProductKind.CREDIT,
        ProductKind.TECH_CREDIT,
        ProductKind.RELIEF,
        ProductKind.GUARANTEED,
        ProductKind.AGRICULTURE,
        ProductKind.FORESTRY,
    }
)

# Published LPR (one year, over five years) and the month each pair took effect.
_LPR_CHANGES = (
    (dt.date(2024, 1, 20), "3.45", "4.20"),
    (dt.date(2024, 2, 20), "3.45", "3.95"),
    (dt.date(2024, 7, 20), "3.35", "3.85"),
    (dt.date(2024, 10, 20), "3.10", "3.60"),
    (dt.date(2025, 5, 20), "3.00", "3.50"),
)
_LPR_LAST_MONTH = dt.date(2026, 11, 20)

LOAN_COUNT = 40
_TERMS = (12, 24, 36)
MIN_BORROWER_REVENUE = 200 * WAN  # so that even a 50万 loan stays within a quarter of revenue
_DEMO_PRODUCT = next(p for p in _PRODUCTS if p.bank == DEMO_BANK and p.name == "技术流科技信用贷")


# ---------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------


def seed_demo() -> SeedReport:
    """Create whatever demo rows are missing, in one transaction, and say what was created."""
    report = SeedReport()
    rng = random.Random(RANDOM_SEED)
    institutions = _seed_institutions(report)
    agencies = _seed_agencies(report)
    firms = _seed_firms(report)
    db.session.flush()  # ids for the rows that refer to these
    _seed_users(report, firms, institutions, agencies)
    _seed_consents(report)
    products = _seed_products(report, institutions)
    _seed_guarantee_product(report, institutions[DEMO_GUARANTOR], products)
    policies = _seed_policies(report)
    _seed_lpr(report)
    _seed_api_client(report)
    _seed_loans(report, rng, firms, institutions, products, policies, dt.date.today())
    db.session.commit()
    return report


def _seed_api_client(report: SeedReport) -> None:
    """The demo bank's credit system as an API client with every bank scope."""
    if db.session.scalar(select(ApiClient).where(ApiClient.client_key == DEMO_API_CLIENT)):
        return
    admin = db.session.scalar(select(User).where(User.email == "bankadmin@demo.local"))
    client = api_clients.add_client(
        admin, "信贷审批系统（演示）", list(BANK_SCOPES), [], client_key=DEMO_API_CLIENT
    )
    api_clients.add_secret(client, DEMO_API_SECRET)
    report.users += 1  # the user the client acts as
    report.api_clients += 1


def _seed_institutions(report: SeedReport) -> dict[str, FinancialInstitution]:
    """Banks by name: the approved panel and one applicant."""
    existing = _by_name(FinancialInstitution, [spec.name for spec in _INSTITUTIONS])
    for spec in _INSTITUTIONS:
        if spec.name in existing:
            continue
        institution = FinancialInstitution(
            name=spec.name,
            short_name=spec.short_name,
            kind=spec.kind,
            region_code=spec.region_code,
            onboarding_status=spec.status,
            status_reason=spec.status_reason,
            status_changed_at=ONBOARDED_AT if spec.status != OnboardingStatus.APPLIED else None,
            response_days=spec.response_days,
        )
        db.session.add(institution)
        existing[spec.name] = institution
        report.institutions += 1
        if spec.status == OnboardingStatus.APPLIED:
            db.session.flush()
            attach_samples(institution)  # so the onboarding demo can be approved
    return existing


def _seed_agencies(report: SeedReport) -> dict[str, GovernmentAgency]:
    """Government agencies by name."""
    existing = _by_name(GovernmentAgency, [name for name, _, _ in _AGENCIES])
    for name, short_name, region_code in _AGENCIES:
        if name in existing:
            continue
        agency = GovernmentAgency(name=name, short_name=short_name, region_code=region_code)
        db.session.add(agency)
        existing[name] = agency
        report.agencies += 1
    return existing


def _seed_firms(report: SeedReport) -> dict[str, Firm]:
    """Firms by credit code; build_firm derives each size class from the 2011 standard."""
    codes = [spec.credit_code for spec in _FIRMS]
    existing = {
        firm.credit_code: firm
        for firm in db.session.scalars(select(Firm).where(Firm.credit_code.in_(codes)))
    }
    for spec in _FIRMS:
        if spec.credit_code in existing:
            continue
        firm = build_firm(
            spec.credit_code,
            name=spec.name,
            region_code=spec.region_code,
            industry_code=spec.industry_code,
            employees=spec.employees,
            revenue=spec.revenue,
            total_assets=spec.total_assets,
            established_on=spec.established_on,
            tax_credit_grade=spec.grade,
            qualifications=list(spec.qualifications),
            legal_representative=spec.legal_representative,
        )
        db.session.add(firm)
        existing[spec.credit_code] = firm
        report.firms += 1
    return existing


def _seed_users(
    report: SeedReport,
    firms: dict[str, Firm],
    institutions: dict[str, FinancialInstitution],
    agencies: dict[str, GovernmentAgency],
) -> None:
    """One account per role, plus a login for two more firms; all share DEMO_PASSWORD."""
    logins = _demo_logins()
    emails = [account.email for account, _ in logins]
    present = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    missing = [(account, tenant) for account, tenant in logins if account.email not in present]
    if not missing:
        return
    # Hashing is deliberately slow (scrypt in production): do it once for every demo account.
    password_hash = hash_password(DEMO_PASSWORD)
    for account, tenant in missing:
        user = User(
            email=account.email,
            password_hash=password_hash,
            full_name=account.full_name,
            phone=account.phone,
            role=account.role,
            # Confirmed, so the demo's notifications also arrive in the mail sink.
            email_verified_at=ONBOARDED_AT,
        )
        # The users table checks that each role carries exactly its own tenant column.
        if account.role == Role.SME:
            user.firm = firms[tenant]
            user.firm_role = FirmRole.OWNER  # each demo firm has one account, its owner
        elif account.role in INSTITUTION_ROLES:
            user.institution = institutions[tenant]
        elif account.role == Role.GOV_STAFF:
            user.agency = agencies[tenant]
        if account.role != Role.SME:
            user.totp_secret = DEMO_TOTP_SECRET
            user.totp_confirmed_at = ONBOARDED_AT
        db.session.add(user)
        report.users += 1


def _seed_consents(report: SeedReport) -> None:
    """The demo accounts accepted the user agreement and privacy policy in force, so a demo
    goes straight to each role's home rather than to the consent page."""
    db.session.flush()  # the users added just now
    emails = [account.email for account, _ in _demo_logins()]
    today = today_in_china()
    for user in db.session.scalars(select(User).where(User.email.in_(emails)).order_by(User.id)):
        report.consents += len(legal.record_consents(user, today))


def _demo_logins() -> list[tuple[DemoAccount, str]]:
    """Each demo login with the natural key of the firm, bank or agency it works for."""
    tenants = {
        Role.SME: _FIRMS[0].credit_code,  # a small machinery maker in Fuzhou
        Role.BANK_OFFICER: DEMO_BANK,
        Role.BANK_ADMIN: DEMO_BANK,
        Role.GUARANTOR_OFFICER: DEMO_GUARANTOR,
        Role.GUARANTOR_ADMIN: DEMO_GUARANTOR,
        Role.GOV_STAFF: DEMO_AGENCY,
    }
    codes = {spec.name: spec.credit_code for spec in _FIRMS}
    logins = [(account, tenants.get(account.role, "")) for account in DEMO_ACCOUNTS]
    return logins + [(account, codes[firm_name]) for account, firm_name in FIRM_CONTACTS]


def _seed_products(
    report: SeedReport, institutions: dict[str, FinancialInstitution]
) -> dict[tuple[str, str], BankProduct]:
    """Published bank products, each with its version-1 rules; keyed by (bank name, name)."""
    names = {institution.id: name for name, institution in institutions.items()}
    existing = {
        (names[product.institution_id], product.name): product
        for product in db.session.scalars(
            select(BankProduct).where(BankProduct.institution_id.in_(list(names)))
        )
    }
    for spec in _PRODUCTS:
        if (spec.bank, spec.name) in existing:
            continue
        product = _new_product(spec, institutions[spec.bank])
        db.session.add(product)
        existing[(spec.bank, spec.name)] = product
        report.bank_products += 1
    db.session.flush()
    for spec in _PRODUCTS:
        product = existing[(spec.bank, spec.name)]
        rules = RuleVersion(
            product_id=product.id,
            version=1,
            eligibility=spec.eligibility,
            instant_approval=spec.instant_approval,
            formula=spec.formula,
        )
        _add_rules_if_missing(report, RuleVersion.product_id, product.id, rules)
    return existing


def _new_product(spec: _ProductSpec, institution: FinancialInstitution) -> BankProduct:
    """A published product from its spec; money in yuan, rates in percent."""
    return BankProduct(
        institution=institution,
        name=spec.name,
        kind=spec.kind,
        summary=spec.summary,
        min_amount=spec.amount_wan[0] * WAN,
        max_amount=spec.amount_wan[1] * WAN,
        min_term_months=spec.term_months[0],
        max_term_months=spec.term_months[1],
        min_rate=Decimal(spec.rate[0]),
        max_rate=Decimal(spec.rate[1]),
        guarantee_types=[g.value for g in spec.guarantees],
        region_codes=list(spec.regions),
        status=ProductStatus.PUBLISHED,
        published_at=PUBLISHED_AT,
    )


# The guarantor's product and the bank products it backs: 政银担保贷 confirmed case by case
# (批量担保), 助企纾困贷 guaranteed with the bank's decision up to 300 万元 (见贷即保).
_GUARANTEE_PARTNERS = (
    ("福建海峡银行", "政银担保贷", GuaranteeMode.BATCH, None),
    ("中国邮政储蓄银行福建省分行", "助企纾困贷", GuaranteeMode.AUTOMATIC, Decimal("3000000")),
)


def _seed_guarantee_product(
    report: SeedReport,
    guarantor: FinancialInstitution,
    products: dict[tuple[str, str], BankProduct],
) -> None:
    """The demo guarantor's published product and its cooperation, once."""
    name = "小微企业批量担保"
    present = db.session.scalar(
        select(GuaranteeProduct).where(
            GuaranteeProduct.institution_id == guarantor.id, GuaranteeProduct.name == name
        )
    )
    if present is not None:
        return
    product = GuaranteeProduct(
        institution=guarantor,
        name=name,
        summary="为缺少抵押物的小微企业提供融资担保，费率 0.8%/年，免收保证金，可叠加担保费补贴。",
        min_amount=Decimal("100000"),
        max_amount=Decimal("10000000"),
        max_term_months=36,
        fee_rate=Decimal("0.8"),
        coverage_share=Decimal("80"),
        region_codes=[],
        status=ProductStatus.PUBLISHED,
        published_at=ONBOARDED_AT,
    )
    db.session.add(product)
    db.session.flush()
    record_rules(
        product,
        eligibility='size_class in ["small", "micro"] and tax_credit_grade != "D"',
        note="创建担保产品",
    )
    report.guarantee_products += 1
    report.rule_versions += 1
    for bank, bank_product, mode, limit in _GUARANTEE_PARTNERS:
        db.session.add(
            GuaranteeAgreement(
                guarantee_product=product,
                bank_product_id=products[bank, bank_product].id,
                mode=mode,
                automatic_limit=limit,
            )
        )


def _seed_policies(report: SeedReport) -> list[PolicyProduct]:
    """The shipped policy files, upserted by id; returns those the historical loans may draw:
    the 专精特新 interest subsidy and the inclusive-lending risk compensation pool."""
    loaded = upsert_directory(POLICY_DIR)
    report.policies += len(loaded.created)
    report.rule_versions += loaded.rule_versions
    report.agencies += loaded.agencies
    return list(
        db.session.scalars(
            select(PolicyProduct)
            .where(PolicyProduct.slug.in_(HISTORICAL_POLICIES))
            .order_by(PolicyProduct.id)
        )
    )


def _add_rules_if_missing(
    report: SeedReport,
    owner_column: InstrumentedAttribute[int | None],
    owner_id: int,
    rules: RuleVersion,
) -> None:
    """Add version 1 of an owner's rules unless a version 1 is already there."""
    found = db.session.scalar(
        select(RuleVersion.id).where(owner_column == owner_id, RuleVersion.version == 1)
    )
    if found is None:
        db.session.add(rules)
        report.rule_versions += 1


def _seed_lpr(report: SeedReport) -> None:
    """Monthly LPR rows, effective on the 20th, from January 2024 to November 2026."""
    present = set(db.session.scalars(select(LprRate.effective_on)))
    for effective_on, one_year, over_five in _lpr_schedule():
        if effective_on in present:
            continue
        db.session.add(
            LprRate(
                effective_on=effective_on,
                one_year=Decimal(one_year),
                over_five_years=Decimal(over_five),
            )
        )
        report.lpr_rates += 1


def _lpr_schedule() -> list[tuple[dt.date, str, str]]:
    """Every month's pair: the last change on or before that month's 20th."""
    rows = []
    month = _LPR_CHANGES[0][0]
    while month <= _LPR_LAST_MONTH:
        _, one_year, over_five = [change for change in _LPR_CHANGES if change[0] <= month][-1]
        rows.append((month, one_year, over_five))
        month = add_months(month, 1)
    return rows


# ---------------------------------------------------------------------------
# Loans and their monthly reports
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _LoanPlan:
    contract_no: str
    product: _ProductSpec
    firm: _FirmSpec
    amount: Decimal
    rate: Decimal
    term_months: int
    disbursed_on: dt.date
    # For a loan in trouble: the first month (counted from disbursement) with a missed payment,
    # and the days overdue at that month's end; each later month adds 30 days.
    overdue_from: int | None = None
    first_overdue_days: int = 0


def _plan_loans(rng: random.Random, today: dt.date) -> list[_LoanPlan]:
    """Forty loans over the twelve months before this one; a few fall behind."""
    this_month = today.replace(day=1)
    plans = []
    for number in range(1, LOAN_COUNT + 1):
        # The first loan ties the demo firm to the demo bank, so both logins see it.
        product = _DEMO_PRODUCT if number == 1 else rng.choice(_PRODUCTS)
        firm = _FIRMS[0] if number == 1 else rng.choice(_firms_for(product))
        month = add_months(this_month, -rng.randint(1, 12))
        plans.append(
            _LoanPlan(
                contract_no=f"DEMO-2026-{number:04d}",
                product=product,
                firm=firm,
                amount=_pick_amount(rng, product, firm),
                rate=_pick_rate(rng, product),
                term_months=rng.choice([t for t in _TERMS if _in_term(t, product)] or [12]),
                disbursed_on=month.replace(day=rng.randint(1, 28)),
            )
        )
    return _with_troubles(rng, plans, this_month)


def _firms_for(product: _ProductSpec) -> list[_FirmSpec]:
    """Firms a bank would plausibly have lent at least 50万 yuan under this product."""
    wanted = {
        ProductKind.AGRICULTURE: {"agricultural"},
        ProductKind.FORESTRY: {"agricultural"},
        ProductKind.TECH_CREDIT: {"high_tech", "specialised", "tech_sme"},
    }.get(product.kind)
    candidates = [
        firm
        for firm in _FIRMS[1:]
        if (not product.regions or firm.region_code in product.regions)
        and (wanted is None or wanted & set(firm.qualifications))
        and firm.revenue >= MIN_BORROWER_REVENUE
    ]
    return candidates or list(_FIRMS[1:])


def _pick_amount(rng: random.Random, product: _ProductSpec, firm: _FirmSpec) -> Decimal:
    """A round amount of 50万–500万 yuan in the product's range and under 30% of revenue."""
    low = max(50, product.amount_wan[0]) // 10
    affordable = int(firm.revenue * Decimal("0.3") / WAN)
    high = max(low, min(500, product.amount_wan[1], affordable) // 10)
    return rng.randint(low, high) * 10 * WAN


def _pick_rate(rng: random.Random, product: _ProductSpec) -> Decimal:
    """A rate on a 5-basis-point step inside the product's range (and 3.00–4.80)."""
    step = Decimal("0.05")
    low = max(Decimal("3.00"), Decimal(product.rate[0]))
    high = min(Decimal("4.80"), Decimal(product.rate[1]))
    return low + step * rng.randint(0, int((high - low) / step))


def _in_term(term: int, product: _ProductSpec) -> bool:
    """Whether the product offers this term."""
    return product.term_months[0] <= term <= product.term_months[1]


def _pool_covers(plan: _LoanPlan) -> bool:
    """Whether the inclusive-lending risk pool's file admits the loan (small or micro firm, at
    most 1,000万, a kind it covers, not graded D): checked again by its rules when granted."""
    firm = plan.firm
    size = classify_size(firm.industry_code, firm.employees, firm.revenue, firm.total_assets)
    return (
        size in ("small", "micro")
        and plan.amount <= Decimal(10_000_000)
        and plan.product.kind in RISK_POOL_KINDS
        and firm.grade != TaxCreditGrade.D
    )


def _with_troubles(
    rng: random.Random, plans: list[_LoanPlan], this_month: dt.date
) -> list[_LoanPlan]:
    """Two loans a few weeks overdue (关注) and one over 90 days (次级), for the NPL figures."""
    seasoned = [p for p in plans[1:] if _reports_due_since(p.disbursed_on, this_month) >= 5]
    # The loan over 90 days overdue is one of the demo bank's, so its officer can claim risk
    # compensation on it and government staff can decide the claim.
    own = [p for p in seasoned if p.product.bank == DEMO_BANK and _pool_covers(p)]
    substandard = rng.choice(own or seasoned)
    watch = rng.sample([p for p in seasoned if p is not substandard], 2)
    # (months in arrears, days overdue in the first of them): last month shows 95 and 40 days.
    trouble = {substandard.contract_no: (4, 5)}
    trouble.update({plan.contract_no: (2, 10) for plan in watch})
    result = []
    for plan in plans:
        if plan.contract_no in trouble:
            months, first_days = trouble[plan.contract_no]
            since = _reports_due_since(plan.disbursed_on, this_month) - months
            plan = replace(plan, overdue_from=since, first_overdue_days=first_days)
        result.append(plan)
    return result


def _reports_due_since(start: dt.date, this_month: dt.date) -> int:
    """Monthly reports due so far: from the month of `start` up to the month before this one."""
    return months_between(start, this_month) - 1


def _seed_loans(
    report: SeedReport,
    rng: random.Random,
    firms: dict[str, Firm],
    institutions: dict[str, FinancialInstitution],
    products: dict[tuple[str, str], BankProduct],
    policies: list[PolicyProduct],
    today: dt.date,
) -> None:
    """Historical loans by contract number, then any monthly reports they are missing."""
    plans = _plan_loans(rng, today)
    contract_nos = [plan.contract_no for plan in plans]
    existing = {
        loan.contract_no: loan
        for loan in db.session.scalars(select(Loan).where(Loan.contract_no.in_(contract_nos)))
    }
    for plan in plans:
        if plan.contract_no in existing:
            continue
        loan = _new_loan(plan, firms, institutions, products)
        db.session.add(loan)
        db.session.flush()
        stacking = [p for p in policies if policy_stacks_on(p, loan.product)]
        _grant_historical(loan, plan, policy_rules(stacking))
        existing[plan.contract_no] = loan
        report.loans += 1
    db.session.flush()
    _seed_loan_reports(report, plans, existing, today.replace(day=1))


def _new_loan(
    plan: _LoanPlan,
    firms: dict[str, Firm],
    institutions: dict[str, FinancialInstitution],
    products: dict[tuple[str, str], BankProduct],
) -> Loan:
    """An active loan made before the platform's lead flow (so lead_id is empty)."""
    firm = firms[plan.firm.credit_code]
    return Loan(
        institution=institutions[plan.product.bank],
        firm=firm,
        product=products[(plan.product.bank, plan.product.name)],
        contract_no=plan.contract_no,
        amount=plan.amount,
        rate=plan.rate,
        term_months=plan.term_months,
        disbursed_on=plan.disbursed_on,
        maturity_on=add_months(plan.disbursed_on, plan.term_months),
        status=LoanStatus.ACTIVE,
    )


def _grant_historical(loan: Loan, plan: _LoanPlan, rules: list[PolicyRule]) -> None:
    """The policies a historical loan drew (the 专精特新 subsidy, the risk pool's cover), by the
    one subsidy rule as of its disbursement, stored as committed grants (there was no offer to
    reserve them)."""
    price = LoanPrice(loan.amount, loan.rate, loan.term_months, loan.guarantee_fee_rate)
    facts = _loan_facts(plan, loan.firm)
    for benefit in benefits_for(rules, facts, price, plan.disbursed_on):
        if not benefit.applied:
            continue
        if benefit.benefit_kind == BenefitKind.LOSS_SHARE:
            cost = Decimal(0)  # the pool pays only on an approved claim
        else:
            cost = expected_amount(benefit, price)
        if not budget.reserve(benefit.policy_id, cost):
            continue
        budget.commit(benefit.policy_id, cost, cost)
        if benefit.benefit_kind == BenefitKind.RATE_POINTS:
            loan.subsidy_rate = benefit.value.quantize(Decimal("0.0001"))
        db.session.add(
            SubsidyGrant(
                policy_id=benefit.policy_id,
                rule_version_id=benefit.rule_version_id,
                loan_id=loan.id,
                firm_id=loan.firm_id,
                institution_id=loan.institution_id,
                benefit_kind=benefit.benefit_kind,
                value=benefit.value,
                expected_amount=cost,
                cap_used=yearly_amount(benefit, price),
                status=GrantStatus.COMMITTED,
            )
        )


def _loan_facts(plan: _LoanPlan, firm: Firm) -> dict[str, Any]:
    """What a rule sees of a historical loan: the firm, the loan's terms and its price."""
    one_year = [lpr for effective_on, lpr, _ in _LPR_CHANGES if effective_on <= plan.disbursed_on]
    return (
        firm_facts(firm, plan.disbursed_on)
        | need_facts(
            amount=plan.amount,
            term_months=plan.term_months,
            guarantee_type=plan.product.guarantees[0].value,
        )
        | pricing_facts(
            rate=plan.rate,
            lpr_one_year=Decimal((one_year or [_LPR_CHANGES[0][1]])[-1]),
            guarantee_fee_rate=Decimal("0"),
        )
    )


def _seed_loan_reports(
    report: SeedReport, plans: list[_LoanPlan], loans: dict[str, Loan], this_month: dt.date
) -> None:
    """One report per loan per month from disbursement to last month, keyed by (loan, period)."""
    loan_ids = [loan.id for loan in loans.values()]
    present = set(
        db.session.execute(
            select(LoanStatusReport.loan_id, LoanStatusReport.period).where(
                LoanStatusReport.loan_id.in_(loan_ids)
            )
        ).tuples()
    )
    for plan in plans:
        loan = loans[plan.contract_no]
        for row in _monthly_rows(loan, plan, this_month):
            if (loan.id, row.period) in present:
                continue
            row.loan_id = loan.id
            row.institution_id = loan.institution_id
            db.session.add(row)
            report.loan_reports += 1


def _monthly_rows(loan: Loan, plan: _LoanPlan, this_month: dt.date) -> list[LoanStatusReport]:
    """The loan's reports: equal principal repayments, frozen once a payment is missed."""
    # Computed from the stored loan, so that a run in a later month extends the same history.
    count = min(_reports_due_since(loan.disbursed_on, this_month), loan.term_months)
    rows = []
    paid_months = 0
    for elapsed in range(count):
        days = _days_overdue(plan, elapsed)
        if days == 0:
            paid_months = elapsed
        balance = loan.amount * (loan.term_months - paid_months) / loan.term_months
        period = add_months(loan.disbursed_on.replace(day=1), elapsed)
        rows.append(
            LoanStatusReport(
                period=period,
                balance=balance.quantize(Decimal("0.01")),
                days_overdue=days,
                five_tier_class=_five_tier(days),
                contradicts_overdue_rules=False,
                reported_at=_reported_at(period),
            )
        )
    return rows


def _days_overdue(plan: _LoanPlan, elapsed: int) -> int:
    """Days overdue at the end of the loan's `elapsed`-th month (0 = the disbursement month)."""
    if plan.overdue_from is None or elapsed < plan.overdue_from:
        return 0
    return plan.first_overdue_days + 30 * (elapsed - plan.overdue_from)


def _five_tier(days_overdue: int) -> FiveTierClass:
    """The mildest class the overdue rules allow, except that any arrears is at least 关注."""
    if days_overdue > 360:
        return FiveTierClass.LOSS
    if days_overdue > 270:
        return FiveTierClass.DOUBTFUL
    if days_overdue > 90:
        return FiveTierClass.SUBSTANDARD
    return FiveTierClass.SPECIAL_MENTION if days_overdue else FiveTierClass.NORMAL


def _reported_at(period: dt.date) -> dt.datetime:
    """Banks report on the 5th of the following month (10:00 Beijing), never in the future."""
    due = add_months(period, 1).replace(day=5)
    return min(dt.datetime(due.year, due.month, due.day, 2, 0, tzinfo=dt.UTC), utcnow())


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

_Named = TypeVar("_Named", FinancialInstitution, GovernmentAgency)


def _by_name(model: type[_Named], names: list[str]) -> dict[str, _Named]:
    """Rows of a model with a unique name column, keyed by name."""
    rows = db.session.scalars(select(model).where(model.name.in_(names)))
    return {row.name: row for row in rows}
