"""Province-scale data: the Fujian financial services cloud's size, generated in a few minutes.

`flask --app wsgi demo seed --scale province` runs the small demo seed and then seed_province(),
which adds to it until the totals are the source report's figures for 福建金服云: 118 financial
institutions, 255,400 registered users, 61,300 disbursed loans and 210.151 billion yuan lent, over
98% of the loans inclusive small/micro lending, more than half of the credited needs approved on
the day they were submitted. Everything the small seed already made counts towards the totals.

Every loan has its story: a financing need, the leads it became (some declined, some expired, the
winner approved and disbursed) and a monthly status report from its disbursement month to last
month, with a realistic share of loans falling behind (NPL ratio 1–3%). Loans fall in the 24 months
that end with last month, growing over time, spread over the nine prefecture cities, over many
industries and over the banks (big banks lend more). About 15% of the loans are guaranteed by one
of the three government guarantee institutions (a guarantee letter each, on a product that shares
risk "4321"); those that default carry the bank's compensation claim, most of them paid and
shared onward, some with money recovered since.

Speed is the point: about 1.3 million rows are planned in Python (primary keys included, so that
child rows need no round trip) and written with Core bulk inserts in chunks, in one transaction, so
a run that fails leaves nothing behind and a second run finds the marker and does nothing. Seeded
accounts share one password hash (the demo password). On PostgreSQL the sequences are moved past
the new ids and the tables analysed afterwards.

The content is fixed (random.Random(2026)); only the dates follow today's, so that the dashboard
always shows the last two years. `scale` shrinks the volumes (users, firms, loans, amounts) for
tests; the institutions and the catalogue are the same at every scale.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import math
import random
import secrets
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from statistics import NormalDist
from typing import Any

import click
from sqlalchemy import Connection, Table, func, insert, literal, select, text, update

from demo.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET
from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.claims.rule import ground
from portal.dates import SHANGHAI, add_months, today_in_china
from portal.db import UTCDateTime, utcnow
from portal.enums import (
    NON_PERFORMING,
    BenefitKind,
    ClaimStatus,
    DeclineReason,
    FiveTierClass,
    GrantStatus,
    GuaranteeMode,
    GuaranteeRequestStatus,
    GuaranteeType,
    InstitutionKind,
    LeadCloseReason,
    LeadOrigin,
    LeadStatus,
    LoanStatus,
    NeedStatus,
    OnboardingStatus,
    ProductKind,
    ProductStatus,
    RepaymentMethod,
    Role,
)
from portal.extensions import db
from portal.figures.live import Filters, figures
from portal.firms.models import Firm
from portal.firms.standards import (
    Measure,
    SizeClass,
    classify_size,
    make_credit_code,
    size_standard,
)
from portal.guarantees import requests as guarantee_requests
from portal.guarantees import sharing
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
from portal.institutions.models import FinancialInstitution, GovernmentAgency
from portal.leads.models import Lead, Loan
from portal.leads.schedule import guarantee_fee_total
from portal.legal.documents import current_versions
from portal.legal.models import Consent
from portal.lpr import LprRate
from portal.matching.facts import need_facts, pricing_facts, profile_facts
from portal.needs.models import FinancingNeed
from portal.needs.services import CONSENT_SCOPE
from portal.reporting.models import LoanStatusReport
from portal.rules import compile_formula, compile_rule
from portal.settings import SystemSetting
from portal.subsidies.evaluate import PolicyRule, benefits_for
from portal.subsidies.grants import policy_rules
from portal.subsidies.models import SubsidyGrant
from portal.subsidies.rule import (
    Benefit,
    LoanPrice,
    applied_value,
    expected_amount,
    fee_subsidy_rate,
    yearly_amount,
)
from portal.workdays import add_business_days

RANDOM_SEED = 2026
MARKER_KEY = "province_seeded"

# The source report's figures for the Fujian financial services cloud (福建金服云).
TARGET_INSTITUTIONS = 118
TARGET_USERS = 255_400
TARGET_LOANS = 61_300
TARGET_AMOUNT = Decimal("210151000000.00")
SOURCE_AVERAGE = Decimal("3431000")  # 343.1万元, as the report prints it

WINDOW_MONTHS = 24
CHUNK = 10_000
PLATFORM_LAUNCH = dt.date(2019, 6, 1)  # "自2019年上线以来"

CENTS = 100
WAN_CENTS = 10_000 * CENTS  # one 万元 in cents
MIN_LOAN = 50 * WAN_CENTS  # 50万元
INCLUSIVE_CEILING = 1000 * WAN_CENTS  # 1,000万元 of credit from one bank, inclusive
NON_INCLUSIVE_SHARE = 0.016  # of all loans: medium and large firms
REPEAT_SHARE = 0.08  # loans that renew an earlier borrower's credit with the same bank
UNCREDITED_PER_LOAN = 0.2  # settled needs that got no loan, per new loan
IN_PROGRESS_PER_LOAN = 0.018  # needs still being handled today, per new loan
IN_PROGRESS_DAYS = (8, 20)  # how long a need stays in progress: on average, at most
CONTRADICTIONS_AT_FULL_SCALE = 40
TWO_PLACES = Decimal("0.01")


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


@dataclass
class Check:
    """One figure the province must show, and whether it does."""

    name: str
    value: str
    ok: bool


@dataclass
class ProvinceReport:
    """What one run created, how long each phase took, and what the dashboard now shows."""

    scale: float
    already_present: bool = False
    marker: str = ""
    created: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
    window: tuple[dt.date, dt.date] | None = None
    dashboard: dict[str, Any] = field(default_factory=dict)
    npl_by_month: list[tuple[dt.date, Decimal | None]] = field(default_factory=list)
    guarantees: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    contradictions: int = 0

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(check.ok for check in self.checks)

    def summary(self) -> str:
        """A few lines for the console."""
        if self.already_present:
            return (
                f"Province data (全省数据) is already present ({MARKER_KEY}: {self.marker}); "
                "nothing created."
            )
        lines = [
            f"Province data (全省数据) at scale {self.scale:g}: created "
            + ", ".join(
                f"{count:,} {name.replace('_', ' ')}" for name, count in self.created.items()
            )
            + f" in {_duration(sum(self.seconds.values()))}.",
            "  phases: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items()),
        ]
        lines += [f"  {line}" for line in self._total_lines()]
        lines += [f"  {line}" for line in self._dashboard_lines()]
        lines += [f"  {line}" for line in self._guarantee_lines()]
        lines.append(
            "  checks: "
            + ("all passed" if self.ok else "FAILED")
            + " ("
            + "; ".join(f"{c.name} {c.value} {'ok' if c.ok else 'NO'}" for c in self.checks)
            + ")"
        )
        return "\n".join(lines)

    def _total_lines(self) -> list[str]:
        totals = self.totals
        if not totals:
            return []
        average = totals["amount"] / totals["loans"]
        return [
            f"totals now: {totals['institutions']:,} financial institutions "
            f"({totals['approved_institutions']:,} approved), {totals['users']:,} users, "
            f"{totals['firms']:,} firms, {totals['loans']:,} disbursed loans, "
            f"{totals['amount']:,.2f} yuan.",
            f"average per loan: {average:,.2f} yuan (total ÷ loans). The report prints "
            f"{SOURCE_AVERAGE / 10000:.1f}万 (3.431 million), which is 210.151 billion ÷ about "
            f"{int(TARGET_AMOUNT / SOURCE_AVERAGE):,} deals, a count it rounds to 6.13万; "
            "the exact quotient is shown here, not the printed figure.",
        ]

    def _dashboard_lines(self) -> list[str]:
        d = self.dashboard
        if not d or self.window is None:
            return []
        first, last = self.window
        recent = [ratio for _, ratio in self.npl_by_month[-12:] if ratio is not None]
        span = f"{_pct(min(recent))}–{_pct(max(recent))}" if recent else "n/a"
        return [
            f"dashboard {first:%Y-%m} to {last:%Y-%m} (portal.figures.live.figures): "
            f"{d['loans']:,} loans, {d['amount']:,.2f} yuan, {d['average']:,.2f} yuan per loan; "
            f"inclusive small/micro {_pct(d['inclusive_share_count'])} of loans "
            f"({_pct(d['inclusive_share_amount'])} of amount); approval rate "
            f"{_pct(d['approval_rate'])}; same-day credit {_pct(d['same_day_rate'])} of credited "
            f"needs; median first response {d['median_response_hours']} h; "
            f"{d['sla_breaches']:,} SLA breaches; NPL {_pct(d['npl_ratio'])} in {last:%Y-%m} "
            f"({span} over the last 12 months); {self.contradictions} status reports contradict "
            "the overdue rules on purpose.",
        ]

    def _guarantee_lines(self) -> list[str]:
        g = self.guarantees
        if not g:
            return []
        return [
            f"guarantees: {g['letters']:,} letters (担保函) on {_pct(g['share'])} of all loans "
            f"({g['automatic']:,} issued with the bank's decision, 见贷即保); "
            f"{g['compensations']:,} compensations (代偿: {g['paid']:,} paid, {g['waiting']:,} "
            f"awaiting the guarantor), {g['shares']:,} onward share claims, "
            f"{g['recoveries']:,} recoveries.",
        ]


def _pct(value: Decimal | float | None) -> str:
    return "n/a" if value is None else f"{float(value) * 100:.2f}%"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"


# ---------------------------------------------------------------------------
# Reference content: institutions, agencies, places, industries, names
# ---------------------------------------------------------------------------

CITIES: tuple[tuple[str, str, float], ...] = (
    # (code, short name, share of firms)
    ("350100", "福州", 0.22),
    ("350200", "厦门", 0.17),
    ("350300", "莆田", 0.06),
    ("350400", "三明", 0.045),
    ("350500", "泉州", 0.22),
    ("350600", "漳州", 0.09),
    ("350700", "南平", 0.045),
    ("350800", "龙岩", 0.06),
    ("350900", "宁德", 0.09),
)
CITY_NAMES = {code: name for code, name, _ in CITIES}
PROVINCE = "350000"  # GB/T 2260 code of Fujian: an institution serving the whole province

# Districts and counties (GB/T 2260): the registration authority in each credit code, and the
# place in each firm's name.
COUNTIES: dict[str, tuple[tuple[str, str], ...]] = {
    "350100": (
        ("350102", "鼓楼"),
        ("350103", "台江"),
        ("350104", "仓山"),
        ("350105", "马尾"),
        ("350111", "晋安"),
        ("350112", "长乐"),
        ("350121", "闽侯"),
        ("350122", "连江"),
        ("350123", "罗源"),
        ("350124", "闽清"),
        ("350125", "永泰"),
        ("350128", "平潭"),
        ("350181", "福清"),
    ),
    "350200": (
        ("350203", "思明"),
        ("350205", "海沧"),
        ("350206", "湖里"),
        ("350211", "集美"),
        ("350212", "同安"),
        ("350213", "翔安"),
    ),
    "350300": (
        ("350302", "城厢"),
        ("350303", "涵江"),
        ("350304", "荔城"),
        ("350305", "秀屿"),
        ("350322", "仙游"),
    ),
    "350400": (
        ("350404", "三元"),
        ("350405", "沙县"),
        ("350421", "明溪"),
        ("350423", "清流"),
        ("350424", "宁化"),
        ("350425", "大田"),
        ("350426", "尤溪"),
        ("350428", "将乐"),
        ("350429", "泰宁"),
        ("350430", "建宁"),
        ("350481", "永安"),
    ),
    "350500": (
        ("350502", "鲤城"),
        ("350503", "丰泽"),
        ("350504", "洛江"),
        ("350505", "泉港"),
        ("350521", "惠安"),
        ("350524", "安溪"),
        ("350525", "永春"),
        ("350526", "德化"),
        ("350581", "石狮"),
        ("350582", "晋江"),
        ("350583", "南安"),
    ),
    "350600": (
        ("350602", "芗城"),
        ("350603", "龙文"),
        ("350604", "龙海"),
        ("350605", "长泰"),
        ("350622", "云霄"),
        ("350623", "漳浦"),
        ("350624", "诏安"),
        ("350626", "东山"),
        ("350627", "南靖"),
        ("350628", "平和"),
        ("350629", "华安"),
    ),
    "350700": (
        ("350702", "延平"),
        ("350703", "建阳"),
        ("350721", "顺昌"),
        ("350722", "浦城"),
        ("350723", "光泽"),
        ("350724", "松溪"),
        ("350725", "政和"),
        ("350781", "邵武"),
        ("350782", "武夷山"),
        ("350783", "建瓯"),
    ),
    "350800": (
        ("350802", "新罗"),
        ("350803", "永定"),
        ("350821", "长汀"),
        ("350823", "上杭"),
        ("350824", "武平"),
        ("350825", "连城"),
        ("350881", "漳平"),
    ),
    "350900": (
        ("350902", "蕉城"),
        ("350921", "霞浦"),
        ("350922", "古田"),
        ("350923", "屏南"),
        ("350924", "寿宁"),
        ("350925", "周宁"),
        ("350926", "柘荣"),
        ("350981", "福安"),
        ("350982", "福鼎"),
    ),
}


@dataclass(frozen=True)
class _InstitutionSpec:
    name: str
    short_name: str
    kind: InstitutionKind
    region_code: str
    weight: float  # share of the lending, relative
    response_days: int = 2


def _institution_specs() -> tuple[_InstitutionSpec, ...]:
    """The 107 institutions the province adds to the demo's eleven."""
    state, joint, city_bank = (
        InstitutionKind.STATE_OWNED,
        InstitutionKind.JOINT_STOCK,
        InstitutionKind.CITY_COMMERCIAL,
    )
    specs = [
        _InstitutionSpec("国家开发银行福建省分行", "国开行", InstitutionKind.POLICY, "350000", 0.3),
        _InstitutionSpec(
            "中国进出口银行福建省分行", "进出口银行", InstitutionKind.POLICY, "350000", 0.2
        ),
        _InstitutionSpec(
            "中国农业发展银行福建省分行", "农发行", InstitutionKind.POLICY, "350000", 0.4
        ),
        _InstitutionSpec("交通银行福建省分行", "交通银行", state, "350000", 2.5),
        _InstitutionSpec("交通银行厦门分行", "交通银行厦门分行", state, "350200", 1.0),
    ]
    city_weight = {"厦门": 1.6, "泉州": 1.6, "漳州": 1.1}
    for full, short in (
        ("中国工商银行", "工商银行"),
        ("中国农业银行", "农业银行"),
        ("中国银行", "中国银行"),
        ("中国建设银行", "建设银行"),
        ("中国邮政储蓄银行", "邮储银行"),
    ):
        for code, city, _ in CITIES[1:]:
            branch = f"{city}市分行" if city == "厦门" else f"{city}分行"
            specs.append(
                _InstitutionSpec(
                    f"{full}{branch}", f"{short}{city}分行", state, code, city_weight.get(city, 0.8)
                )
            )
    for full, short, cities, weight in (
        ("兴业银行", "兴业银行", ("厦门", "泉州", "漳州"), 3.0),
        ("招商银行", "招商银行", ("福州", "厦门"), 0.9),
        ("中信银行", "中信银行", ("福州", "厦门"), 0.8),
        ("上海浦东发展银行", "浦发银行", ("福州", "厦门"), 0.7),
        ("中国民生银行", "民生银行", ("福州", "厦门"), 0.7),
        ("中国光大银行", "光大银行", ("福州", "厦门"), 0.7),
        ("华夏银行", "华夏银行", ("福州", "厦门"), 0.6),
        ("平安银行", "平安银行", ("福州", "厦门"), 0.7),
        ("广发银行", "广发银行", ("福州",), 0.5),
        ("浙商银行", "浙商银行", ("福州",), 0.4),
        ("渤海银行", "渤海银行", ("福州",), 0.3),
    ):
        for city in cities:
            code = next(c for c, name, _ in CITIES if name == city)
            specs.append(
                _InstitutionSpec(f"{full}{city}分行", f"{short}{city}分行", joint, code, weight)
            )
    specs += [
        _InstitutionSpec("厦门国际银行", "厦门国际银行", city_bank, "350200", 1.0),
        _InstitutionSpec("福建华通银行", "华通银行", city_bank, "350100", 0.3, 3),
        _InstitutionSpec("福建海峡银行泉州分行", "海峡银行泉州分行", city_bank, "350500", 0.6),
        _InstitutionSpec("厦门银行福州分行", "厦门银行福州分行", city_bank, "350100", 0.6),
        _InstitutionSpec("厦门银行泉州分行", "厦门银行泉州分行", city_bank, "350500", 0.6),
        _InstitutionSpec("泉州银行福州分行", "泉州银行福州分行", city_bank, "350100", 0.5),
    ]
    guarantee = InstitutionKind.GUARANTEE
    specs += [
        _InstitutionSpec("福建省融资担保有限责任公司", "省融资担保", guarantee, "350000", 0.0),
        _InstitutionSpec("福州市融资担保有限责任公司", "福州融资担保", guarantee, "350100", 0.0),
        _InstitutionSpec("泉州市融资担保有限责任公司", "泉州融资担保", guarantee, "350500", 0.0),
    ]
    rural_banks = {
        "350100": ("福州", "福清", "长乐", "闽侯", "连江", "永泰"),
        "350200": ("厦门",),
        "350300": ("莆田", "仙游"),
        "350400": ("永安", "沙县", "尤溪"),
        "350500": ("晋江", "石狮", "南安", "惠安", "安溪", "德化"),
        "350600": ("龙海", "漳浦", "平和"),
        "350700": ("建瓯", "武夷山"),
        "350800": ("龙岩", "上杭"),
        "350900": ("福鼎", "福安"),
    }
    for code, places in rural_banks.items():
        for place in places:
            name = (
                f"{place}农村商业银行" if place in ("福州", "厦门") else f"福建{place}农村商业银行"
            )
            weight = 1.5 if code == "350500" else 1.2
            specs.append(
                _InstitutionSpec(name, f"{place}农商银行", InstitutionKind.RURAL, code, weight, 3)
            )
    for name, code in (
        ("福建福清汇通村镇银行", "350100"),
        ("福建石狮民泰村镇银行", "350500"),
        ("福建沙县渝农商村镇银行", "350400"),
        ("福建龙海汇通村镇银行", "350600"),
        ("福建建瓯石狮村镇银行", "350700"),
        ("福建霞浦汇通村镇银行", "350900"),
    ):
        short = name.removeprefix("福建")
        specs.append(_InstitutionSpec(name, short, InstitutionKind.RURAL, code, 0.15, 3))
    return tuple(specs)


INSTITUTIONS = _institution_specs()
assert len(INSTITUTIONS) == 107, len(INSTITUTIONS)  # noqa: S101  (a typo here is a bug)

# Lending weights of the demo's own institutions, by name; the platform's operator lends most.
DEMO_LENDER_WEIGHTS = {
    "中国工商银行福建省分行": 4.0,
    "中国农业银行福建省分行": 4.0,
    "中国银行福建省分行": 3.5,
    "中国建设银行福建省分行": 4.0,
    "中国邮政储蓄银行福建省分行": 3.0,
    "兴业银行福州分行": 9.0,
    "福建海峡银行": 1.5,
    "厦门银行": 1.5,
    "泉州银行": 1.5,
    "福建省农村信用社联合社": 2.5,
}

AGENCIES: tuple[tuple[str, str, str], ...] = tuple(
    [
        ("福建省农业农村厅", "省农业农村厅", "350000"),
        ("福建省科学技术厅", "省科技厅", "350000"),
        ("福建省商务厅", "省商务厅", "350000"),
    ]
    + [
        (f"{city}市地方金融管理局", f"{city}市金融局", code)
        for code, city, _ in CITIES
        if code != "350100"  # the demo has 福州市地方金融管理局
    ]
    + [(f"{city}市工业和信息化局", f"{city}市工信局", code) for code, city, _ in CITIES]
)

# Two-digit GB/T 4754 divisions (and the two real-estate classes) with their share of firms.
INDUSTRIES: dict[str, float] = {
    "01": 3, "02": 1, "03": 1, "04": 1.5, "05": 0.5,
    "13": 2, "14": 2, "15": 2, "17": 2.5, "18": 3, "19": 3, "20": 1.5, "21": 1.5, "22": 0.5,
    "24": 1.5, "26": 1, "27": 0.5, "29": 1.5, "30": 2, "32": 0.5, "33": 1.5, "34": 2, "35": 1.5,
    "36": 0.5, "37": 0.5, "38": 1.5, "39": 2, "40": 0.3, "41": 0.5, "44": 0.3,
    "47": 1.5, "48": 1, "49": 1, "50": 2,
    "51": 12, "52": 8,
    "54": 2, "55": 0.5, "58": 1, "59": 0.8, "60": 0.3,
    "61": 1, "62": 4,
    "64": 1, "65": 4,
    "7010": 0.3, "7020": 1,
    "71": 0.5, "72": 6,
    "73": 0.5, "74": 2, "75": 2.5,
    "77": 0.5, "78": 0.3,
    "80": 1.5, "81": 1, "82": 0.5,
    "83": 0.5, "84": 0.3, "86": 0.2, "88": 0.5, "89": 0.2, "90": 0.3,
}  # fmt: skip

# Each city's specialities, as multipliers of the shares above.
CITY_INDUSTRIES: dict[str, dict[str, float]] = {
    "350100": {"17": 2.0, "65": 1.6, "38": 1.3, "26": 1.2},
    "350200": {"39": 2.5, "65": 2.0, "51": 1.4, "58": 2.0, "38": 1.5, "64": 1.8},
    "350300": {"19": 3.0, "21": 2.5, "24": 2.5},
    "350400": {"02": 3.0, "20": 2.5, "01": 1.5, "32": 2.0},
    "350500": {"18": 3.0, "19": 3.0, "30": 2.5, "17": 1.6, "24": 1.5},
    "350600": {"13": 2.5, "14": 2.5, "01": 1.8, "34": 1.3},
    "350700": {"02": 3.0, "15": 3.0, "20": 3.0, "01": 1.5},
    "350800": {"35": 2.0, "32": 2.5, "30": 1.5, "14": 1.3},
    "350900": {"38": 3.0, "04": 2.5, "15": 2.0, "33": 1.5},
}

TECH_DIVISIONS = frozenset({"26", "27", "34", "35", "38", "39", "40", "64", "65", "73", "74", "75"})
AGRI_DIVISIONS = frozenset({"01", "02", "03", "04", "05"})
MANUFACTURING = frozenset(f"{d:02d}" for d in range(13, 44))

INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "01": ("农业开发", "生态农业", "果蔬种植"), "02": ("林业开发", "苗木"),
    "03": ("畜牧养殖", "生态养殖"), "04": ("水产养殖", "海洋渔业"), "05": ("农业服务", "农机服务"),
    "13": ("农产品加工", "粮油"), "14": ("食品",), "15": ("茶业", "饮品"), "17": ("纺织", "织造"),
    "18": ("服饰", "服装"), "19": ("鞋业", "鞋服"), "20": ("竹木制品", "木业"), "21": ("家具",),
    "22": ("纸业", "包装"), "24": ("工艺品", "体育用品"), "26": ("化工", "新材料"),
    "27": ("医药", "生物科技"), "29": ("塑胶", "橡塑制品"), "30": ("石材", "陶瓷", "建材"),
    "32": ("有色金属",), "33": ("五金制品", "金属制品"), "34": ("机械", "精密机械"),
    "35": ("机电设备", "智能装备"), "36": ("汽车配件",), "37": ("船舶配件", "游艇"),
    "38": ("电气", "新能源科技"), "39": ("电子科技", "光电"), "40": ("仪器仪表",),
    "41": ("日用品",), "44": ("新能源", "电力工程"),
    "47": ("建设工程", "建筑工程"), "48": ("路桥工程", "市政工程"),
    "49": ("机电安装", "安装工程"), "50": ("装饰工程", "装修设计"),
    "51": ("贸易", "商贸", "进出口"), "52": ("商行", "便利店", "超市"),
    "54": ("物流", "运输"), "55": ("海运", "航运"), "58": ("货运代理", "供应链管理"),
    "59": ("仓储", "冷链物流"), "60": ("快递", "速递"), "61": ("酒店", "民宿"),
    "62": ("餐饮管理", "餐饮"), "64": ("网络科技", "互联网科技"),
    "65": ("信息技术", "软件", "数字科技"), "7010": ("房地产开发",),
    "7020": ("物业管理", "物业服务"),
    "71": ("设备租赁", "租赁"), "72": ("企业管理咨询", "商务服务", "广告传媒", "人力资源"),
    "73": ("生物技术研究", "新材料研究"), "74": ("检测技术", "工程设计"),
    "75": ("科技", "技术服务"),
    "77": ("环保科技", "环境工程"), "78": ("园林绿化", "市政设施"), "80": ("家政服务", "洗涤服务"),
    "81": ("汽车维修", "电器维修"), "82": ("美容美发",), "83": ("教育咨询", "培训"),
    "84": ("门诊部", "医疗"), "86": ("文化传播",), "88": ("文化艺术", "文创"),
    "89": ("体育发展", "健身"), "90": ("娱乐", "文旅"),
}  # fmt: skip

BRAND_FIRST = (
    "鑫恒宏盛闽兴榕嘉永华联创德泰万金瑞祥达远海天中新福安丰源和通利昌隆"
    "晟博汇盈信诚佳宝益茂荣顺凯升腾辉明光捷卓星雅鹭"
)
BRAND_SECOND = (
    "源达盛泰丰兴昌隆发鑫成华荣辉创利通顺和祥瑞宏康诚信业恒晟宝升宇航骏峰岚瑞亿新嘉逸润铭"
)
SURNAMES = "陈林黄张吴王李郑刘蔡杨许洪苏曾周叶庄谢游江何罗邱余朱赖卢方施詹傅胡高郭颜潘柯魏彭"
GIVEN = (
    "志明伟强丽娟秀英建华文斌晓峰俊杰雅琴振兴国栋海燕春梅鸿达金福永清"
    "佳怡子涵宇航思远欣梓萱浩然一鸣婷芳敏辉荣"
)

PURPOSES = (
    "采购原材料", "支付供应商货款", "补充流动资金", "购置生产设备", "扩大生产规模", "发放员工工资",
    "支付厂房租金", "研发投入", "旺季备货", "门店装修升级", "承接新订单", "技术改造",
)  # fmt: skip
AGRI_PURPOSES = ("春耕备耕", "收购茶青", "购买种苗和饲料", "扩大养殖规模", "冷库建设")

DECLINE_WEIGHTS = {
    DeclineReason.REPAYMENT_CAPACITY: 25,
    DeclineReason.CREDIT_HISTORY: 20,
    DeclineReason.COLLATERAL: 18,
    DeclineReason.AMOUNT: 12,
    DeclineReason.DOCUMENTS: 10,
    DeclineReason.INDUSTRY_POLICY: 8,
    DeclineReason.UNREACHABLE: 4,
    DeclineReason.OTHER: 3,
}


# ---------------------------------------------------------------------------
# Bank products for the new institutions: terms and rules by template
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _ProductTemplate:
    names: tuple[str, ...]
    kind: ProductKind
    amount_wan: tuple[int, int]
    term_months: tuple[int, int]
    rate: tuple[str, str]
    guarantees: tuple[GuaranteeType, ...]
    eligibility: str
    instant_approval: str | None
    formula: str
    guarantee_fee: str = "0"


_SMALL_MICRO = 'size_class in ["small", "micro"]'
TEMPLATES: dict[str, _ProductTemplate] = {
    "credit": _ProductTemplate(
        ("普惠快贷", "税易贷", "信易贷", "小微快贷"),
        ProductKind.CREDIT, (10, 500), (6, 36), ("3.10", "4.80"), (GuaranteeType.CREDIT,),
        f'{_SMALL_MICRO} and tax_credit_grade in ["A", "B"] and years_in_business >= 1',
        'tax_credit_grade == "A" and amount <= 1000000',
        "min(amount, revenue * 0.2, 5000000)",
    ),
    "mortgage": _ProductTemplate(
        ("抵押经营贷", "房抵快贷"),
        ProductKind.MORTGAGE, (50, 1000), (12, 36), ("3.00", "4.50"), (GuaranteeType.MORTGAGE,),
        'size_class in ["medium", "small", "micro"] and guarantee_type == "mortgage"'
        ' and tax_credit_grade in ["A", "B", "M"]',
        'tax_credit_grade == "A" and amount <= 3000000',
        "min(amount, total_assets * 0.6, 10000000)",
    ),
    "guaranteed": _ProductTemplate(
        ("政银担保贷",),
        ProductKind.GUARANTEED, (50, 1000), (12, 36), ("3.20", "4.50"),
        (GuaranteeType.GUARANTEE_AGENCY,),
        f'{_SMALL_MICRO} and guarantee_type == "guarantee_agency" and tax_credit_grade != "D"',
        None,
        "min(amount, revenue * 0.3, 10000000)",
        guarantee_fee="1.0",
    ),
    "tech": _ProductTemplate(
        ("科创贷", "科技信用贷"),
        ProductKind.TECH_CREDIT, (50, 1000), (12, 36), ("3.00", "4.30"),
        (GuaranteeType.CREDIT, GuaranteeType.PLEDGE),
        '("high_tech" in qualifications or "specialised" in qualifications'
        ' or "tech_sme" in qualifications) and size_class in ["medium", "small", "micro"]',
        '"high_tech" in qualifications and tax_credit_grade == "A" and amount <= 2000000',
        "min(amount, revenue * 0.3, 10000000)",
    ),
    "working_capital": _ProductTemplate(
        ("中小企业流动资金贷款",),
        ProductKind.MORTGAGE, (300, 3000), (12, 36), ("2.90", "4.20"),
        (GuaranteeType.MORTGAGE, GuaranteeType.GUARANTOR),
        'size_class in ["large", "medium", "small"] and tax_credit_grade in ["A", "B"]'
        " and years_in_business >= 3",
        None,
        "min(amount, revenue * 0.3, 30000000)",
    ),
    "county_credit": _ProductTemplate(
        ("县域信用贷", "福农快贷", "商户e贷"),
        ProductKind.CREDIT, (10, 300), (6, 36), ("3.60", "5.20"),
        (GuaranteeType.CREDIT, GuaranteeType.GUARANTOR, GuaranteeType.GUARANTEE_AGENCY),
        f'{_SMALL_MICRO} and tax_credit_grade in ["A", "B", "M"]',
        'tax_credit_grade == "A" and amount <= 500000',
        "min(amount, revenue * 0.2, 3000000)",
    ),
    "agriculture": _ProductTemplate(
        ("惠农贷", "乡村振兴贷"),
        ProductKind.AGRICULTURE, (10, 500), (12, 36), ("3.40", "5.00"),
        (GuaranteeType.CREDIT, GuaranteeType.GUARANTOR),
        f'"agricultural" in qualifications and {_SMALL_MICRO} and tax_credit_grade != "D"',
        '"agricultural" in qualifications and tax_credit_grade == "A" and amount <= 300000',
        "min(amount, revenue * 0.3, 5000000)",
    ),
    "policy_agriculture": _ProductTemplate(
        ("乡村产业振兴贷款",),
        ProductKind.AGRICULTURE, (100, 3000), (12, 36), ("2.80", "3.80"),
        (GuaranteeType.MORTGAGE, GuaranteeType.GUARANTOR),
        '"agricultural" in qualifications and tax_credit_grade in ["A", "B"]',
        None,
        "min(amount, revenue * 0.4, 30000000)",
    ),
    "policy_tech": _ProductTemplate(
        ("科技创新专项贷款",),
        ProductKind.TECH_CREDIT, (300, 3000), (12, 36), ("2.80", "3.80"),
        (GuaranteeType.CREDIT, GuaranteeType.PLEDGE),
        '("high_tech" in qualifications or "specialised" in qualifications)'
        ' and tax_credit_grade in ["A", "B"]',
        None,
        "min(amount, revenue * 0.4, 30000000)",
    ),
    "policy_trade": _ProductTemplate(
        ("外贸订单融资",),
        ProductKind.SUPPLY_CHAIN, (100, 3000), (6, 12), ("2.90", "3.90"), (GuaranteeType.PLEDGE,),
        'industry_division in ["13", "14", "17", "18", "19", "24", "30", "38", "39", "51"]'
        ' and tax_credit_grade in ["A", "B"]',
        None,
        "min(amount, revenue * 0.3, 30000000)",
    ),
}  # fmt: skip

KIND_TEMPLATES: dict[InstitutionKind, tuple[str, ...]] = {
    InstitutionKind.STATE_OWNED: ("credit", "mortgage", "tech", "guaranteed", "working_capital"),
    InstitutionKind.JOINT_STOCK: ("credit", "mortgage", "working_capital"),
    InstitutionKind.CITY_COMMERCIAL: ("credit", "mortgage", "guaranteed", "working_capital"),
    InstitutionKind.RURAL: ("county_credit", "agriculture"),
    InstitutionKind.GUARANTEE: (),
}
POLICY_BANK_TEMPLATES = {
    "国家开发银行福建省分行": ("policy_tech",),
    "中国进出口银行福建省分行": ("policy_trade",),
    "中国农业发展银行福建省分行": ("policy_agriculture",),
}


# ---------------------------------------------------------------------------
# Working data
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Product:
    id: int
    kind: str
    min_amount: int  # cents
    max_amount: int
    min_term: int
    max_term: int
    min_rate: Decimal
    max_rate: Decimal
    guarantees: tuple[str, ...]
    regions: tuple[str, ...]
    fee: Decimal


@dataclass(slots=True)
class _Lender:
    id: int
    name: str
    kind: InstitutionKind
    region_code: str
    weight: float
    response_days: int
    products: list[_Product] = field(default_factory=list)
    officers: list[int] = field(default_factory=list)

    @property
    def risk(self) -> float:
        """How likely its borrowers fall behind, relative (county banks lend to riskier firms)."""
        if self.kind == InstitutionKind.RURAL:
            return 1.0
        if self.kind in (InstitutionKind.CITY_COMMERCIAL, InstitutionKind.JOINT_STOCK):
            return 0.7
        return 0.5


@dataclass(slots=True)
class _Firm:
    city: str
    county: tuple[str, str]
    industry: str
    target: SizeClass
    grade: str
    qualifications: tuple[str, ...]
    borrower: bool = False
    size_class: SizeClass = SizeClass.MICRO
    employees: int = 0
    revenue: int = 0  # yuan
    total_assets: int = 0  # yuan
    established_on: dt.date = PLATFORM_LAUNCH
    created_at: dt.datetime = dt.datetime(2019, 6, 1, tzinfo=dt.UTC)
    id: int = 0
    user_id: int = 0


@dataclass(slots=True)
class _Trouble:
    start: int  # elapsed month (0 = disbursement month) of the first missed payment or 关注
    first_days: int  # days overdue at the end of that month; 0 = 关注 without arrears
    months: int | None  # months until cured; None = never cured
    written_off: int | None = None  # elapsed month from which the loan is off the books


@dataclass(slots=True)
class _Borrower:
    firm: _Firm
    loans: list[_Loan]
    inclusive: bool = True
    lender: _Lender | None = None


@dataclass(slots=True)
class _Loan:
    disbursed_on: dt.date
    month: int  # index of the disbursement month in the window
    borrower: _Borrower | None = None
    quantile: float = 0.0  # where its amount lies between 50万 and its ceiling
    cap: int = INCLUSIVE_CEILING
    amount: int = 0  # cents
    product: _Product | None = None
    guarantee: str = GuaranteeType.CREDIT.value
    term: int = 12
    rate: Decimal = Decimal("4.00")
    subsidy: Decimal = Decimal("0")
    grants: list[tuple[Benefit, Decimal]] = field(default_factory=list)  # benefit, expected cost
    same_day: bool = False
    need_day: dt.date = PLATFORM_LAUNCH
    decided_day: dt.date = PLATFORM_LAUNCH
    trouble: _Trouble | None = None
    id: int = 0
    lead: _Lead | None = None
    created_at: dt.datetime | None = None
    contradictions: frozenset[int] = frozenset()  # elapsed months reported too mildly
    # The guarantee fee, percent a year: the guarantee product's under a letter, else the
    # bank product's (as a credit decision prices it).
    fee: Decimal = Decimal(0)
    letter: _Letter | None = None

    @property
    def maturity_on(self) -> dt.date:
        return add_months(self.disbursed_on, self.term)


@dataclass(slots=True)
class _Lead:
    need: _Need
    lender: _Lender | None
    product_id: int | None
    status: LeadStatus
    origin: LeadOrigin
    created_at: dt.datetime
    deadline_at: dt.datetime | None
    pre_approved: bool = False
    claimed_at: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    handled_by_id: int | None = None
    decline_code: str | None = None
    approved_amount: Decimal | None = None
    approved_rate: Decimal | None = None
    approved_term_months: int | None = None
    decided_at: dt.datetime | None = None
    offer_taken_at: dt.datetime | None = None
    closed_reason: str | None = None
    sla_breached: bool = False
    guarantee_fee_rate: Decimal | None = None
    guarantee_required: bool = False
    id: int = 0


@dataclass(slots=True)
class _Need:
    firm: _Firm
    at: dt.datetime
    amount: int  # cents
    term: int
    purpose: str
    guarantee: str
    max_rate: Decimal | None
    status: NeedStatus
    withdrawn_at: dt.datetime | None = None
    leads: list[_Lead] = field(default_factory=list)
    id: int = 0


class _Progress:
    """A text progress bar on stderr (or nothing, in tests)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @contextlib.contextmanager
    def bar(self, label: str, length: int) -> Iterator[Any]:
        if not self.enabled:
            yield _NoBar()
            return
        with click.progressbar(
            length=max(length, 1), label=f"{label:<28}", file=sys.stderr, show_pos=True, width=32
        ) as bar:
            yield bar


class _NoBar:
    def update(self, _n: int) -> None:
        """Nothing to draw."""


@dataclass
class _Context:
    """Everything the phases share: the random stream, the calendar, ids, the connection."""

    scale: float
    today: dt.date
    now: dt.datetime  # the moment the data describes: midnight today, so only the date matters
    rng: random.Random
    report: ProvinceReport
    progress: _Progress
    connection: Connection
    months: list[dt.date]
    lpr: list[tuple[dt.date, Decimal]]
    password_hash: str
    next_ids: dict[str, int] = field(default_factory=dict)
    policies: list[_Policy] = field(default_factory=list)
    # Per bank product id, the guarantees that back it (银担合作).
    pairings: dict[int, list[_Pairing]] = field(default_factory=dict)

    @property
    def first_month(self) -> dt.date:
        return self.months[0]

    @property
    def last_month(self) -> dt.date:
        return self.months[-1]

    def scaled(self, count: int) -> int:
        """A full-scale count at this run's scale (at least one)."""
        value = (Decimal(count) * Decimal(str(self.scale))).to_integral_value(ROUND_HALF_UP)
        return max(1, int(value))

    def ids(self, table: Table, count: int) -> range:
        """The next `count` primary keys of a table (after its current maximum)."""
        if table.name not in self.next_ids:
            current = self.connection.execute(select(func.max(table.c.id))).scalar()
            self.next_ids[table.name] = (current or 0) + 1
        start = self.next_ids[table.name]
        self.next_ids[table.name] = start + count
        return range(start, start + count)

    def insert(self, table: Table, rows: Iterable[dict[str, Any]], label: str, length: int) -> int:
        """Bulk insert in chunks, with a progress bar; counts the rows in the report."""
        count = 0
        with self.progress.bar(label, length) as bar:
            chunk: list[dict[str, Any]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    self.connection.execute(insert(table), chunk)
                    bar.update(len(chunk))
                    count += len(chunk)
                    chunk = []
            if chunk:
                self.connection.execute(insert(table), chunk)
                bar.update(len(chunk))
                count += len(chunk)
        created = self.report.created
        created[table.name] = created.get(table.name, 0) + count
        return count

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.report.seconds[name] = time.perf_counter() - started

    def lpr_on(self, day: dt.date) -> Decimal:
        """The 1-year LPR in force on a day."""
        index = bisect.bisect_right(self.lpr, (day, Decimal("99"))) - 1
        return self.lpr[max(index, 0)][1]


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def seed_province(
    scale: float = 1.0, *, today: dt.date | None = None, progress: bool = True
) -> ProvinceReport:
    """Add the province to the demo data, in one transaction; a second run does nothing.

    Run seed_demo() first (the command does): the totals include what it created, and the
    catalogue, policies and LPR table come from it.
    """
    report = ProvinceReport(scale=scale)
    marker = db.session.get(SystemSetting, MARKER_KEY)
    if marker is not None:
        report.already_present, report.marker = True, marker.value
        return report
    ctx = _open_context(scale, today or today_in_china(), progress, report)
    with ctx.phase("institutions"):
        institutions = _seed_institutions(ctx)
        agencies = _seed_agencies(ctx)
        guarantors = _seed_guarantee_products(ctx, institutions)
    with ctx.phase("staff"):
        _seed_staff(ctx, institutions, guarantors, agencies)
    lenders = [lender for lender in institutions if lender.weight > 0 and lender.products]
    with ctx.phase("plan"):
        loans = _plan_loans(ctx, lenders)
        _plan_guarantees(ctx, loans)
        firms = _plan_firms(ctx, loans)
        _apply_subsidies(ctx, loans)
        _plan_troubles(ctx, loans)
    with ctx.phase("firms and users"):
        _seed_firms_and_users(ctx, firms)
    with ctx.phase("needs, leads, loans"):
        _seed_flow(ctx, loans, firms, lenders)
    with ctx.phase("status reports"):
        _seed_reports(ctx, loans)
    with ctx.phase("guarantees"):
        _seed_guarantees(ctx, loans)
    with ctx.phase("finish"):
        _seed_consents(ctx)
        _finish(ctx)
        db.session.commit()
    with ctx.phase("analyze"):
        _analyze()
    with ctx.phase("verify"):
        _verify(ctx)
    return report


def _open_context(scale: float, today: dt.date, progress: bool, report: ProvinceReport) -> _Context:
    if not 0.002 <= scale <= 1.0:
        raise ValueError("scale must be between 0.002 and 1")
    this_month = today.replace(day=1)
    months = [add_months(this_month, offset) for offset in range(-WINDOW_MONTHS, 0)]
    lpr = [
        (effective, Decimal(rate))
        for effective, rate in db.session.execute(
            select(LprRate.effective_on, LprRate.one_year).order_by(LprRate.effective_on)
        )
    ]
    if not lpr:
        raise RuntimeError("the LPR table is empty: run seed_demo() (flask demo seed) first")
    report.window = (months[0], months[-1])
    return _Context(
        scale=scale,
        today=today,
        now=_local(today, 0),
        rng=random.Random(RANDOM_SEED),
        report=report,
        progress=_Progress(progress),
        connection=db.session.connection(),
        months=months,
        lpr=lpr,
        # Hashing is slow on purpose; every seeded account shares this one.
        password_hash=hash_password(DEMO_PASSWORD),
    )


# ---------------------------------------------------------------------------
# Institutions, their products, agencies and staff
# ---------------------------------------------------------------------------


def _seed_institutions(ctx: _Context) -> list[_Lender]:
    """The 107 new institutions (all approved) with their products; returns every lender."""
    table = FinancialInstitution.__table__
    present = set(ctx.connection.execute(select(table.c.name)).scalars())
    specs = [spec for spec in INSTITUTIONS if spec.name not in present]
    rows, lenders = [], []
    for spec, institution_id in zip(specs, ctx.ids(table, len(specs)), strict=True):
        joined = _local(_day_between(ctx.rng, PLATFORM_LAUNCH, dt.date(2024, 6, 30)), 10)
        rows.append(
            {
                "id": institution_id,
                "name": spec.name,
                "short_name": spec.short_name,
                "kind": spec.kind.value,
                "licence_no": None,
                "region_code": spec.region_code,
                "contact_name": _person(ctx.rng),
                "contact_phone": None,
                "onboarding_status": OnboardingStatus.APPROVED.value,
                "status_reason": None,
                "application_note": "申请入驻产融通平台，发布普惠金融产品。",
                "status_changed_at": joined + dt.timedelta(days=ctx.rng.randint(3, 20)),
                "response_days": spec.response_days,
                "created_at": joined,
            }
        )
        lenders.append(
            _Lender(
                institution_id,
                spec.name,
                spec.kind,
                spec.region_code,
                spec.weight,
                spec.response_days,
            )
        )
    ctx.insert(table, rows, "Institutions", len(rows))
    _seed_products(ctx, lenders)
    return lenders + _existing_lenders(ctx, {lender.id for lender in lenders})


def _seed_products(ctx: _Context, lenders: list[_Lender]) -> None:
    """Two to four published products per new lender, each with its version-1 rules."""
    products, rules = BankProduct.__table__, RuleVersion.__table__
    plan: list[tuple[_Lender, _ProductTemplate]] = []
    for lender in lenders:
        names = POLICY_BANK_TEMPLATES.get(lender.name) or KIND_TEMPLATES.get(lender.kind, ())
        if lender.kind == InstitutionKind.RURAL and "村镇" in lender.name:
            names = ("county_credit",)
        plan += [(lender, TEMPLATES[name]) for name in names]
    for template in {t.eligibility: t for _, t in plan}.values():
        _check_rules(template)
    product_rows, rule_rows = [], []
    ids = zip(ctx.ids(products, len(plan)), ctx.ids(rules, len(plan)), strict=True)
    for (lender, template), (product_id, rule_id) in zip(plan, ids, strict=True):
        published = _local(_day_between(ctx.rng, dt.date(2023, 1, 1), dt.date(2024, 9, 30)), 10)
        regions = [] if lender.region_code == "350000" else [lender.region_code]
        product_rows.append(_product_row(ctx, product_id, lender, template, published, regions))
        rule_rows.append(
            {
                "id": rule_id,
                "product_id": product_id,
                "policy_id": None,
                "version": 1,
                "eligibility": template.eligibility,
                "instant_approval": template.instant_approval,
                "formula": template.formula,
                "created_at": published,
                "created_by_id": None,
                "note": None,
            }
        )
        lender.products.append(
            _Product(
                product_id,
                template.kind.value,
                template.amount_wan[0] * WAN_CENTS,
                template.amount_wan[1] * WAN_CENTS,
                template.term_months[0],
                template.term_months[1],
                Decimal(template.rate[0]),
                Decimal(template.rate[1]),
                tuple(g.value for g in template.guarantees),
                tuple(regions),
                Decimal(template.guarantee_fee),
            )
        )
    ctx.insert(products, product_rows, "Bank products", len(product_rows))
    ctx.insert(rules, rule_rows, "Rule versions", len(rule_rows))


def _product_row(
    ctx: _Context,
    product_id: int,
    lender: _Lender,
    template: _ProductTemplate,
    published: dt.datetime,
    regions: list[str],
) -> dict[str, Any]:
    name = template.names[ctx.rng.randrange(len(template.names))]
    return {
        "id": product_id,
        "institution_id": lender.id,
        "name": name,
        "kind": template.kind.value,
        "summary": f"{lender.name}面向{_area(lender)}中小微企业的{name}，线上申请，快速审批。",
        "guarantee_fee_rate": Decimal(template.guarantee_fee),
        "min_amount": Decimal(template.amount_wan[0] * 10000),
        "max_amount": Decimal(template.amount_wan[1] * 10000),
        "min_term_months": template.term_months[0],
        "max_term_months": template.term_months[1],
        "min_rate": Decimal(template.rate[0]),
        "max_rate": Decimal(template.rate[1]),
        "guarantee_types": [g.value for g in template.guarantees],
        "region_codes": regions,
        "response_days": None,
        "status": ProductStatus.PUBLISHED.value,
        "published_at": published,
        "created_at": published,
        "updated_at": published,
    }


def _area(lender: _Lender) -> str:
    return "全省" if lender.region_code == "350000" else f"{CITY_NAMES[lender.region_code]}地区"


def _check_rules(template: _ProductTemplate) -> None:
    """Compile a template's rules once, so that a typo fails here rather than in the matcher."""
    compile_rule(template.eligibility)
    if template.instant_approval:
        compile_rule(template.instant_approval)
    compile_formula(template.formula)


def _existing_lenders(ctx: _Context, new_ids: set[int]) -> list[_Lender]:
    """The demo's approved institutions, with their published products."""
    institutions = FinancialInstitution.__table__
    rows = ctx.connection.execute(
        select(
            institutions.c.id,
            institutions.c.name,
            institutions.c.kind,
            institutions.c.region_code,
            institutions.c.response_days,
        )
        .where(institutions.c.onboarding_status == OnboardingStatus.APPROVED.value)
        .order_by(institutions.c.id)
    ).all()
    lenders = {
        row.id: _Lender(
            row.id,
            row.name,
            InstitutionKind(row.kind),
            row.region_code,
            DEMO_LENDER_WEIGHTS.get(row.name, 0.5),
            row.response_days,
        )
        for row in rows
        if row.id not in new_ids
    }
    products = BankProduct.__table__
    for row in ctx.connection.execute(
        select(products)
        .where(
            products.c.institution_id.in_(list(lenders)),
            products.c.status == ProductStatus.PUBLISHED.value,
        )
        .order_by(products.c.id)
    ):
        lenders[row.institution_id].products.append(
            _Product(
                row.id,
                row.kind,
                int(row.min_amount * CENTS),
                int(row.max_amount * CENTS),
                row.min_term_months,
                row.max_term_months,
                Decimal(row.min_rate),
                Decimal(row.max_rate),
                tuple(row.guarantee_types or ()),
                tuple(row.region_codes or ()),
                Decimal(row.guarantee_fee_rate or 0),
            )
        )
    return [lender for lender in lenders.values() if lender.products]


def _seed_agencies(ctx: _Context) -> list[int]:
    """City finance and industry bureaus and a few provincial departments; returns all ids."""
    table = GovernmentAgency.__table__
    present = set(ctx.connection.execute(select(table.c.name)).scalars())
    missing = [spec for spec in AGENCIES if spec[0] not in present]
    rows = [
        {
            "id": agency_id,
            "name": name,
            "short_name": short_name,
            "region_code": region_code,
            "created_at": _local(PLATFORM_LAUNCH, 9),
        }
        for (name, short_name, region_code), agency_id in zip(
            missing, ctx.ids(table, len(missing)), strict=True
        )
    ]
    ctx.insert(table, rows, "Government agencies", len(rows))
    return list(ctx.connection.execute(select(table.c.id).order_by(table.c.id)).scalars())


# ---------------------------------------------------------------------------
# Guarantee institutions: a product each, with its rules and risk sharing, and the bank
# products it backs
# ---------------------------------------------------------------------------

GUARANTEE_ELIGIBILITY = 'size_class in ["small", "micro"]'
# Percent a year: government guarantors charge at most 1% (国办发〔2019〕6号).
GUARANTEE_FEES = ("0.5", "0.6", "0.7", "0.8", "0.9", "1.0")
GUARANTEE_COVERAGE = Decimal("80")  # percent of a loss the guarantor bears before sharing
GUARANTEE_AMOUNT_WAN = (10, 1000)
GUARANTEE_MAX_TERM = 36
# The national "4321" risk sharing: guarantor 40, re-guarantee 30, bank 20, local government
# 10; the bank may claim once a loan is 90 days overdue (or classed 损失).
RISK_SHARES = {"guarantor": "40", "reguarantee": "30", "bank": "20", "government": "10"}
TRIGGER_OVERDUE_DAYS = 90
AUTOMATIC_SHARE = 0.4  # agreements under 见贷即保; the rest are 批量担保
AUTOMATIC_LIMITS_WAN = (300, 500, None)  # None: up to the guarantee product's maximum
LOCAL_GUARANTOR_WEIGHT = 2.0  # in its own city a city guarantor wins twice as often
RATE_PLACES = Decimal("0.0001")  # a percentage as the database keeps it


@dataclass(slots=True)
class _Guarantor:
    id: int
    name: str
    region_code: str
    response_days: int
    officers: list[int] = field(default_factory=list)
    product_id: int = 0
    rule_id: int = 0
    fee: Decimal = Decimal(0)
    terms: dict[str, Any] = field(default_factory=dict)  # RiskShareAgreement.terms()

    def serves(self, city: str) -> bool:
        return self.region_code in (PROVINCE, city)


@dataclass(frozen=True, slots=True)
class _Pairing:
    """A guarantee agreement (银担合作): the guarantor's product backs a bank product."""

    guarantor: _Guarantor
    agreement: GuaranteeAgreement  # transient: its mode and limit, for issues_automatically


@dataclass(slots=True)
class _Letter:
    """A seeded loan's guarantee: the request, the letter and the times they were decided."""

    pairing: _Pairing
    automatic: bool
    request_id: int = 0
    id: int = 0
    deadline_at: dt.datetime | None = None  # None under 见贷即保: nothing to wait for
    accepted_at: dt.datetime | None = None
    issued_at: dt.datetime | None = None
    officer_id: int | None = None


def _seed_guarantee_products(ctx: _Context, lenders: list[_Lender]) -> list[_Guarantor]:
    """A published product for each approved guarantee institution (version-1 rules, 4321
    risk sharing), and its agreements with the bank products that take such a guarantee."""
    guarantors = _guarantors(ctx)
    compile_rule(GUARANTEE_ELIGIBILITY)
    products, rules = GuaranteeProduct.__table__, RuleVersion.__table__
    shares = RiskShareAgreement.__table__
    count = len(guarantors)
    ids = zip(ctx.ids(products, count), ctx.ids(rules, count), ctx.ids(shares, count), strict=True)
    product_rows, rule_rows, share_rows = [], [], []
    for guarantor, (product_id, rule_id, share_id) in zip(guarantors, ids, strict=True):
        published = _local(
            _day_between(
                ctx.rng,
                ctx.first_month - dt.timedelta(days=400),
                ctx.first_month - dt.timedelta(days=90),
            ),
            10,
        )
        guarantor.product_id, guarantor.rule_id = product_id, rule_id
        guarantor.fee = Decimal(GUARANTEE_FEES[ctx.rng.randrange(len(GUARANTEE_FEES))])
        risk_share = _risk_share_row(share_id, product_id, published)
        # The letters keep the agreement as RiskShareAgreement.terms() words it.
        guarantor.terms = RiskShareAgreement(**risk_share).terms()
        product_rows.append(_guarantee_product_row(guarantor, published))
        rule_rows.append(
            {
                "id": rule_id,
                "product_id": None,
                "policy_id": None,
                "guarantee_product_id": product_id,
                "version": 1,
                "eligibility": GUARANTEE_ELIGIBILITY,
                "instant_approval": None,
                "formula": None,
                "created_at": published,
                "created_by_id": None,
                "note": "创建担保产品",
            }
        )
        share_rows.append(risk_share)
    ctx.insert(products, product_rows, "Guarantee products", count)
    ctx.insert(rules, rule_rows, "Guarantee rule versions", count)
    ctx.insert(shares, share_rows, "Risk-sharing agreements", count)
    _seed_agreements(ctx, guarantors, lenders)
    return guarantors


def _guarantors(ctx: _Context) -> list[_Guarantor]:
    """Every approved guarantee institution: the demo's and the province's."""
    institutions = FinancialInstitution.__table__
    rows = ctx.connection.execute(
        select(
            institutions.c.id,
            institutions.c.name,
            institutions.c.region_code,
            institutions.c.response_days,
        )
        .where(
            institutions.c.kind == InstitutionKind.GUARANTEE.value,
            institutions.c.onboarding_status == OnboardingStatus.APPROVED.value,
        )
        .order_by(institutions.c.id)
    )
    return [_Guarantor(row.id, row.name, row.region_code, row.response_days) for row in rows]


def _risk_share_row(share_id: int, product_id: int, at: dt.datetime) -> dict[str, Any]:
    return {
        "id": share_id,
        "guarantee_product_id": product_id,
        **{
            f"{party}_share": Decimal(share).quantize(RATE_PLACES)
            for party, share in RISK_SHARES.items()
        },
        "reguarantee_cap": None,
        "government_cap": None,
        "trigger_overdue_days": TRIGGER_OVERDUE_DAYS,
        "updated_at": at,
    }


def _guarantee_product_row(guarantor: _Guarantor, published: dt.datetime) -> dict[str, Any]:
    area = "全省" if guarantor.region_code == PROVINCE else CITY_NAMES[guarantor.region_code]
    return {
        "id": guarantor.product_id,
        "institution_id": guarantor.id,
        "name": "政银担小微企业担保",
        "summary": (
            f"为{area}缺少抵押物的小微企业提供融资担保，担保费率 {guarantor.fee}%/年，"
            "按“4321”比例与再担保、银行和政府分担风险。"
        ),
        "min_amount": Decimal(GUARANTEE_AMOUNT_WAN[0] * 10000),
        "max_amount": Decimal(GUARANTEE_AMOUNT_WAN[1] * 10000),
        "max_term_months": GUARANTEE_MAX_TERM,
        "fee_rate": guarantor.fee.quantize(RATE_PLACES),
        "coverage_share": GUARANTEE_COVERAGE.quantize(RATE_PLACES),
        "region_codes": [] if guarantor.region_code == PROVINCE else [guarantor.region_code],
        "response_days": None,
        "status": ProductStatus.PUBLISHED.value,
        "published_at": published,
        "created_at": published,
        "updated_at": published,
    }


def _seed_agreements(ctx: _Context, guarantors: list[_Guarantor], lenders: list[_Lender]) -> None:
    """The provincial guarantor backs every published bank product that takes a guarantee
    institution's guarantee; a city guarantor those that lend in its city. Modes are mixed."""
    table = GuaranteeAgreement.__table__
    backed = [
        product
        for lender in lenders
        for product in lender.products
        if GuaranteeType.GUARANTEE_AGENCY.value in product.guarantees
    ]
    pairs = [
        (guarantor, product)
        for guarantor in guarantors
        for product in backed
        if guarantor.region_code == PROVINCE
        or not product.regions
        or guarantor.region_code in product.regions
    ]
    rows = []
    for (guarantor, product), agreement_id in zip(pairs, ctx.ids(table, len(pairs)), strict=True):
        automatic = ctx.rng.random() < AUTOMATIC_SHARE
        limit_wan = AUTOMATIC_LIMITS_WAN[ctx.rng.randrange(len(AUTOMATIC_LIMITS_WAN))]
        agreement = GuaranteeAgreement(
            mode=GuaranteeMode.AUTOMATIC if automatic else GuaranteeMode.BATCH,
            automatic_limit=Decimal(limit_wan * 10000) if automatic and limit_wan else None,
        )
        ctx.pairings.setdefault(product.id, []).append(_Pairing(guarantor, agreement))
        rows.append(
            {
                "id": agreement_id,
                "guarantee_product_id": guarantor.product_id,
                "bank_product_id": product.id,
                "mode": agreement.mode.value,
                "automatic_limit": agreement.automatic_limit,
                "created_at": _local(ctx.first_month - dt.timedelta(days=60), 10),
            }
        )
    ctx.insert(table, rows, "Guarantee agreements", len(rows))


OFFICERS_BY_KIND = {
    InstitutionKind.STATE_OWNED: 8,
    InstitutionKind.JOINT_STOCK: 5,
    InstitutionKind.CITY_COMMERCIAL: 6,
    InstitutionKind.RURAL: 5,
    InstitutionKind.POLICY: 3,
    InstitutionKind.GUARANTEE: 2,
}
PROVINCIAL_OFFICERS = 25  # a provincial branch's inclusive-finance department
PROVINCIAL_GUARANTOR_OFFICERS = 6
GOV_STAFF_PER_AGENCY = 6
REGULATORS = 12
ADMINS = 3


def _seed_staff(
    ctx: _Context, lenders: list[_Lender], guarantors: list[_Guarantor], agencies: list[int]
) -> None:
    """Bank officers and admins per bank, guarantor officers and admins per guarantee
    institution, agency staff, regulators and platform admins."""
    staff_scale = min(1.0, ctx.scale * 10)  # full staff from a tenth of the volumes

    def count(base: int) -> int:
        return max(1, round(base * staff_scale))

    plan: list[tuple[str, Role, str, int | None, int | None]] = []
    for lender in lenders:
        if lender.kind == InstitutionKind.GUARANTEE:
            continue  # guarantors' staff are not bank staff: below
        officers = count(
            PROVINCIAL_OFFICERS
            if lender.region_code == "350000" and lender.kind != InstitutionKind.POLICY
            else OFFICERS_BY_KIND.get(lender.kind, 3)
        )
        plan.append((f"admin{lender.id:03d}@bank.province.demo.local", Role.BANK_ADMIN,
                     _person(ctx.rng), lender.id, None))  # fmt: skip
        plan += [
            (f"officer{lender.id:03d}-{n:02d}@bank.province.demo.local", Role.BANK_OFFICER,
             _person(ctx.rng), lender.id, None)
            for n in range(1, officers + 1)
        ]  # fmt: skip
    for guarantor in guarantors:
        officers = count(
            PROVINCIAL_GUARANTOR_OFFICERS
            if guarantor.region_code == PROVINCE
            else OFFICERS_BY_KIND[InstitutionKind.GUARANTEE]
        )
        plan.append((f"admin{guarantor.id:03d}@guarantor.province.demo.local",
                     Role.GUARANTOR_ADMIN, _person(ctx.rng), guarantor.id, None))  # fmt: skip
        plan += [
            (f"officer{guarantor.id:03d}-{n:02d}@guarantor.province.demo.local",
             Role.GUARANTOR_OFFICER, _person(ctx.rng), guarantor.id, None)
            for n in range(1, officers + 1)
        ]  # fmt: skip
    for agency_id in agencies:
        plan += [
            (f"staff{agency_id:03d}-{n:02d}@gov.province.demo.local", Role.GOV_STAFF,
             _person(ctx.rng), None, agency_id)
            for n in range(1, count(GOV_STAFF_PER_AGENCY) + 1)
        ]  # fmt: skip
    plan += [
        (f"regulator{n:02d}@province.demo.local", Role.REGULATOR, _person(ctx.rng), None, None)
        for n in range(1, count(REGULATORS) + 1)
    ]
    plan += [
        (f"admin{n:02d}@province.demo.local", Role.ADMIN, _person(ctx.rng), None, None)
        for n in range(1, count(ADMINS) + 1)
    ]
    _add_existing_officers(ctx, lenders, guarantors)
    by_id: dict[int, _Lender | _Guarantor] = {lender.id: lender for lender in lenders}
    by_id |= {guarantor.id: guarantor for guarantor in guarantors}
    rows = []
    for (email, role, name, institution_id, agency_id), user_id in zip(
        plan, ctx.ids(User.__table__, len(plan)), strict=True
    ):
        joined = _local(_day_between(ctx.rng, PLATFORM_LAUNCH, dt.date(2024, 9, 30)), 9)
        rows.append(_user_row(ctx, user_id, email, name, role, joined, None, institution_id,
                              agency_id))  # fmt: skip
        if role in OFFICER_ROLES and institution_id in by_id:
            by_id[institution_id].officers.append(user_id)
    ctx.insert(User.__table__, rows, "Staff accounts", len(rows))


# Who handles a bank's leads, and who a guarantor's requests and claims.
OFFICER_ROLES = (Role.BANK_OFFICER, Role.GUARANTOR_OFFICER)


def _add_existing_officers(
    ctx: _Context, lenders: list[_Lender], guarantors: list[_Guarantor]
) -> None:
    """The demo's own bank and guarantor officers handle leads and requests too."""
    users = User.__table__
    by_id: dict[int, _Lender | _Guarantor] = {lender.id: lender for lender in lenders}
    by_id |= {guarantor.id: guarantor for guarantor in guarantors}
    for user_id, institution_id, role in ctx.connection.execute(
        select(users.c.id, users.c.institution_id, users.c.role)
        .where(
            users.c.role.in_([role.value for role in OFFICER_ROLES]),
            users.c.email.like("%@demo.local"),
        )
        .order_by(users.c.id)
    ):
        institution = by_id.get(institution_id)
        # A bank's officers for a bank, a guarantor's for a guarantor: never the other way.
        if institution is not None and (role == Role.GUARANTOR_OFFICER) == isinstance(
            institution, _Guarantor
        ):
            institution.officers.append(user_id)


def _user_row(
    ctx: _Context,
    user_id: int,
    email: str,
    name: str,
    role: Role,
    created_at: dt.datetime,
    firm_id: int | None,
    institution_id: int | None,
    agency_id: int | None,
) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": email,
        "password_hash": ctx.password_hash,
        "full_name": name,
        "phone": None,
        "role": role.value,
        "firm_id": firm_id,
        "firm_role": "owner" if role == Role.SME else None,  # one account per firm, its owner
        "institution_id": institution_id,
        "agency_id": agency_id,
        "is_active": True,
        "session_token": secrets.token_urlsafe(24),
        "locale": None,
        "created_at": created_at,
        "last_login_at": None,
        # Province staff are enrolled in two-factor sign-in with the demo secret.
        "totp_secret": None if role == Role.SME else DEMO_TOTP_SECRET,
        "totp_confirmed_at": None if role == Role.SME else created_at,
        "totp_last_step": None,
    }


# ---------------------------------------------------------------------------
# Planning the loans: dates, borrowers, amounts (exact total), banks, products, prices
# ---------------------------------------------------------------------------


def _plan_loans(ctx: _Context, lenders: list[_Lender]) -> list[_Loan]:
    """Every new loan, chronological, with its borrower, amount, bank, product and price."""
    existing_count, existing_total, existing_non_inclusive = _existing_loans(ctx)
    target_count = ctx.scaled(TARGET_LOANS)
    target_total = int(
        (TARGET_AMOUNT * Decimal(str(ctx.scale))).quantize(TWO_PLACES, ROUND_HALF_UP) * CENTS
    )
    new_count = target_count - existing_count
    if new_count <= 0:
        raise RuntimeError(f"{existing_count} loans already exist; the target is {target_count}")
    ctx.report.totals["target_loans"] = target_count
    ctx.report.totals["target_amount"] = Decimal(target_total) / CENTS
    loans = _loan_dates(ctx, new_count)
    borrowers = _group_borrowers(ctx, loans)
    quota = max(0, math.floor(NON_INCLUSIVE_SHARE * target_count) - existing_non_inclusive)
    singles = [b for b in borrowers if len(b.loans) == 1]
    for borrower in ctx.rng.sample(singles, min(quota, len(singles))):
        borrower.inclusive = False
    for borrower in borrowers:
        borrower.firm = _borrower_firm(ctx, borrower.inclusive)
    _assign_amounts(ctx, borrowers, target_total - existing_total)
    _assign_lenders(ctx, borrowers, lenders)
    for loan in loans:
        _assign_terms(ctx, loan)
    return loans


def _existing_loans(ctx: _Context) -> tuple[int, int, int]:
    """Count, total (cents) and non-inclusive count of the loans already there (the demo's)."""
    loans, firms = Loan.__table__, Firm.__table__
    count, total = ctx.connection.execute(
        select(func.count(loans.c.id), func.coalesce(func.sum(loans.c.amount), 0))
    ).one()
    pairs = ctx.connection.execute(
        select(firms.c.size_class, func.count(loans.c.id), func.sum(loans.c.amount))
        .join(firms, firms.c.id == loans.c.firm_id)
        .group_by(loans.c.firm_id, loans.c.institution_id, firms.c.size_class)
    ).all()
    non_inclusive = sum(
        n
        for size, n, credit in pairs
        if size not in (SizeClass.SMALL, SizeClass.MICRO) or credit * CENTS > INCLUSIVE_CEILING
    )
    return count, int(Decimal(total) * CENTS), non_inclusive


MONTH_SEASON = {1: 1.0, 2: 0.7, 3: 1.15, 4: 0.95, 5: 1.0, 6: 1.1, 7: 0.95, 8: 0.95, 9: 1.05,
                10: 0.9, 11: 1.0, 12: 1.15}  # fmt: skip
GROWTH = 1.3  # the last month lends this much more than the first, before seasons


def _loan_dates(ctx: _Context, count: int) -> list[_Loan]:
    """Disbursement dates: growing month by month, with the seasons, mostly on working days."""
    weights = [
        (1 + GROWTH * index / (WINDOW_MONTHS - 1)) * MONTH_SEASON[month.month]
        for index, month in enumerate(ctx.months)
    ]
    counts = _apportion(count, weights)
    loans = []
    for index, (month, n) in enumerate(zip(ctx.months, counts, strict=True)):
        days = [d for d in _days_of(month) if d.weekday() < 5]
        day_weights = [1.6 if d.day > 20 else 1.0 for d in days]  # month-end targets
        for day in ctx.rng.choices(days, day_weights, k=n):
            loans.append(_Loan(disbursed_on=day, month=index))
    loans.sort(key=lambda loan: loan.disbursed_on)
    return loans


def _group_borrowers(ctx: _Context, loans: list[_Loan]) -> list[_Borrower]:
    """One borrower per loan, except that some loans renew an earlier borrower's credit."""
    rng = ctx.rng
    borrowers: list[_Borrower] = []
    first_days: list[dt.date] = []
    for loan in loans:
        joined = None
        if rng.random() < REPEAT_SHARE:
            eligible = bisect.bisect_right(first_days, loan.disbursed_on - dt.timedelta(days=180))
            for _ in range(5):
                if not eligible:
                    break
                candidate = borrowers[rng.randrange(eligible)]
                last = candidate.loans[-1].disbursed_on
                if len(candidate.loans) < 3 and last <= loan.disbursed_on - dt.timedelta(days=180):
                    joined = candidate
                    break
        if joined is None:
            joined = _Borrower(firm=None, loans=[])  # type: ignore[arg-type]
            borrowers.append(joined)
            first_days.append(loan.disbursed_on)
        joined.loans.append(loan)
        loan.borrower = joined
    return borrowers


def _assign_amounts(ctx: _Context, borrowers: list[_Borrower], target: int) -> None:
    """Amounts in round 万元 adding up to `target` cents exactly; the last loan takes the rest.

    Inclusive loans are lognormal, truncated to 50万 and the firm's inclusive ceiling with that
    bank (1,000万 shared by a borrower's loans); medium and large firms' loans are larger and
    fixed. Each inclusive loan keeps a quantile of its range and the median is solved so the
    total comes out right, then rounded to 万元, and the rounding is worked off one 万元 at a
    time. Drawing within the range, rather than clipping a draw to it, leaves no pile of loans
    at exactly a bound.
    """
    rng = ctx.rng
    free: list[_Loan] = []
    fixed_total = 0
    for borrower in borrowers:
        cap = INCLUSIVE_CEILING // len(borrower.loans) // WAN_CENTS * WAN_CENTS
        for loan in borrower.loans:
            if borrower.inclusive:
                loan.cap = cap
                loan.quantile = rng.random()
                free.append(loan)
            else:
                amount = _truncated_lognormal(rng.random(), LARGE_FIRM_LOAN, LARGE_FIRM_BOUNDS)
                loan.amount = round(amount / (10 * WAN_CENTS)) * 10 * WAN_CENTS
                loan.cap = loan.amount
                fixed_total += loan.amount
    need = target - fixed_total
    if not len(free) * MIN_LOAN <= need <= sum(loan.cap for loan in free):
        raise RuntimeError("the target total cannot be reached with these loan bounds")
    median = _solve_median(free, need)
    for loan, amount in zip(free, _inclusive_amounts(free, median), strict=True):
        loan.amount = round(amount / WAN_CENTS) * WAN_CENTS
    _work_off(rng, free, need - sum(loan.amount for loan in free))


INCLUSIVE_SIGMA = 0.75  # spread of inclusive amounts, log scale
LARGE_FIRM_LOAN = (900 * WAN_CENTS, 0.5)  # median and log spread of medium and large firms' loans
LARGE_FIRM_BOUNDS = (300 * WAN_CENTS, 3000 * WAN_CENTS)
STANDARD_NORMAL = NormalDist()


def _truncated_lognormal(
    quantile: float, shape: tuple[float, float], bounds: tuple[float, float]
) -> float:
    """The amount at `quantile` of a lognormal (median, log spread) cut to `bounds`."""
    median, sigma = shape
    low, high = (STANDARD_NORMAL.cdf(math.log(b / median) / sigma) for b in bounds)
    return median * math.exp(sigma * STANDARD_NORMAL.inv_cdf(low + quantile * (high - low)))


def _inclusive_amounts(loans: list[_Loan], median: float) -> list[float]:
    """Each inclusive loan's amount for a median: its quantile of 50万 to its ceiling."""
    cdf, inv_cdf, sigma = STANDARD_NORMAL.cdf, STANDARD_NORMAL.inv_cdf, INCLUSIVE_SIGMA
    floor = cdf(math.log(MIN_LOAN / median) / sigma)
    ranges = {cap: cdf(math.log(cap / median) / sigma) - floor for cap in {x.cap for x in loans}}
    return [
        median * math.exp(sigma * inv_cdf(floor + loan.quantile * ranges[loan.cap]))
        for loan in loans
    ]


def _solve_median(loans: list[_Loan], need: int) -> float:
    """The median for which the inclusive amounts add up to `need` (bisection on its log).

    The search stays within a spread or two of the bounds, where the normal's tails are still
    far from 0 and 1; a total outside what it reaches is refused rather than forced.
    """

    def total(log_median: float) -> float:
        return sum(_inclusive_amounts(loans, math.exp(log_median)))

    low = math.log(MIN_LOAN) - INCLUSIVE_SIGMA
    high = math.log(INCLUSIVE_CEILING) + 2 * INCLUSIVE_SIGMA
    if not total(low) <= need <= total(high):
        raise RuntimeError("the target total cannot be reached with these loan amounts")
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (middle, high) if total(middle) < need else (low, middle)
    return math.exp((low + high) / 2)


def _work_off(rng: random.Random, loans: list[_Loan], difference: int) -> None:
    """Move amounts a 万元 at a time until the total is exact; the last loan takes the cents."""
    while difference >= WAN_CENTS or difference < 0:
        loan = loans[rng.randrange(len(loans))]
        if difference > 0 and loan.amount + WAN_CENTS <= loan.cap:
            loan.amount += WAN_CENTS
            difference -= WAN_CENTS
        elif difference < 0 and loan.amount - WAN_CENTS >= MIN_LOAN:
            loan.amount -= WAN_CENTS
            difference += WAN_CENTS
    for loan in reversed(loans):
        if loan.amount + difference <= loan.cap:
            loan.amount += difference
            return
    raise RuntimeError("no loan can absorb the rounding")


def _assign_lenders(ctx: _Context, borrowers: list[_Borrower], lenders: list[_Lender]) -> None:
    """A bank for each borrower (from those serving its city) and a product for each loan."""
    by_city = {
        code: [lender for lender in lenders if lender.region_code in ("350000", code)]
        for code, _, _ in CITIES
    }
    bands = {(code, band): _band_weights(by_city[code], band) for code in by_city for band in
             range(3)}  # fmt: skip
    for borrower in borrowers:
        firm = borrower.firm
        largest = max(loan.amount for loan in borrower.loans)
        weights = bands[(firm.city, _band(largest))]
        for _ in range(30):
            lender = ctx.rng.choices(by_city[firm.city], cum_weights=weights)[0]
            products = [_pick_product(ctx.rng, lender, firm, loan) for loan in borrower.loans]
            if all(products):
                break
        borrower.lender = lender
        for loan, product in zip(borrower.loans, products, strict=True):
            loan.product = product


def _band(amount: int) -> int:
    return 0 if amount < 200 * WAN_CENTS else 1 if amount < 500 * WAN_CENTS else 2


def _band_weights(lenders: list[_Lender], band: int) -> list[float]:
    """Cumulative weights: county banks lend the small amounts, big banks the large ones."""
    affinity = {
        InstitutionKind.RURAL: (1.6, 0.6, 0.2),
        InstitutionKind.CITY_COMMERCIAL: (1.0, 1.0, 0.9),
        InstitutionKind.STATE_OWNED: (0.8, 1.2, 1.4),
        InstitutionKind.JOINT_STOCK: (0.7, 1.2, 1.4),
        InstitutionKind.POLICY: (0.1, 0.8, 2.0),
    }
    cumulative, total = [], 0.0
    for lender in lenders:
        total += lender.weight * affinity.get(lender.kind, (1, 1, 1))[band]
        cumulative.append(total)
    return cumulative


def _pick_product(rng: random.Random, lender: _Lender, firm: _Firm, loan: _Loan) -> _Product | None:
    """One of the bank's products that lends this amount to this firm, if any."""
    fits = _fitting_products(lender, firm, loan.amount)
    return fits[rng.randrange(len(fits))] if fits else None


def _fitting_products(lender: _Lender, firm: _Firm, amount: int) -> list[_Product]:
    return [
        p for p in lender.products if p.min_amount <= amount <= p.max_amount and _serves(p, firm)
    ]


def _serves(product: _Product, firm: _Firm) -> bool:
    return (not product.regions or firm.city in product.regions) and _suits(product.kind, firm)


def _suits(kind: str, firm: _Firm) -> bool:
    """Whether a product of this kind is plausible for the firm (the rules decide in the app)."""
    if kind in (ProductKind.AGRICULTURE, ProductKind.FORESTRY):
        return "agricultural" in firm.qualifications
    if kind == ProductKind.TECH_CREDIT:
        return bool({"high_tech", "specialised", "tech_sme"} & set(firm.qualifications))
    if kind == ProductKind.SUPPLY_CHAIN:
        return firm.industry in MANUFACTURING or firm.industry == "51"
    if firm.target in (SizeClass.MEDIUM, SizeClass.LARGE):
        return kind in (ProductKind.MORTGAGE, ProductKind.SUPPLY_CHAIN)
    return True


TERM_WEIGHTS = {6: 0.05, 12: 0.5, 24: 0.15, 36: 0.3}
# What a firm offers a product that takes several kinds of guarantee. A small firm without
# collateral most often brings a government guarantee institution's (政府性融资担保), which is
# how government-guaranteed loans come to 12–18% of the seeded loans (10–20% of inclusive
# small-business loans by count in China); any other kind weighs 1.
GUARANTEE_WEIGHTS = {GuaranteeType.GUARANTEE_AGENCY.value: 3.0}
SAME_DAY_BY_KIND = {
    ProductKind.CREDIT: 0.7,
    ProductKind.TECH_CREDIT: 0.65,
    ProductKind.AGRICULTURE: 0.7,
    ProductKind.RELIEF: 0.6,
    ProductKind.MORTGAGE: 0.42,
    ProductKind.GUARANTEED: 0.35,
    ProductKind.SUPPLY_CHAIN: 0.3,
    ProductKind.FORESTRY: 0.4,
}
GRADE_SPREAD = {"A": (0.45, 1.05), "B": (0.7, 1.35), "M": (0.9, 1.6), "C": (1.2, 1.8),
                "D": (1.5, 2.0)}  # fmt: skip
KIND_SPREAD = {ProductKind.MORTGAGE: -0.25, ProductKind.GUARANTEED: -0.1,
               ProductKind.TECH_CREDIT: -0.15, ProductKind.AGRICULTURE: 0.1}  # fmt: skip
RATE_STEP = Decimal("0.05")


def _assign_terms(ctx: _Context, loan: _Loan) -> None:
    """Term, guarantee, rate (LPR plus a spread) and the dates of the need and the approval."""
    rng, product, firm = ctx.rng, loan.product, loan.borrower.firm
    terms = [
        t for t in TERM_WEIGHTS if product is None or product.min_term <= t <= product.max_term
    ]
    loan.term = rng.choices(terms, [TERM_WEIGHTS[t] for t in terms])[0] if terms else 12
    if product is not None:
        loan.guarantee = _pick_guarantee(rng, product)
        loan.fee = product.fee
    low, high = GRADE_SPREAD[firm.grade]
    spread = rng.uniform(low, high) + KIND_SPREAD.get(product.kind if product else "", 0)
    if loan.borrower.lender.kind == InstitutionKind.RURAL:
        spread += 0.35
    if not loan.borrower.inclusive:
        spread -= 0.2
    rate = ctx.lpr_on(loan.disbursed_on) + RATE_STEP * round(spread / 0.05)
    if product is not None:
        rate = min(max(rate, product.min_rate), product.max_rate)
    loan.rate = (rate / RATE_STEP).to_integral_value(ROUND_HALF_UP) * RATE_STEP
    chance = SAME_DAY_BY_KIND.get(product.kind if product else "", 0.4)
    if firm.grade == "A":
        chance += 0.08
    if not loan.borrower.inclusive:
        chance = 0.15
    _need_dates(ctx, loan, rng.random() < chance)


def _pick_guarantee(rng: random.Random, product: _Product) -> str:
    """The kind of guarantee a loan has, among those the product takes."""
    kinds = product.guarantees
    return rng.choices(kinds, [GUARANTEE_WEIGHTS.get(kind, 1.0) for kind in kinds])[0]


def _need_dates(ctx: _Context, loan: _Loan, same_day: bool) -> None:
    """When the need was submitted and the credit approved, working back from disbursement."""
    rng, first = ctx.rng, ctx.first_month
    if same_day:
        lag = rng.choices((0, 1, 2, 3, 4, 5), (25, 30, 20, 10, 8, 7))[0]
    else:
        lag = rng.randint(2, 20)
    need_day = max(loan.disbursed_on - dt.timedelta(days=lag), first)
    lag = (loan.disbursed_on - need_day).days
    if not same_day and lag < 1:
        same_day = True
    loan.same_day, loan.need_day = same_day, need_day
    loan.decided_day = (
        need_day if same_day else need_day + dt.timedelta(days=rng.randint(1, min(6, lag)))
    )


def _plan_guarantees(ctx: _Context, loans: list[_Loan]) -> None:
    """A guarantee for each loan whose firm brought a guarantee institution's: one of those
    backing its product that serves the firm's city (the city's own guarantor more often),
    priced at that guarantee's fee."""
    for loan in loans:
        if loan.guarantee != GuaranteeType.GUARANTEE_AGENCY.value or loan.product is None:
            continue
        city = loan.borrower.firm.city
        options = [
            pairing
            for pairing in ctx.pairings.get(loan.product.id, ())
            if pairing.guarantor.serves(city)
        ]
        if not options:
            continue
        weights = [
            LOCAL_GUARANTOR_WEIGHT if pairing.guarantor.region_code == city else 1.0
            for pairing in options
        ]
        pairing = ctx.rng.choices(options, weights)[0]
        amount = Decimal(loan.amount) / CENTS
        loan.letter = _Letter(pairing, pairing.agreement.issues_automatically(amount))
        loan.fee = pairing.guarantor.fee


# ---------------------------------------------------------------------------
# Firms: borrowers made to fit their loans, the rest of the registered firms around them
# ---------------------------------------------------------------------------

INDUSTRY_CODES = tuple(INDUSTRIES)
CITY_CODES = tuple(code for code, _, _ in CITIES)
CITY_WEIGHTS = tuple(share for _, _, share in CITIES)


def _industry_weights() -> dict[str, list[float]]:
    """Cumulative industry weights per city."""
    result = {}
    for code in CITY_CODES:
        special = CITY_INDUSTRIES.get(code, {})
        total, cumulative = 0.0, []
        for industry, weight in INDUSTRIES.items():
            total += weight * special.get(industry, 1.0)
            cumulative.append(total)
        result[code] = cumulative
    return result


_INDUSTRY_CUMULATIVE = _industry_weights()


def _borrower_firm(ctx: _Context, inclusive: bool) -> _Firm:
    """A borrowing firm's city, industry, intended size class, tax grade and qualifications."""
    rng = ctx.rng
    if inclusive:
        target = SizeClass.SMALL if rng.random() < 0.62 else SizeClass.MICRO
    else:
        target = SizeClass.MEDIUM if rng.random() < 0.85 else SizeClass.LARGE
    grade = rng.choices("ABMC", (52, 36, 6, 6))[0]
    firm = _new_firm(ctx, target, grade, borrower=True)
    if target == SizeClass.MICRO and size_standard(firm.industry).measures == (_Y,):
        # Micro by revenue alone (farms under 50万) cannot carry a loan of 50万 or more.
        firm.target = SizeClass.SMALL
    return firm


def _new_firm(ctx: _Context, target: SizeClass, grade: str, *, borrower: bool) -> _Firm:
    rng = ctx.rng
    city = rng.choices(CITY_CODES, CITY_WEIGHTS)[0]
    industry = rng.choices(INDUSTRY_CODES, cum_weights=_INDUSTRY_CUMULATIVE[city])[0]
    counties = COUNTIES[city]
    return _Firm(
        city=city,
        county=counties[rng.randrange(len(counties))],
        industry=industry,
        target=target,
        grade=grade,
        qualifications=_qualifications(rng, industry, target, borrower),
        borrower=borrower,
    )


def _qualifications(
    rng: random.Random, industry: str, target: SizeClass, borrower: bool
) -> tuple[str, ...]:
    boost = 1.5 if borrower else 1.0
    tech, making = industry in TECH_DIVISIONS, industry in MANUFACTURING
    chances = {
        "high_tech": 0.18 if tech else 0.04 if making else 0.005,
        "specialised": (0.06 if tech or making else 0.005)
        * (2 if target != SizeClass.MICRO else 0.5),
        "tech_sme": 0.25 if tech else 0.06 if making else 0.01,
        "agricultural": 1.0
        if industry in AGRI_DIVISIONS
        else 0.4
        if industry in ("13", "14", "15")
        else 0.3
        if industry == "20"
        else 0.0,
        "green": 0.6 if industry in ("44", "77") else 0.25 if industry == "38" else 0.04,
    }
    return tuple(q for q, p in chances.items() if rng.random() < min(1.0, p * boost))


def _plan_firms(ctx: _Context, loans: list[_Loan]) -> list[_Firm]:
    """Borrowers' figures and dates, then every other firm; ids in order of registration."""
    rng = ctx.rng
    borrowers = {id(loan.borrower): loan.borrower for loan in loans}.values()
    firms = []
    for borrower in borrowers:
        firm = borrower.firm
        first_need = min(loan.need_day for loan in borrower.loans)
        floor_wan = max(loan.amount for loan in borrower.loans) / WAN_CENTS * rng.uniform(1.2, 3)
        _fill_figures(rng, firm, floor_wan)
        firm.established_on = _established(rng, first_need, firm.grade)
        start = max(PLATFORM_LAUNCH, firm.established_on + dt.timedelta(days=1))
        end = first_need - dt.timedelta(days=1)
        day = _day_between(rng, start, end) if start < end else end
        firm.created_at = _local(day, rng.uniform(8, 22))
        firms.append(firm)
    users_target = ctx.scaled(TARGET_USERS)
    present = ctx.connection.execute(select(func.count(User.__table__.c.id))).scalar()
    others = users_target - present - len(firms)
    if others < len(firms) // 2:
        raise RuntimeError("too few users at this scale for the borrowers; raise the scale")
    with ctx.progress.bar("Planning firms", others) as bar:
        for n in range(others):
            firms.append(_other_firm(ctx))
            if n % CHUNK == CHUNK - 1:
                bar.update(CHUNK)
        bar.update(others % CHUNK)
    firms.sort(key=lambda firm: firm.created_at)
    for firm, firm_id, user_id in zip(
        firms,
        ctx.ids(Firm.__table__, len(firms)),
        ctx.ids(User.__table__, len(firms)),
        strict=True,
    ):
        firm.id, firm.user_id = firm_id, user_id
    return firms


def _other_firm(ctx: _Context) -> _Firm:
    """A registered firm that borrowed nothing through the platform in the window."""
    rng = ctx.rng
    target = rng.choices(
        (SizeClass.MICRO, SizeClass.SMALL, SizeClass.MEDIUM, SizeClass.LARGE), (72, 22, 5, 1)
    )[0]
    grade = rng.choices("ABMCD", (30, 40, 15, 11, 4))[0]
    firm = _new_firm(ctx, target, grade, borrower=False)
    _fill_figures(rng, firm, 0.0)
    years = min(30.0, rng.expovariate(1 / 7))
    if grade == "M":
        years = rng.uniform(0.1, 1.5)
    firm.established_on = ctx.today - dt.timedelta(days=int(years * 365) + 1)
    start = max(PLATFORM_LAUNCH, firm.established_on + dt.timedelta(days=1))
    span = (ctx.today - start).days
    # Registrations grow over time: density rising linearly from launch to today.
    day = start + dt.timedelta(days=int(span * math.sqrt(rng.random())))
    firm.created_at = min(_local(day, rng.uniform(8, 22)), ctx.now - dt.timedelta(hours=1))
    return firm


def _established(rng: random.Random, first_need: dt.date, grade: str) -> dt.date:
    """Banks lend to firms at least a year old; M-graded ones are new (one to two years)."""
    years = rng.uniform(1.0, 2.0) if grade == "M" else 1 + min(29.0, rng.expovariate(1 / 7))
    return first_need - dt.timedelta(days=int(years * 365))


_X, _Y, _Z = Measure.EMPLOYEES, Measure.REVENUE, Measure.TOTAL_ASSETS


def _fill_figures(rng: random.Random, firm: _Firm, revenue_floor_wan: float) -> None:
    """Employees, revenue and assets that put the firm in its intended size class.

    The size standard's measures for the industry are drawn inside the band of the class (one of
    them, the "limiter", below the next class's threshold); the other figures follow from
    typical ratios. The class is then derived with classify_size, as the app does.
    """
    standard = size_standard(firm.industry)
    measures = standard.measures
    target = firm.target
    limiter = _limiter(rng, measures, target, revenue_floor_wan, standard.small)
    values: dict[Measure, float] = {}
    for index, measure in enumerate(measures):
        low, high = _band_of(standard, index, target, measure is limiter)
        if measure is _Y and revenue_floor_wan:
            if measure is limiter:  # revenue must stay under the next class's threshold
                low = min(max(low, revenue_floor_wan), high * 0.9)
            else:
                low = max(low, revenue_floor_wan)
                high = max(high, low * 1.5)
        values[measure] = _log_uniform(rng, low, high)
    if _Y not in values:
        per_head = rng.uniform(10, 80)
        values[_Y] = max(values.get(_X, 5) * per_head, revenue_floor_wan)
    if _X not in values:
        values[_X] = max(1.0, values[_Y] / rng.uniform(30, 150))
    if _Z not in values:
        values[_Z] = values[_Y] * rng.uniform(0.3, 1.5)
    firm.employees = max(1, int(values[_X]))
    firm.revenue = int(values[_Y] * 10000)
    firm.total_assets = int(values[_Z] * 10000)
    firm.size_class = classify_size(
        firm.industry, firm.employees, Decimal(firm.revenue), Decimal(firm.total_assets)
    )


def _limiter(
    rng: random.Random,
    measures: tuple[Measure, ...],
    target: SizeClass,
    revenue_floor_wan: float,
    small: tuple[int, ...],
) -> Measure | None:
    """The measure that keeps the firm below the next class (none for large firms)."""
    if target == SizeClass.LARGE:
        return None
    others = [m for m in measures if m is not _Y]
    if _Y in measures and others and (target == SizeClass.MICRO or revenue_floor_wan):
        # Keep revenue free where a loan needs it: a micro firm by headcount or assets.
        return others[rng.randrange(len(others))]
    return measures[rng.randrange(len(measures))]


def _band_of(standard: Any, index: int, target: SizeClass, limiting: bool) -> tuple[float, float]:
    """Where one measure lies for the class: [low, high), in persons or 万元."""
    small, medium, large = standard.small[index], standard.medium[index], standard.large[index]
    if target == SizeClass.LARGE:
        return large, large * 2.5
    if target == SizeClass.MEDIUM:
        return (medium, large) if limiting else (medium, max(large * 1.2, medium * 2))
    if target == SizeClass.SMALL:
        return (small, medium) if limiting else (small, max(medium * 2.0, small * 3))
    if limiting:
        return max(1.0, small / 20), small
    return max(1.0, small / 4), max(medium, small * 2)


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    if high <= low:
        return low
    return math.exp(rng.uniform(math.log(low), math.log(high)))


# ---------------------------------------------------------------------------
# Policy subsidies, by the policies' own rules and budgets
# ---------------------------------------------------------------------------

BUDGET_USE_LIMIT = Decimal("0.9")  # stop granting a subsidy before its budget runs out


@dataclass
class _Policy:
    """A policy as the seed grants it: the rule's view plus what the seed has drawn so far."""

    rule: PolicyRule
    kinds: frozenset[str]
    products: frozenset[int]
    budget: Decimal | None
    used: Decimal
    drawn: Decimal = Decimal(0)

    def fits(self, amount: Decimal) -> bool:
        return self.budget is None or self.used + amount <= self.budget * BUDGET_USE_LIMIT


def _apply_subsidies(ctx: _Context, loans: list[_Loan]) -> None:
    """Each loan's policies by the one subsidy rule (as a credit decision grants them), in
    order of disbursement, within each firm's yearly cap and each policy's budget."""
    policies = ctx.policies = _subsidy_policies()
    ctx.report.totals["subsidised_loans"] = 0
    drawn: dict[int, dict[int, Decimal]] = {}  # firm → policy → yearly amount counted on its cap
    for loan in loans:
        product = loan.product
        if product is None:
            continue
        applicable = [
            p
            for p in policies
            if (not p.kinds or product.kind in p.kinds)
            and (not p.products or product.id in p.products)
        ]
        if not applicable:
            continue
        firm_drawn = drawn.setdefault(id(loan.borrower.firm), {})
        loan.grants = _grant(ctx, loan, applicable, firm_drawn)
        if any(b.benefit_kind == BenefitKind.RATE_POINTS for b, _ in loan.grants):
            ctx.report.totals["subsidised_loans"] += 1
        loan.subsidy = min(
            applied_value([b for b, _ in loan.grants], BenefitKind.RATE_POINTS), loan.rate
        )


def _grant(
    ctx: _Context, loan: _Loan, applicable: list[_Policy], firm_drawn: dict[int, Decimal]
) -> list[tuple[Benefit, Decimal]]:
    """The loan's applied benefits with their expected cost, leaving out a policy whose budget
    cannot hold it and choosing again, as `portal.subsidies.grants.grant_offer` does."""
    price = LoanPrice(
        amount=Decimal(loan.amount) / CENTS,
        rate=loan.rate,
        term_months=loan.term,
        guarantee_fee_rate=loan.fee,
    )
    facts = _loan_facts(ctx, loan)
    by_id = {p.rule.terms.id: p for p in applicable}
    candidates = list(applicable)
    while True:
        benefits = benefits_for(
            [p.rule for p in candidates], facts, price, loan.disbursed_on, firm_drawn
        )
        applied = [(b, expected_amount(b, price)) for b in benefits if b.applied]
        short = next((b for b, cost in applied if not by_id[b.policy_id].fits(cost)), None)
        if short is None:
            break
        candidates.remove(by_id[short.policy_id])
    for benefit, cost in applied:
        policy = by_id[benefit.policy_id]
        policy.used += cost
        policy.drawn += cost
        firm_drawn[benefit.policy_id] = firm_drawn.get(benefit.policy_id, Decimal(0)) + (
            yearly_amount(benefit, price)
        )
    return applied


def _subsidy_policies() -> list[_Policy]:
    """Published interest- and fee-subsidy policies with their compiled rules."""
    rows = db.session.scalars(
        select(PolicyProduct)
        .where(
            PolicyProduct.status == ProductStatus.PUBLISHED,
            PolicyProduct.benefit_kind.in_([BenefitKind.RATE_POINTS, BenefitKind.FEE_SHARE]),
        )
        .order_by(PolicyProduct.id)
    ).all()
    return [
        _Policy(
            rule,
            frozenset(policy.applies_to_kinds or ()),
            frozenset(policy.applies_to_product_ids or ()),
            policy.budget,
            policy.budget_in_use,
        )
        for policy, rule in zip(rows, _rules_of(rows), strict=True)
        if rule is not None
    ]


def _rules_of(rows: list[PolicyProduct]) -> list[PolicyRule | None]:
    rules = {rule.terms.id: rule for rule in policy_rules(rows)}
    # The seed grants over two years of history: the budget it may use is its own to track.
    return [
        PolicyRule(replace(rules[p.id].terms, budget_left=None), rules[p.id].rules)
        if p.id in rules and rules[p.id].rules.formula is not None
        else None
        for p in rows
    ]


def _loan_facts(ctx: _Context, loan: _Loan) -> dict[str, Any]:
    firm = loan.borrower.firm
    years = (loan.disbursed_on - firm.established_on).days // 365
    return (
        profile_facts(
            region_code=firm.city,
            industry_code=firm.industry,
            size_class=firm.size_class.value,
            years_in_business=years,
            employees=firm.employees,
            revenue=Decimal(firm.revenue),
            total_assets=Decimal(firm.total_assets),
            tax_credit_grade=firm.grade,
            qualifications=firm.qualifications,
        )
        | need_facts(
            amount=Decimal(loan.amount) / CENTS,
            term_months=loan.term,
            guarantee_type=loan.guarantee,
        )
        | pricing_facts(
            rate=loan.rate,
            lpr_one_year=ctx.lpr_on(loan.disbursed_on),
            guarantee_fee_rate=loan.fee,
        )
    )


# ---------------------------------------------------------------------------
# Loans that fall behind: a controller that keeps the monthly NPL ratio on a target path
# ---------------------------------------------------------------------------

WATCH_SHARE = 0.02  # loans classed 关注 for a while without arrears
CURED_SHARE = 0.03  # loans a month or two in arrears that catch up
NPL_START = 4  # the first window month in which a loan can be over 90 days overdue


def _plan_troubles(ctx: _Context, loans: list[_Loan]) -> None:
    """Choose the loans that fall behind, so that each month's NPL ratio follows a target.

    A loan that misses a payment is 1–29 days overdue at the end of that month and 30 more each
    month after (关注, then 次级 after 90 days, 可疑 after 270, 损失 after 360); it stays on the
    books, reported every month, until it is written off after maturity. Month by month, loans
    that were performing three months earlier are made to fall behind (riskier banks and grades
    first) until the month's NPL ratio reaches its target: about 1.0% when the first loans can
    be 90 days overdue, rising to 1.6–1.9%.
    """
    rng = ctx.rng
    last = len(ctx.months) - 1
    totals, bad = _existing_balances(ctx)
    for loan in loans:
        _add_history(loan, last, totals, bad, +1)
    for loan in rng.sample(loans, int(len(loans) * (WATCH_SHARE + CURED_SHARE))):
        span = last - loan.month
        if span < 3 or loan.term < 4:
            continue
        start = rng.randint(1, min(span - 1, loan.term - 3))
        if rng.random() < WATCH_SHARE / (WATCH_SHARE + CURED_SHARE):
            _set_trouble(loan, _Trouble(start, 0, rng.randint(1, 4)), last, totals, bad)
        else:
            _set_trouble(loan, _Trouble(start, rng.randint(1, 29), rng.randint(1, 2)), last,
                         totals, bad)  # fmt: skip
    months_of = [loan.month for loan in loans]
    for target_month in range(NPL_START, last + 1):
        goal = min(0.0100 + 0.0008 * (target_month - NPL_START), 0.0165) + rng.uniform(0, 0.002)
        start_month = target_month - 3
        pool = bisect.bisect_left(months_of, start_month)  # loans disbursed before it
        for _ in range(100_000):
            gap = goal * totals[target_month] - bad[target_month]
            if gap <= 0 or not pool:
                break
            loan = _pick_defaulter(rng, loans, pool, start_month, gap)
            if loan is None:
                break
            # With few loans (small scales) one default can be a large step: take it only if
            # the month stays within half a point of its goal, or is still under 1.1%.
            frozen = _frozen(loan, start_month - loan.month)
            after = (bad[target_month] + frozen) / (totals[target_month] + 1)
            if after > goal + 0.005 and bad[target_month] >= 0.011 * totals[target_month]:
                break
            _set_trouble(loan, _default(rng, loan, start_month, last), last, totals, bad)
    _mark_contradictions(ctx, loans, last)


def _existing_balances(ctx: _Context) -> tuple[list[float], list[float]]:
    """Reported and non-performing balances per window month from the reports already there."""
    totals, bad = [0.0] * len(ctx.months), [0.0] * len(ctx.months)
    index = {month: i for i, month in enumerate(ctx.months)}
    reports = LoanStatusReport.__table__
    for period, tier, balance in ctx.connection.execute(
        select(reports.c.period, reports.c.five_tier_class, func.sum(reports.c.balance))
        .where(reports.c.period >= ctx.first_month)
        .group_by(reports.c.period, reports.c.five_tier_class)
        .order_by(reports.c.period, reports.c.five_tier_class)
    ):
        if period in index:
            totals[index[period]] += float(balance) * CENTS
            if tier in NON_PERFORMING:
                bad[index[period]] += float(balance) * CENTS
    return totals, bad


def _pick_defaulter(
    rng: random.Random, loans: list[_Loan], pool: int, start_month: int, gap: float
) -> _Loan | None:
    """A performing loan that can miss a payment in `start_month`, riskier ones first.

    Its balance should fit the gap to the month's goal; if none of the sampled loans fits, the
    smallest of them.
    """
    smallest: _Loan | None = None
    for _ in range(400):
        loan = loans[rng.randrange(pool)]
        elapsed = start_month - loan.month
        if loan.trouble is not None or not 1 <= elapsed < loan.term:
            continue
        firm = loan.borrower.firm
        risk = loan.borrower.lender.risk * {"A": 0.5, "B": 1.0, "M": 1.2, "C": 2.0}.get(
            firm.grade, 1.0
        )
        if rng.random() > risk / 2:
            continue
        if _frozen(loan, elapsed) <= gap * 1.5:
            return loan
        if smallest is None or _frozen(loan, elapsed) < _frozen(
            smallest, start_month - smallest.month
        ):
            smallest = loan
    return smallest


def _frozen(loan: _Loan, elapsed: int) -> int:
    """The balance a loan keeps once it misses the payment of month `elapsed`."""
    return loan.amount * (loan.term - elapsed + 1) // loan.term


def _default(rng: random.Random, loan: _Loan, start_month: int, last: int) -> _Trouble:
    """A loan that never catches up; written off a few months after it is 损失 and matured."""
    start = start_month - loan.month
    written_off = max(start + 12 + rng.randint(1, 4), loan.term + 1)
    return _Trouble(
        start, rng.randint(1, 29), None, written_off if loan.month + written_off <= last else None
    )


def _set_trouble(
    loan: _Loan, trouble: _Trouble, last: int, totals: list[float], bad: list[float]
) -> None:
    _add_history(loan, last, totals, bad, -1)
    loan.trouble = trouble
    _add_history(loan, last, totals, bad, +1)


def _add_history(loan: _Loan, last: int, totals: list[float], bad: list[float], sign: int) -> None:
    for month, balance, _days, tier in _history(loan, last):
        totals[month] += sign * balance
        if tier in NON_PERFORMING:
            bad[month] += sign * balance


def _history(loan: _Loan, last: int) -> Iterator[tuple[int, int, int, FiveTierClass]]:
    """(window month, balance in cents, days overdue, class) of every report the loan is due.

    Equal principal repayments, none while in arrears; a performing loan is reported up to its
    maturity month (balance 0 then), a defaulted one every month until written off.
    """
    trouble, term, amount = loan.trouble, loan.term, loan.amount
    end = last - loan.month
    if trouble is None or trouble.months is not None:
        end = min(end, term)
    elif trouble.written_off is not None:
        end = min(end, trouble.written_off - 1)
    paid = 0
    for elapsed in range(end + 1):
        days, tier = 0, FiveTierClass.NORMAL
        if (
            trouble is not None
            and elapsed >= trouble.start
            and (trouble.months is None or elapsed < trouble.start + trouble.months)
        ):
            if trouble.first_days:
                days = trouble.first_days + 30 * (elapsed - trouble.start)
                tier = _five_tier(days)
            else:
                tier = FiveTierClass.SPECIAL_MENTION
        if days == 0:
            paid = min(elapsed, term)
        yield loan.month + elapsed, amount * (term - paid) // term, days, tier


def _five_tier(days_overdue: int) -> FiveTierClass:
    """The mildest class the overdue rules allow, except that any arrears is at least 关注."""
    if days_overdue > 360:
        return FiveTierClass.LOSS
    if days_overdue > 270:
        return FiveTierClass.DOUBTFUL
    if days_overdue > 90:
        return FiveTierClass.SUBSTANDARD
    return FiveTierClass.SPECIAL_MENTION if days_overdue else FiveTierClass.NORMAL


def _mark_contradictions(ctx: _Context, loans: list[_Loan], last: int) -> None:
    """A handful of reports, on purpose, class a loan 91–180 days overdue as only 关注."""
    wanted = max(3, round(CONTRADICTIONS_AT_FULL_SCALE * ctx.scale))
    candidates = [
        (loan, month - loan.month)
        for loan in loans
        if loan.trouble is not None and loan.trouble.months is None
        for month, _balance, days, _tier in _history(loan, last)
        if 90 < days <= 180 and month <= last - 2
    ]
    chosen = ctx.rng.sample(candidates, min(wanted, len(candidates)))
    for loan, elapsed in chosen:
        loan.contradictions = loan.contradictions | {elapsed}
    ctx.report.contradictions = len(chosen)


# ---------------------------------------------------------------------------
# Writing firms and their users
# ---------------------------------------------------------------------------

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _seed_firms_and_users(ctx: _Context, firms: list[_Firm]) -> None:
    present = set(ctx.connection.execute(select(Firm.__table__.c.credit_code)).scalars())
    ctx.insert(Firm.__table__, _firm_rows(ctx, firms, present), "Firms", len(firms))
    ctx.insert(User.__table__, _sme_user_rows(ctx, firms), "Firm accounts", len(firms))


def _firm_rows(ctx: _Context, firms: list[_Firm], present: set[str]) -> Iterator[dict[str, Any]]:
    rng = ctx.rng
    serial = 0
    for firm in firms:
        name, kind = _firm_name(rng, firm)
        while True:
            serial += 1
            code = _credit_code(firm, kind, serial)
            if code not in present:
                break
        yield {
            "id": firm.id,
            "credit_code": code,
            "name": name,
            "region_code": firm.city,
            "industry_code": firm.industry,
            "employees": firm.employees,
            "revenue": Decimal(firm.revenue),
            "total_assets": Decimal(firm.total_assets),
            "established_on": firm.established_on,
            "tax_credit_grade": firm.grade,
            "qualifications": list(firm.qualifications),
            "size_class": firm.size_class.value,
            "legal_representative": _person(rng),
            "created_at": firm.created_at,
            "updated_at": firm.created_at,
        }


def _firm_name(rng: random.Random, firm: _Firm) -> tuple[str, str]:
    """A name like 晋江鑫源鞋业有限公司, and the credit code's organisation type (1, 2 or 3)."""
    place = firm.county[1] if rng.random() < 0.7 else CITY_NAMES[firm.city]
    first = BRAND_FIRST[rng.randrange(len(BRAND_FIRST))]
    second = BRAND_SECOND[rng.randrange(len(BRAND_SECOND))]
    brand = first + (second if second != first else "达")
    words = INDUSTRY_WORDS[firm.industry]
    word = words[rng.randrange(len(words))]
    if firm.industry in AGRI_DIVISIONS and firm.target == SizeClass.MICRO and rng.random() < 0.3:
        return f"{place}{brand}{word}专业合作社", "3"  # 农民专业合作社
    if word in ("商行", "便利店", "超市") and firm.target == SizeClass.MICRO:
        return f"{place}{brand}{word}", "2"  # 个体工商户
    suffix = "股份有限公司" if firm.target in (SizeClass.MEDIUM, SizeClass.LARGE) else "有限公司"
    return f"{place}{brand}{word}{suffix}", "1"


def _credit_code(firm: _Firm, kind: str, serial: int) -> str:
    """A valid, unique GB 32100 code: firms registered since 2015 carry an "MA" body."""
    if firm.established_on.year >= 2015:
        body = "MA" + _base31(serial + 3 * 31**5, 6)
    else:
        # Older firms keep their GB 11714 organisation code (a permutation of the serial).
        body = f"{(serial * 7919 + 12345678) % 100_000_000:08d}"
    return make_credit_code("9", kind, firm.county[0], body)


def _base31(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, digit = divmod(value, 31)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def _sme_user_rows(ctx: _Context, firms: list[_Firm]) -> Iterator[dict[str, Any]]:
    for firm in firms:
        yield _user_row(
            ctx,
            firm.user_id,
            f"sme{firm.id:07d}@firm.province.demo.local",
            _person(ctx.rng),
            Role.SME,
            firm.created_at,
            firm.id,
            None,
            None,
        )


# ---------------------------------------------------------------------------
# Needs, leads and loans: each loan's story, and the needs that got no loan
# ---------------------------------------------------------------------------


def _seed_flow(
    ctx: _Context, loans: list[_Loan], firms: list[_Firm], lenders: list[_Lender]
) -> None:
    by_city = {
        code: [lender for lender in lenders if lender.region_code in ("350000", code)]
        for code in CITY_CODES
    }
    weights = {
        (code, band): _band_weights(by_city[code], band) for code in by_city for band in range(3)
    }
    cities = _Cities(by_city, weights)
    needs = [_credited_need(ctx, loan, cities) for loan in loans]
    applicants = _Applicants.among(firms)
    needs += _uncredited_needs(ctx, applicants, cities, round(len(loans) * UNCREDITED_PER_LOAN))
    needs += _needs_in_progress(ctx, applicants, cities, round(len(loans) * IN_PROGRESS_PER_LOAN))
    needs.sort(key=lambda need: need.at)
    for need, need_id in zip(needs, ctx.ids(FinancingNeed.__table__, len(needs)), strict=True):
        need.id = need_id
    leads = sorted((lead for need in needs for lead in need.leads), key=lambda x: x.created_at)
    for lead, lead_id in zip(leads, ctx.ids(Lead.__table__, len(leads)), strict=True):
        lead.id = lead_id
    by_date = sorted(loans, key=lambda loan: (loan.disbursed_on, loan.created_at))
    for loan, loan_id in zip(by_date, ctx.ids(Loan.__table__, len(loans)), strict=True):
        loan.id = loan_id
    ctx.insert(FinancingNeed.__table__, map(_need_row, needs), "Financing needs", len(needs))
    ctx.insert(Lead.__table__, map(_lead_row, leads), "Leads", len(leads))
    ctx.insert(Loan.__table__, (_loan_row(ctx, loan) for loan in by_date), "Loans", len(loans))
    granted = sum(len(loan.grants) for loan in by_date)
    ctx.insert(SubsidyGrant.__table__, _grant_rows(ctx, by_date), "Subsidy grants", granted)


@dataclass
class _Cities:
    lenders: dict[str, list[_Lender]]
    weights: dict[tuple[str, int], list[float]]  # by city and amount band

    def others(
        self, rng: random.Random, city: str, amount: int, taken: set[int], count: int
    ) -> list[_Lender]:
        """Up to `count` more banks serving the city, none of them in `taken`, drawn as the
        banks that lend are for this amount (big banks for large ones, county banks for small
        ones), so that each bank's declines and expiries match its approvals."""
        chosen: list[_Lender] = []
        weights = self.weights[(city, _band(amount))]
        for _ in range(count * 6):
            if len(chosen) == count:
                break
            lender = rng.choices(self.lenders[city], cum_weights=weights)[0]
            if lender.id not in taken:
                taken.add(lender.id)
                chosen.append(lender)
        return chosen


def _local(day: dt.date, hours: float) -> dt.datetime:
    """A moment of a day in Asia/Shanghai, as aware UTC."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)
    return (start + dt.timedelta(hours=hours)).astimezone(dt.UTC)


def _minutes(value: float) -> dt.timedelta:
    return dt.timedelta(minutes=value)


def _credited_need(ctx: _Context, loan: _Loan, cities: _Cities) -> _Need:
    """The need behind a loan, its winning lead and the other banks' leads."""
    rng, borrower = ctx.rng, loan.borrower
    firm, lender = borrower.firm, borrower.lender
    hour = rng.uniform(8.5, 15.5) if loan.same_day else rng.uniform(8, 22)
    need = _Need(
        firm=firm,
        at=_local(loan.need_day, hour),
        amount=_asked(rng, loan.amount),
        term=loan.term,
        purpose=_purpose(rng, firm),
        guarantee=loan.guarantee,
        max_rate=_max_rate(ctx, loan.rate, loan.need_day),
        status=NeedStatus.FULFILLED,
    )
    winner = _winning_lead(ctx, need, loan, lender)
    need.leads.append(winner)
    taken = {lender.id}
    extra = rng.choices((0, 1, 2), (55, 30, 15))[0]
    for other in cities.others(rng, firm.city, loan.amount, taken, extra):
        need.leads.append(_losing_lead(ctx, need, other, winner.offer_taken_at, loan))
    return need


def _asked(rng: random.Random, amount: int) -> int:
    """What the firm asked for: the amount lent, or a little more (in 10万 steps)."""
    factor = rng.choices((1.0, 1.2, 1.5), (50, 30, 20))[0]
    asked = math.ceil(amount * factor / (10 * WAN_CENTS)) * 10 * WAN_CENTS
    return max(asked, amount)


def _purpose(rng: random.Random, firm: _Firm) -> str:
    options = AGRI_PURPOSES if "agricultural" in firm.qualifications else PURPOSES
    return options[rng.randrange(len(options))]


def _max_rate(ctx: _Context, rate: Decimal, day: dt.date) -> Decimal | None:
    if ctx.rng.random() < 0.4:
        return None
    ceiling = ctx.lpr_on(day) + Decimal(ctx.rng.choice(("1.5", "2.0", "2.5", "3.0")))
    return max(ceiling, rate + Decimal("0.5"))


def _winning_lead(ctx: _Context, need: _Need, loan: _Loan, lender: _Lender) -> _Lead:
    """The bank that lent: quick on the same day for most policy products, days for the rest."""
    rng = ctx.rng
    created = need.at + _minutes(rng.uniform(0.5, 3))
    origin = rng.choices((LeadOrigin.APPLIED, LeadOrigin.BEST, LeadOrigin.POOL), (60, 32, 8))[0]
    claimed = created + _minutes(rng.uniform(5, 90)) if origin == LeadOrigin.POOL else None
    clock = claimed or created
    deadline = add_business_days(clock, lender.response_days)
    if loan.same_day:
        first = clock + _minutes(rng.uniform(5, 90))
        decided = min(first + _minutes(rng.uniform(10, 180)), _local(loan.need_day, 21.5))
    else:
        decided = _local(loan.decided_day, rng.uniform(9, 18))
        delay = dt.timedelta(hours=rng.lognormvariate(math.log(3.5), 0.9))
        first = min(clock + delay, deadline - _minutes(30), decided - _minutes(10))
        if first <= clock:
            first = clock + (decided - clock) / 2
    latest = _local(loan.disbursed_on, 16)
    earliest = decided + _minutes(10)
    if latest <= earliest:
        latest = earliest + _minutes(30)
    taken = earliest + min(latest - earliest, dt.timedelta(days=2)) * rng.random()
    loan.created_at = max(taken + _minutes(5), _local(loan.disbursed_on, rng.uniform(9, 17)))
    lead = _Lead(
        need=need,
        lender=lender,
        product_id=loan.product.id if loan.product else None,
        status=LeadStatus.DISBURSED,
        origin=origin,
        created_at=created,
        deadline_at=deadline,
        pre_approved=loan.same_day and rng.random() < 0.7,
        claimed_at=claimed,
        first_response_at=first,
        accepted_at=first,
        handled_by_id=_officer(rng, lender),
        approved_amount=Decimal(loan.amount) / CENTS,
        approved_rate=loan.rate,
        approved_term_months=loan.term,
        decided_at=decided,
        offer_taken_at=taken,
        guarantee_fee_rate=loan.fee,
        # The offer held only once the guarantee letter was issued (银担联动).
        guarantee_required=loan.letter is not None,
    )
    loan.lead = lead
    return lead


def _officer(rng: random.Random, lender: _Lender | None) -> int | None:
    if lender is None or not lender.officers:
        return None
    return lender.officers[rng.randrange(len(lender.officers))]


def _response_delay(rng: random.Random) -> dt.timedelta:
    return dt.timedelta(hours=rng.lognormvariate(math.log(4), 1.0))


def _losing_lead(
    ctx: _Context, need: _Need, lender: _Lender, offer_taken: dt.datetime, loan: _Loan
) -> _Lead:
    """Another bank's lead on a need that got its loan elsewhere."""
    rng = ctx.rng
    created = need.at + _minutes(rng.uniform(0.5, 3))
    lead = _open_lead(rng, need, lender, created, LeadOrigin.APPLIED)
    outcome = rng.choices(("approved", "declined", "accepted", "expired", "silent"),
                          (40, 28, 17, 8, 7))[0]  # fmt: skip
    first = created + _response_delay(rng)
    if outcome == "expired" and lead.deadline_at < offer_taken:
        lead.status, lead.sla_breached = LeadStatus.EXPIRED, True
        return lead
    if outcome in ("expired", "silent") or first >= offer_taken or first >= lead.deadline_at:
        return _closed(lead, LeadCloseReason.OTHER_OFFER_TAKEN)
    lead.first_response_at, lead.handled_by_id = first, _officer(rng, lender)
    if outcome == "declined":
        return _declined(rng, lead, first)
    lead.accepted_at = first
    decided = first + dt.timedelta(hours=rng.uniform(1, 72))
    if outcome == "approved" and decided < offer_taken:
        lead.approved_amount = Decimal(min(need.amount, loan.amount * 2)) / CENTS
        lead.approved_rate = loan.rate + Decimal(rng.choice(("-0.10", "0.05", "0.15", "0.30")))
        lead.approved_term_months = need.term
        lead.decided_at = decided
    return _closed(lead, LeadCloseReason.OTHER_OFFER_TAKEN)


def _open_lead(
    rng: random.Random, need: _Need, lender: _Lender, created: dt.datetime, origin: LeadOrigin
) -> _Lead:
    return _Lead(
        need=need,
        lender=lender,
        product_id=_lead_product(rng, lender, need),
        status=LeadStatus.OPEN,
        origin=origin,
        created_at=created,
        deadline_at=add_business_days(created, lender.response_days),
    )


def _lead_product(rng: random.Random, lender: _Lender, need: _Need) -> int | None:
    """The bank's product a lead is for, picked as a loan's is: one that lends the amount asked
    to this firm, else one for such a firm that lends less, else any. Whatever the lead's
    outcome, so that each product has its share of declines and expiries.
    """
    firm = need.firm
    options = (
        _fitting_products(lender, firm, need.amount)
        or [p for p in lender.products if _serves(p, firm) and p.max_amount < need.amount]
        or lender.products
    )
    return options[rng.randrange(len(options))].id if options else None


def _closed(lead: _Lead, reason: LeadCloseReason) -> _Lead:
    lead.status, lead.closed_reason = LeadStatus.CLOSED, reason.value
    return lead


def _declined(rng: random.Random, lead: _Lead, at: dt.datetime) -> _Lead:
    lead.status = LeadStatus.DECLINED
    lead.decided_at = at
    lead.first_response_at = lead.first_response_at or at
    reasons = list(DECLINE_WEIGHTS)
    lead.decline_code = rng.choices(reasons, list(DECLINE_WEIGHTS.values()))[0].value
    return lead


UNCREDITED_KINDS = {"declined": 48, "withdrawn": 15, "not_taken": 12, "expired": 7}


@dataclass
class _Applicants:
    """The firms that ask for credit and get none, in the order they registered."""

    firms: list[_Firm]
    registered: list[dt.datetime]

    @classmethod
    def among(cls, firms: list[_Firm]) -> _Applicants:
        pool = [firm for firm in firms if not firm.borrower]
        return cls(pool, [firm.created_at for firm in pool])

    def pick(self, rng: random.Random, at: dt.datetime) -> _Firm | None:
        """One of those registered by `at`, if any."""
        eligible = bisect.bisect_left(self.registered, at)
        return self.firms[rng.randrange(eligible)] if eligible else None


def _uncredited_needs(
    ctx: _Context, applicants: _Applicants, cities: _Cities, count: int
) -> list[_Need]:
    """Settled needs that every bank declined, that firms withdrew or did not take up."""
    rng = ctx.rng
    start = _local(ctx.first_month, 8)
    end = ctx.now - dt.timedelta(days=7)  # older needs are settled one way or another
    needs = []
    for kind in rng.choices(list(UNCREDITED_KINDS), list(UNCREDITED_KINDS.values()), k=count):
        at = start + (end - start) * math.sqrt(rng.random())
        firm = applicants.pick(rng, at)
        if firm is not None:
            needs.append(_uncredited_need(ctx, _asking(ctx, firm, at, cities), kind))
    return needs


def _needs_in_progress(
    ctx: _Context, applicants: _Applicants, cities: _Cities, count: int
) -> list[_Need]:
    """Needs still being handled today, as a steady flow leaves them: the older a need, the
    likelier it is settled, so their ages fall off (exponentially, by IN_PROGRESS_DAYS)."""
    rng = ctx.rng
    mean, longest = IN_PROGRESS_DAYS
    reach = 1 - math.exp(-longest / mean)
    needs = []
    for _ in range(count):
        age = dt.timedelta(days=-mean * math.log(1 - reach * rng.random()))
        at = ctx.now - dt.timedelta(hours=1) - age
        firm = applicants.pick(rng, at)
        if firm is not None:
            need = _asking(ctx, firm, at, cities)
            _in_progress(ctx, need)
            needs.append(need)
    return needs


def _asking(ctx: _Context, firm: _Firm, at: dt.datetime, cities: _Cities) -> _Need:
    """A need that gets no loan (yet), with a lead at each of one to three banks."""
    rng = ctx.rng
    need = _Need(
        firm=firm,
        at=at,
        amount=_amount_asked(rng, firm),
        term=rng.choice((12, 12, 24, 36)),
        purpose=_purpose(rng, firm),
        guarantee=rng.choice(list(GuaranteeType)).value,
        max_rate=None,
        status=NeedStatus.CLOSED,
    )
    count = rng.choices((1, 2, 3), (50, 35, 15))[0]
    lenders = cities.others(rng, firm.city, need.amount, set(), count)
    created = at + _minutes(rng.uniform(0.5, 3))
    need.leads = [_open_lead(rng, need, lender, created, LeadOrigin.APPLIED) for lender in lenders]
    return need


def _amount_asked(rng: random.Random, firm: _Firm) -> int:
    """What a firm that gets no loan asks for: medium and large firms as much as their loans."""
    if firm.target in (SizeClass.MEDIUM, SizeClass.LARGE):
        median, sigma = LARGE_FIRM_LOAN
        step = 10 * WAN_CENTS
        return round(rng.lognormvariate(math.log(median), sigma) / step) * step
    return max(10, round(rng.lognormvariate(math.log(200), 0.8))) * WAN_CENTS


def _uncredited_need(ctx: _Context, need: _Need, kind: str) -> _Need:
    """How a settled need ended at each of its banks."""
    rng, at = ctx.rng, need.at
    if kind == "withdrawn":
        need.status = NeedStatus.WITHDRAWN
        need.withdrawn_at = at + dt.timedelta(hours=rng.uniform(2, 96))
    for index, lead in enumerate(need.leads):
        first = lead.created_at + _response_delay(rng)
        if kind == "expired" or first > lead.deadline_at:
            lead.status, lead.sla_breached = LeadStatus.EXPIRED, True
        elif kind == "withdrawn":
            if first < need.withdrawn_at:
                lead.first_response_at = lead.accepted_at = first
                lead.handled_by_id = _officer(rng, lead.lender)
            _closed(lead, LeadCloseReason.NEED_WITHDRAWN)
        elif kind == "not_taken" and index == 0:
            lead.first_response_at = lead.accepted_at = first
            lead.handled_by_id = _officer(rng, lead.lender)
            lead.decided_at = (
                first + _minutes(rng.uniform(10, 120))
                if rng.random() < 0.5
                else first + dt.timedelta(hours=rng.uniform(4, 96))
            )
            lead.approved_amount = Decimal(need.amount) / CENTS
            lead.approved_rate = ctx.lpr_on(at.date()) + Decimal(rng.choice(("0.8", "1.2", "1.6")))
            lead.approved_term_months = need.term
            _closed(lead, LeadCloseReason.OFFER_REJECTED)
        else:
            lead.handled_by_id = _officer(rng, lead.lender)
            _declined(rng, lead, first)
    return need


def _in_progress(ctx: _Context, need: _Need) -> None:
    """A need as it stands today: still open (deadline ahead), accepted, or approved and
    awaiting the firm. A lead expires only where its bank would have answered after a deadline
    that has passed, so breaches are as rare as in any settled month."""
    rng = ctx.rng
    need.status = NeedStatus.ROUTED
    if rng.random() < 0.1:
        pooled = need.leads[0]
        pooled.lender, pooled.product_id, pooled.deadline_at = None, None, None
        pooled.status, pooled.origin = LeadStatus.POOLED, LeadOrigin.POOL
        need.leads = [pooled]
        return
    for lead in need.leads:
        first = lead.created_at + _response_delay(rng)
        if first > lead.deadline_at:  # the bank answers late
            if lead.deadline_at <= ctx.now:
                lead.status, lead.sla_breached = LeadStatus.EXPIRED, True
            continue  # expired, or still open with its deadline ahead
        if first >= ctx.now:
            continue  # still open: the answer, in time, is yet to come
        lead.first_response_at = lead.accepted_at = first
        lead.handled_by_id = _officer(rng, lead.lender)
        lead.status = LeadStatus.ACCEPTED
        decided = first + dt.timedelta(hours=rng.uniform(1, 48))
        if decided < ctx.now and rng.random() < 0.5:
            lead.status, lead.decided_at = LeadStatus.APPROVED, decided
            lead.approved_amount = Decimal(need.amount) / CENTS
            lead.approved_rate = ctx.lpr_on(need.at.date()) + Decimal("1.0")
            lead.approved_term_months = need.term


def _need_row(need: _Need) -> dict[str, Any]:
    return {
        "id": need.id,
        "firm_id": need.firm.id,
        "submitted_by_id": need.firm.user_id,
        "amount": Decimal(need.amount) / CENTS,
        "term_months": need.term,
        "purpose": need.purpose,
        "guarantee_type": need.guarantee,
        "max_rate": need.max_rate,
        "consent_at": need.at,
        "consent_scope": CONSENT_SCOPE,
        "status": need.status.value,
        "idempotency_key": f"province-{need.id}",
        "created_at": need.at,
        "withdrawn_at": need.withdrawn_at,
    }


def _lead_row(lead: _Lead) -> dict[str, Any]:
    return {
        "id": lead.id,
        "need_id": lead.need.id,
        "institution_id": lead.lender.id if lead.lender else None,
        "product_id": lead.product_id,
        "match_result_id": None,
        "status": lead.status.value,
        "origin": lead.origin.value,
        "pre_approved": lead.pre_approved,
        "deadline_at": lead.deadline_at,
        "claimed_at": lead.claimed_at,
        "first_response_at": lead.first_response_at,
        "accepted_at": lead.accepted_at,
        "handled_by_id": lead.handled_by_id,
        "decline_code": lead.decline_code,
        "decline_note": None,
        "approved_amount": lead.approved_amount,
        "approved_rate": lead.approved_rate,
        "approved_term_months": lead.approved_term_months,
        "decided_at": lead.decided_at,
        "offer_taken_at": lead.offer_taken_at,
        "closed_reason": lead.closed_reason,
        "sla_breached": lead.sla_breached,
        "guarantee_fee_rate": lead.guarantee_fee_rate,
        "guarantee_required": lead.guarantee_required,
        "created_at": lead.created_at,
    }


def _loan_row(ctx: _Context, loan: _Loan) -> dict[str, Any]:
    lender = loan.borrower.lender
    return {
        "id": loan.id,
        "lead_id": loan.lead.id,
        "institution_id": lender.id,
        "firm_id": loan.borrower.firm.id,
        "product_id": loan.product.id if loan.product else None,
        "contract_no": f"FJ{lender.id:03d}-{loan.disbursed_on:%Y%m}-{loan.id:07d}",
        "amount": Decimal(loan.amount) / CENTS,
        "rate": loan.rate,
        "subsidy_rate": loan.subsidy,
        "guarantee_fee_rate": loan.fee,
        "fee_subsidy_rate": _fee_subsidy_rate(loan),
        # The status reports below amortise equal principal each month.
        "repayment_method": RepaymentMethod.EQUAL_PRINCIPAL.value,
        "term_months": loan.term,
        "disbursed_on": loan.disbursed_on,
        "maturity_on": loan.maturity_on,
        "status": _loan_status(ctx, loan).value,
        "created_at": loan.created_at,
    }


def _fee_subsidy_rate(loan: _Loan) -> Decimal:
    return fee_subsidy_rate(loan.fee, [benefit for benefit, _ in loan.grants]).quantize(
        Decimal("0.0001")
    )


def _grant_rows(ctx: _Context, loans: list[_Loan]) -> Iterator[dict[str, Any]]:
    """The committed grants of the seeded loans: what their credit decisions granted."""
    granted = [(loan, benefit, cost) for loan in loans for benefit, cost in loan.grants]
    ids = iter(ctx.ids(SubsidyGrant.__table__, len(granted)))
    for loan, benefit, cost in granted:
        yield {
            "id": next(ids),
            "policy_id": benefit.policy_id,
            "rule_version_id": benefit.rule_version_id,
            "lead_id": loan.lead.id,
            "loan_id": loan.id,
            "firm_id": loan.borrower.firm.id,
            "institution_id": loan.borrower.lender.id,
            "benefit_kind": benefit.benefit_kind.value,
            "value": benefit.value,
            "expected_amount": cost,
            "cap_used": yearly_amount(benefit, _price(loan)),
            "paid_amount": Decimal(0),
            "status": GrantStatus.COMMITTED.value,
            "created_at": loan.created_at,
        }


def _price(loan: _Loan) -> LoanPrice:
    return LoanPrice(
        amount=Decimal(loan.amount) / CENTS,
        rate=loan.rate,
        term_months=loan.term,
        guarantee_fee_rate=loan.fee,
    )


def _loan_status(ctx: _Context, loan: _Loan) -> LoanStatus:
    trouble = loan.trouble
    if trouble is not None and trouble.written_off is not None:
        return LoanStatus.WRITTEN_OFF
    if (trouble is None or trouble.months is not None) and loan.maturity_on <= ctx.today:
        return LoanStatus.REPAID
    return LoanStatus.ACTIVE


# ---------------------------------------------------------------------------
# Monthly status reports
# ---------------------------------------------------------------------------


def _seed_reports(ctx: _Context, loans: list[_Loan]) -> None:
    last = len(ctx.months) - 1
    count = sum(1 for loan in loans for _ in _history(loan, last))
    ids = iter(ctx.ids(LoanStatusReport.__table__, count))
    ctx.insert(
        LoanStatusReport.__table__,
        _report_rows(ctx, sorted(loans, key=lambda loan: loan.id), last, ids),
        "Loan status reports",
        count,
    )


def _report_rows(
    ctx: _Context, loans: list[_Loan], last: int, ids: Iterator[int]
) -> Iterator[dict[str, Any]]:
    reported = [_reported_at(ctx, month) for month in ctx.months]
    for loan in loans:
        lender = loan.borrower.lender
        reporter = lender.officers[0] if lender.officers else None
        for month, balance, days, tier in _history(loan, last):
            contradicts = (month - loan.month) in loan.contradictions
            yield {
                "id": next(ids),
                "loan_id": loan.id,
                "institution_id": lender.id,
                "period": ctx.months[month],
                "balance": Decimal(balance) / CENTS,
                "days_overdue": days,
                "five_tier_class": (FiveTierClass.SPECIAL_MENTION if contradicts else tier).value,
                "contradicts_overdue_rules": contradicts,
                "reported_by_id": reporter,
                "reported_at": reported[month] + dt.timedelta(days=lender.id % 5),
            }


def _reported_at(ctx: _Context, period: dt.date) -> dt.datetime:
    """Banks report by the 5th of the following month (10:00 Beijing), never in the future."""
    due = add_months(period, 1).replace(day=3)
    return min(_local(due, 10), ctx.now - dt.timedelta(days=5))


# ---------------------------------------------------------------------------
# Guarantee letters on the guaranteed loans, and compensation where they defaulted
# ---------------------------------------------------------------------------

SUBMITTED_WITHIN = dt.timedelta(days=30)  # claims filed since then still await the guarantor
SHARE_APPROVED = 0.8  # onward share claims government staff have approved; the rest wait
RECOVERED_SHARE = 1 / 3  # paid compensations with money recovered from the firm since
RECOVERY_FRACTION = (0.10, 0.40)  # of the loss
# The share of loans under a guarantee letter the check accepts: the aim is 12–18%.
GUARANTEED_SHARE = (Decimal("0.10"), Decimal("0.20"))
EVIDENCE = {
    "overdue": "借款人逾期超过90天，经催收仍未归还，申请代偿。附逾期通知书和催收记录。",
    "loss": "贷款已分类为损失类，借款人无力偿还，申请代偿。附五级分类认定材料和催收记录。",
}


@dataclass(slots=True)
class _Claim:
    """A bank's compensation claim on a defaulted guaranteed loan, as seeded."""

    loan: _Loan
    report_id: int
    ground: str
    loss: Decimal
    filed_at: dt.datetime
    split: dict[str, Decimal]
    status: ClaimStatus = ClaimStatus.SUBMITTED
    decided_at: dt.datetime | None = None
    recovered: Decimal = Decimal(0)
    id: int = 0


def _seed_guarantees(ctx: _Context, loans: list[_Loan]) -> None:
    """An issued request and a letter for every guaranteed loan; claims on those in default."""
    guaranteed = sorted(
        (loan for loan in loans if loan.letter is not None), key=lambda loan: loan.lead.decided_at
    )
    requests, letters = GuaranteeRequest.__table__, Guarantee.__table__
    count = len(guaranteed)
    ids = zip(ctx.ids(requests, count), ctx.ids(letters, count), strict=True)
    for loan, (request_id, letter_id) in zip(guaranteed, ids, strict=True):
        loan.letter.request_id, loan.letter.id = request_id, letter_id
        _letter_times(ctx.rng, loan)
    ctx.insert(requests, map(_request_row, guaranteed), "Guarantee requests", count)
    ctx.insert(letters, map(_letter_row, guaranteed), "Guarantee letters", count)
    _seed_compensations(ctx, guaranteed)


def _letter_times(rng: random.Random, loan: _Loan) -> None:
    """The bank's decision asks the guarantor: under 见贷即保 the letter comes with it, else
    an officer takes the request on and issues the letter before the firm takes the offer."""
    letter, lead = loan.letter, loan.lead
    if letter.automatic:
        letter.issued_at = lead.decided_at
        return
    guarantor = letter.pairing.guarantor
    letter.deadline_at = add_business_days(lead.decided_at, guarantor.response_days)
    issued = lead.decided_at + (lead.offer_taken_at - lead.decided_at) * rng.uniform(0.2, 0.8)
    letter.issued_at = min(issued, letter.deadline_at - _minutes(30))
    letter.accepted_at = lead.decided_at + (letter.issued_at - lead.decided_at) * rng.uniform(
        0.1, 0.5
    )
    officers = guarantor.officers
    letter.officer_id = officers[rng.randrange(len(officers))] if officers else None


def _request_row(loan: _Loan) -> dict[str, Any]:
    letter, lead = loan.letter, loan.lead
    guarantor = letter.pairing.guarantor
    return {
        "id": letter.request_id,
        "lead_id": lead.id,
        "need_id": lead.need.id,
        "institution_id": guarantor.id,
        "guarantee_product_id": guarantor.product_id,
        "rule_version_id": guarantor.rule_id,
        "mode": letter.pairing.agreement.mode.value,
        "status": GuaranteeRequestStatus.ISSUED.value,
        "amount": Decimal(loan.amount) / CENTS,
        "term_months": loan.term,
        "deadline_at": letter.deadline_at,
        "accepted_at": letter.accepted_at,
        "first_response_at": letter.accepted_at or letter.issued_at,
        "handled_by_id": letter.officer_id,
        "decline_code": None,
        "decline_note": None,
        "decided_at": letter.issued_at,
        "closed_reason": None,
        "created_at": lead.decided_at,
    }


def _letter_row(loan: _Loan) -> dict[str, Any]:
    letter, guarantor = loan.letter, loan.letter.pairing.guarantor
    amount = Decimal(loan.amount) / CENTS
    issued_on = letter.issued_at.astimezone(SHANGHAI).date()
    return {
        "id": letter.id,
        "request_id": letter.request_id,
        "lead_id": loan.lead.id,
        "loan_id": loan.id,
        "institution_id": guarantor.id,
        "bank_institution_id": loan.borrower.lender.id,
        "guarantee_product_id": guarantor.product_id,
        "firm_id": loan.borrower.firm.id,
        # The letter's id keeps the number unique; the app's own numbers are longer.
        "letter_no": f"DB{issued_on:%Y%m%d}{letter.id:06d}",
        "amount": amount,
        "coverage_share": GUARANTEE_COVERAGE,
        "covered_amount": guarantee_requests.covered(amount, GUARANTEE_COVERAGE),
        "fee_rate": guarantor.fee,
        "fee_amount": guarantee_fee_total(amount, guarantor.fee, loan.term),
        "term_months": loan.term,
        "automatic": letter.automatic,
        "issued_at": letter.issued_at,
        "issued_by_id": letter.officer_id,
        "risk_terms": guarantor.terms,
    }


def _seed_compensations(ctx: _Context, guaranteed: list[_Loan]) -> None:
    """Claims on the letters whose loans reached the agreement's trigger (90 days overdue or
    损失): paid and shared onward for most, the newest still waiting; some recovered since."""
    claims = _plan_claims(ctx, guaranteed)
    table = Compensation.__table__
    for claim, claim_id in zip(claims, ctx.ids(table, len(claims)), strict=True):
        claim.id = claim_id
    recoveries = _plan_recoveries(ctx, claims)
    rows = [_compensation_row(ctx, claim) for claim in claims]
    ctx.insert(table, rows, "Compensations", len(rows))
    shares = list(_share_rows(ctx, claims))
    ctx.insert(CompensationShare.__table__, shares, "Compensation shares", len(shares))
    ctx.insert(CompensationRecovery.__table__, recoveries, "Recoveries", len(recoveries))


def _plan_claims(ctx: _Context, guaranteed: list[_Loan]) -> list[_Claim]:
    """Each defaulted guaranteed loan's claim, on its first report that allows one, oldest
    first. The loss is the principal the report shows, which stays as it is while the loan is
    in arrears: the last reported balance."""
    rng, now = ctx.rng, ctx.now
    by_id = {loan.id: loan for loan in guaranteed if loan.trouble is not None}
    claims = []
    for report in _claimable_reports(ctx, by_id):
        loan = by_id[report.loan_id]
        filed = report.reported_at + dt.timedelta(days=rng.uniform(2, 30))
        if filed >= now - dt.timedelta(hours=2):
            filed = report.reported_at + (now - report.reported_at) / 2
        terms = loan.letter.pairing.guarantor.terms
        amount = Decimal(loan.amount) / CENTS
        loss = Decimal(report.balance)
        split = sharing.split_loss(
            loss, terms, guarantee_requests.covered(amount, GUARANTEE_COVERAGE)
        )
        claims.append(_Claim(loan, report.id, report.ground, loss, filed, split))
    claims.sort(key=lambda claim: claim.filed_at)
    for claim in claims:
        decided = claim.filed_at + dt.timedelta(days=rng.uniform(3, 20))
        if claim.filed_at < now - SUBMITTED_WITHIN and decided < now - dt.timedelta(hours=1):
            claim.status, claim.decided_at = ClaimStatus.APPROVED, decided
    if claims:
        claims[-1].status, claims[-1].decided_at = ClaimStatus.SUBMITTED, None
    return claims


@dataclass(frozen=True, slots=True)
class _ClaimableReport:
    id: int
    loan_id: int
    balance: Decimal
    reported_at: dt.datetime
    ground: str


def _claimable_reports(ctx: _Context, loans: dict[int, _Loan]) -> list[_ClaimableReport]:
    """The first monthly report of each loan that makes it claimable under its letter."""
    reports = LoanStatusReport.__table__
    found: dict[int, _ClaimableReport] = {}
    loan_ids = sorted(loans)
    for start in range(0, len(loan_ids), CHUNK):
        rows = ctx.connection.execute(
            select(reports)
            .where(reports.c.loan_id.in_(loan_ids[start : start + CHUNK]))
            .order_by(reports.c.loan_id, reports.c.period)
        )
        for row in rows:
            if row.loan_id in found:
                continue
            terms = loans[row.loan_id].letter.pairing.guarantor.terms
            why = ground(
                FiveTierClass(row.five_tier_class),
                row.days_overdue,
                terms["trigger_overdue_days"],
            )
            if why is not None:
                found[row.loan_id] = _ClaimableReport(
                    row.id, row.loan_id, Decimal(row.balance), row.reported_at, why
                )
    return list(found.values())


def _compensation_row(ctx: _Context, claim: _Claim) -> dict[str, Any]:
    loan = claim.loan
    guarantor = loan.letter.pairing.guarantor
    approved = claim.status == ClaimStatus.APPROVED
    return {
        "id": claim.id,
        "guarantee_id": loan.letter.id,
        "loan_id": loan.id,
        "bank_institution_id": loan.borrower.lender.id,
        "institution_id": guarantor.id,
        "firm_id": loan.borrower.firm.id,
        "report_id": claim.report_id,
        "ground": claim.ground,
        "loss_amount": claim.loss,
        "claimed_amount": sharing.paid_to_bank(claim.split),
        "split": sharing.as_text(claim.split),
        "status": claim.status.value,
        "evidence_note": EVIDENCE[claim.ground],
        "decision_reason": None,
        "recovered_total": claim.recovered,
        "filed_by_id": _officer(ctx.rng, loan.borrower.lender),
        "filed_at": claim.filed_at,
        "decided_by_id": _guarantor_officer(ctx.rng, guarantor) if approved else None,
        "decided_at": claim.decided_at,
    }


def _guarantor_officer(rng: random.Random, guarantor: _Guarantor) -> int | None:
    officers = guarantor.officers
    return officers[rng.randrange(len(officers))] if officers else None


def _share_rows(ctx: _Context, claims: list[_Claim]) -> Iterator[dict[str, Any]]:
    """Once the guarantor has paid, its claims for the re-guarantee's and the government's
    parts: most approved by government staff of the firm's city or the province."""
    rng, now = ctx.rng, ctx.now
    staff = _gov_staff_by_region(ctx)
    onward = [
        (claim, party)
        for claim in claims
        if claim.status == ClaimStatus.APPROVED
        for party in sharing.CLAIMED_ONWARD
        if claim.split[party] > 0
    ]
    for (claim, party), share_id in zip(
        onward, ctx.ids(CompensationShare.__table__, len(onward)), strict=True
    ):
        city = claim.loan.borrower.firm.city
        reviewers = staff.get(city, []) + staff.get(PROVINCE, [])
        decided = claim.decided_at + dt.timedelta(days=rng.uniform(5, 40))
        approved = rng.random() < SHARE_APPROVED and decided < now and bool(reviewers)
        yield {
            "id": share_id,
            "compensation_id": claim.id,
            "party": party,
            "amount": claim.split[party],
            "status": (ClaimStatus.APPROVED if approved else ClaimStatus.SUBMITTED).value,
            "region_code": city,
            "decision_reason": None,
            "decided_by_id": reviewers[rng.randrange(len(reviewers))] if approved else None,
            "decided_at": decided if approved else None,
            "created_at": claim.decided_at,
        }


def _gov_staff_by_region(ctx: _Context) -> dict[str, list[int]]:
    """Government staff's user ids by their agency's region."""
    users, agencies = User.__table__, GovernmentAgency.__table__
    found: dict[str, list[int]] = {}
    for user_id, region in ctx.connection.execute(
        select(users.c.id, agencies.c.region_code)
        .join(agencies, agencies.c.id == users.c.agency_id)
        .where(users.c.role == Role.GOV_STAFF.value)
        .order_by(users.c.id)
    ):
        found.setdefault(region, []).append(user_id)
    return found


def _plan_recoveries(ctx: _Context, claims: list[_Claim]) -> list[dict[str, Any]]:
    """Money a third of the paid claims got back from the firm, shared back as the loss was."""
    rng, yesterday = ctx.rng, ctx.today - dt.timedelta(days=1)
    chosen = []
    for claim in claims:
        if claim.status != ClaimStatus.APPROVED or rng.random() >= RECOVERED_SHARE:
            continue
        paid_on = claim.decided_at.astimezone(SHANGHAI).date()
        if paid_on > yesterday:
            continue
        day = min(paid_on + dt.timedelta(days=rng.randint(20, 300)), yesterday)
        fraction = Decimal(str(round(rng.uniform(*RECOVERY_FRACTION), 4)))
        claim.recovered = (claim.loss * fraction).quantize(TWO_PLACES, ROUND_HALF_UP)
        chosen.append((claim, day))
    table = CompensationRecovery.__table__
    return [
        {
            "id": recovery_id,
            "compensation_id": claim.id,
            "amount": claim.recovered,
            "split": sharing.as_text(sharing.split_recovery(claim.recovered, claim.split)),
            "recovered_on": day,
            "note": "处置借款人抵债资产回收",
            "reported_by_id": _guarantor_officer(rng, claim.loan.letter.pairing.guarantor),
            "created_at": _local(day, 16),
        }
        for (claim, day), recovery_id in zip(chosen, ctx.ids(table, len(chosen)), strict=True)
    ]


# ---------------------------------------------------------------------------
# Finishing: budgets, marker, sequences, statistics, verification
# ---------------------------------------------------------------------------


def _seed_consents(ctx: _Context) -> None:
    """Every account accepted the user agreement and privacy policy in force, as signing up
    records: a deployment asks anyone who has not before any page (portal/legal/gate.py), and
    the benchmarks sign in as province users. One INSERT ... SELECT per document."""
    users, consents = User.__table__, Consent.__table__
    for version in current_versions(ctx.today):
        document = literal(version.document.value, consents.c.document.type)
        accepted = select(consents.c.user_id).where(
            consents.c.document == version.document.value,
            consents.c.version == version.version,
        )
        rows = select(
            users.c.id, document, literal(version.version), literal(utcnow(), UTCDateTime())
        ).where(users.c.id.not_in(accepted))
        ctx.connection.execute(
            insert(consents).from_select(["user_id", "document", "version", "accepted_at"], rows)
        )


def _finish(ctx: _Context) -> None:
    for policy in ctx.policies:
        if policy.drawn:
            ctx.connection.execute(
                update(PolicyProduct.__table__)
                .where(PolicyProduct.__table__.c.id == policy.rule.terms.id)
                .values(budget_committed=PolicyProduct.__table__.c.budget_committed + policy.drawn)
            )
    ctx.connection.execute(
        insert(SystemSetting.__table__).values(
            key=MARKER_KEY,
            value=f"scale {ctx.scale:g}, seeded {ctx.today.isoformat()}",
            updated_at=utcnow(),
        )
    )
    if ctx.connection.dialect.name == "postgresql":
        # The ids were chosen here, so the sequences have not moved: move them past the rows.
        for name in ctx.next_ids:
            table = _TABLES[name]
            ctx.connection.execute(
                select(
                    func.setval(
                        func.pg_get_serial_sequence(name, "id"),
                        select(func.max(table.c.id)).scalar_subquery(),
                    )
                )
            )


_TABLES = {
    table.name: table
    for table in (
        FinancialInstitution.__table__,
        GovernmentAgency.__table__,
        BankProduct.__table__,
        RuleVersion.__table__,
        Firm.__table__,
        User.__table__,
        FinancingNeed.__table__,
        Lead.__table__,
        Loan.__table__,
        SubsidyGrant.__table__,
        LoanStatusReport.__table__,
        GuaranteeProduct.__table__,
        RiskShareAgreement.__table__,
        GuaranteeAgreement.__table__,
        GuaranteeRequest.__table__,
        Guarantee.__table__,
        Compensation.__table__,
        CompensationShare.__table__,
        CompensationRecovery.__table__,
    )
}


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL's autovacuum would lag behind)."""
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _verify(ctx: _Context) -> None:
    """Totals from the tables, and the dashboard's own figures for the whole window."""
    report, c = ctx.report, db.session.connection()  # the load's connection closed at commit
    institutions = FinancialInstitution.__table__
    report.totals.update(
        institutions=c.execute(select(func.count(institutions.c.id))).scalar(),
        approved_institutions=c.execute(
            select(func.count(institutions.c.id)).where(
                institutions.c.onboarding_status == OnboardingStatus.APPROVED.value
            )
        ).scalar(),
        users=c.execute(select(func.count(User.__table__.c.id))).scalar(),
        firms=c.execute(select(func.count(Firm.__table__.c.id))).scalar(),
        loans=c.execute(select(func.count(Loan.__table__.c.id))).scalar(),
        amount=Decimal(c.execute(select(func.sum(Loan.__table__.c.amount))).scalar()).quantize(
            TWO_PLACES
        ),
    )
    result = figures(Filters(ctx.first_month, ctx.last_month))
    s = result.summary
    report.dashboard = {
        "loans": s.loans,
        "amount": s.amount,
        "average": s.average,
        "inclusive_share_count": s.inclusive_share_count,
        "inclusive_share_amount": s.inclusive_share_amount,
        "approval_rate": s.approval_rate,
        "same_day_rate": s.same_day_rate,
        "median_response_hours": s.median_response_hours,
        "sla_breaches": s.sla_breaches,
        "npl_ratio": s.npl_ratio,
    }
    report.npl_by_month = [(m.month, m.npl_ratio) for m in result.months]
    report.guarantees = _guarantee_totals(c, report.totals["loans"])
    _checks(ctx)


def _guarantee_totals(c: Connection, loans: int) -> dict[str, Any]:
    """Letters on loans and their share of all loans; compensations by status; recoveries."""
    letters, compensations = Guarantee.__table__, Compensation.__table__
    on_loans = c.execute(
        select(func.count(letters.c.id)).where(letters.c.loan_id.is_not(None))
    ).scalar()
    by_status = dict(
        c.execute(
            select(compensations.c.status, func.count(compensations.c.id)).group_by(
                compensations.c.status
            )
        ).all()
    )
    return {
        "letters": on_loans,
        "automatic": c.execute(
            select(func.count(letters.c.id)).where(letters.c.automatic.is_(True))
        ).scalar(),
        "share": Decimal(on_loans) / loans if loans else None,
        "compensations": sum(by_status.values()),
        "paid": by_status.get(ClaimStatus.APPROVED, 0),
        "waiting": by_status.get(ClaimStatus.SUBMITTED, 0),
        "shares": c.execute(select(func.count(CompensationShare.__table__.c.id))).scalar(),
        "recoveries": c.execute(select(func.count(CompensationRecovery.__table__.c.id))).scalar(),
    }


def _checks(ctx: _Context) -> None:
    report = ctx.report
    totals, d, g = report.totals, report.dashboard, report.guarantees
    recent = [r for _, r in report.npl_by_month[-12:] if r is not None]
    full = ctx.scale == 1.0
    report.checks = [
        Check("institutions", f"{totals['institutions']:,}",
              totals["institutions"] == TARGET_INSTITUTIONS),
        Check("users", f"{totals['users']:,}", totals["users"] == ctx.scaled(TARGET_USERS)),
        Check("loans", f"{d['loans']:,}", d["loans"] == totals["target_loans"]
              and totals["loans"] == totals["target_loans"]),
        Check("amount", f"{d['amount']:,.2f}", d["amount"] == totals["target_amount"]),
        Check("inclusive>98%", _pct(d["inclusive_share_count"]),
              (d["inclusive_share_count"] or 0) > Decimal("0.98")),
        Check("same-day>50%", _pct(d["same_day_rate"]), (d["same_day_rate"] or 0) > Decimal("0.5")),
        Check("guaranteed 10-20%", _pct(g["share"]),
              GUARANTEED_SHARE[0] <= (g["share"] or 0) <= GUARANTEED_SHARE[1]),
        Check("NPL 1-3% (last 12 months)" if full else "NPL last month 1-3%",
              f"{_pct(min(recent))}–{_pct(max(recent))}" if recent else "n/a",
              bool(recent) and all(Decimal("0.01") <= r <= Decimal("0.03")
                                   for r in (recent if full else recent[-1:]))),
    ]  # fmt: skip


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _person(rng: random.Random) -> str:
    surname = SURNAMES[rng.randrange(len(SURNAMES))]
    given = GIVEN[rng.randrange(len(GIVEN))]
    if rng.random() < 0.75:
        given += GIVEN[rng.randrange(len(GIVEN))]
    return surname + given


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _days_of(month: dt.date) -> list[dt.date]:
    following = add_months(month, 1)
    return [month + dt.timedelta(days=n) for n in range((following - month).days)]


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to the weights (largest remainders), adding up exactly."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts
