"""National standards for firms: credit codes, size classes and reference lists."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from portal.words import N_, render

# ---------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# ---------------------------------------------------------------------------

CREDIT_CODE_LENGTH = 18

# I, O, S, V and Z are left out of the standard's alphabet because they are
# easily confused with 1, 0, 5, U and 2 when codes are copied by hand.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES = {char: value for value, char in enumerate(CREDIT_CODE_ALPHABET)}

# Weight i is 3**i mod 31, as laid down by GB 32100-2015.
CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(CREDIT_CODE_LENGTH - 1))

# Positions 9-17 embed an organisation code checked under GB 11714.
ORGANISATION_SLICE = slice(8, 17)
ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

CREDIT_CODE_REASONS = ("length", "character", "organisation_check", "check_character")


class CreditCodeError(ValueError):
    """A unified social credit code that fails GB 32100-2015 validation."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        position: int | None = None,
        character: str | None = None,
        expected: str | None = None,
    ) -> None:
        """Record the machine-readable reason alongside the Chinese message."""
        super().__init__(message)
        self.reason = reason
        self.position = position  # 1-based position of the offending character
        self.character = character
        self.expected = expected


def normalise_credit_code(raw: str) -> str:
    """Return the code with all whitespace removed and letters upper-cased."""
    # NFKC folds full-width characters typed with Chinese input methods to ASCII.
    folded = unicodedata.normalize("NFKC", raw)
    return "".join(folded.split()).upper()


def _organisation_char_value(char: str) -> int:
    """Return the GB 11714 value of a digit or an upper-case Latin letter."""
    if char.isascii() and char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - 55
    raise ValueError(f"字符“{char}”不是组织机构代码允许的字符")


def organisation_check_char(first8: str) -> str:
    """Return the GB 11714 check character for an 8-character organisation body."""
    if len(first8) != len(ORGANISATION_WEIGHTS):
        raise ValueError(f"组织机构代码本体应为8位，当前为{len(first8)}位")
    total = sum(
        _organisation_char_value(char) * weight
        for char, weight in zip(first8, ORGANISATION_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def credit_check_char(first17: str) -> str:
    """Return the GB 32100 check character (position 18) for the first 17 characters."""
    if len(first17) != CREDIT_CODE_LENGTH - 1:
        raise ValueError(f"统一社会信用代码前17位应为17位，当前为{len(first17)}位")
    for char in first17:
        if char not in _CREDIT_VALUES:
            raise ValueError(f"字符“{char}”不是统一社会信用代码允许的字符")
    total = sum(
        _CREDIT_VALUES[char] * weight for char, weight in zip(first17, CREDIT_WEIGHTS, strict=True)
    )
    # A remainder of 0 would give 31, which the standard folds back to 0.
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def _check_length(code: str) -> None:
    """Raise if the code is not exactly 18 characters long."""
    if len(code) != CREDIT_CODE_LENGTH:
        raise CreditCodeError(
            "length", f"统一社会信用代码应为{CREDIT_CODE_LENGTH}位，当前为{len(code)}位"
        )


def _check_characters(code: str) -> None:
    """Raise on the first character outside the credit code alphabet."""
    for index, char in enumerate(code):
        if char not in _CREDIT_VALUES:
            raise CreditCodeError(
                "character",
                f"第{index + 1}位字符“{char}”不是统一社会信用代码允许的字符",
                position=index + 1,
                character=char,
            )


def _check_organisation_code(code: str) -> None:
    """Raise if the embedded organisation code (positions 9-17) has a bad check."""
    organisation = code[ORGANISATION_SLICE]
    expected = organisation_check_char(organisation[:8])
    if organisation[8] != expected:
        raise CreditCodeError(
            "organisation_check",
            "组织机构代码（第9–17位）校验位错误",
            position=ORGANISATION_SLICE.stop,
            character=organisation[8],
            expected=expected,
        )


def _check_final_character(code: str) -> None:
    """Raise if the 18th character does not match the computed check."""
    expected = credit_check_char(code[:-1])
    if code[-1] != expected:
        raise CreditCodeError(
            "check_character",
            f"统一社会信用代码校验位（第18位）错误，应为“{expected}”",
            position=CREDIT_CODE_LENGTH,
            character=code[-1],
            expected=expected,
        )


def validate_credit_code(raw: str) -> str:
    """Return the normalised code, or raise CreditCodeError explaining the fault."""
    code = normalise_credit_code(raw)
    # Order matters: each check relies on the previous ones having passed.
    _check_length(code)
    _check_characters(code)
    _check_organisation_code(code)
    _check_final_character(code)
    return code


def is_valid_credit_code(raw: str) -> bool:
    """Return whether the code passes validate_credit_code."""
    try:
        validate_credit_code(raw)
    except CreditCodeError:
        return False
    return True


def make_credit_code(
    registration_dept: str, org_type: str, region_code: str, org_body8: str
) -> str:
    """Build a valid code from department, type, 6-digit region and 8-char body."""
    dept, kind, body = registration_dept.upper(), org_type.upper(), org_body8.upper()
    if len(dept) != 1 or len(kind) != 1:
        raise ValueError("登记管理部门代码和机构类别代码均应为1位")
    if len(region_code) != 6 or not (region_code.isascii() and region_code.isdigit()):
        raise ValueError(f"登记管理机关行政区划码应为6位数字，当前为“{region_code}”")
    if len(body) != 8:
        raise ValueError(f"组织机构代码本体应为8位，当前为{len(body)}位")
    first17 = dept + kind + region_code + body + organisation_check_char(body)
    # credit_check_char rejects any part outside the credit code alphabet.
    return first17 + credit_check_char(first17)


# ---------------------------------------------------------------------------
# Industry classification (GB/T 4754-2017)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndustrySection:
    """A GB/T 4754-2017 section (门类) with its inclusive division range."""

    letter: str
    name: str
    first_division: int
    last_division: int

    def contains(self, division: int) -> bool:
        """Return whether the two-digit division falls in this section."""
        return self.first_division <= division <= self.last_division


_SECTIONS = (
    IndustrySection("A", N_("农、林、牧、渔业"), 1, 5),
    IndustrySection("B", N_("采矿业"), 6, 12),
    IndustrySection("C", N_("制造业"), 13, 43),
    IndustrySection("D", N_("电力、热力、燃气及水生产和供应业"), 44, 46),
    IndustrySection("E", N_("建筑业"), 47, 50),
    IndustrySection("F", N_("批发和零售业"), 51, 52),
    IndustrySection("G", N_("交通运输、仓储和邮政业"), 53, 60),
    IndustrySection("H", N_("住宿和餐饮业"), 61, 62),
    IndustrySection("I", N_("信息传输、软件和信息技术服务业"), 63, 65),
    IndustrySection("J", N_("金融业"), 66, 69),
    IndustrySection("K", N_("房地产业"), 70, 70),
    IndustrySection("L", N_("租赁和商务服务业"), 71, 72),
    IndustrySection("M", N_("科学研究和技术服务业"), 73, 75),
    IndustrySection("N", N_("水利、环境和公共设施管理业"), 76, 79),
    IndustrySection("O", N_("居民服务、修理和其他服务业"), 80, 82),
    IndustrySection("P", N_("教育"), 83, 83),
    IndustrySection("Q", N_("卫生和社会工作"), 84, 85),
    IndustrySection("R", N_("文化、体育和娱乐业"), 86, 90),
    IndustrySection("S", N_("公共管理、社会保障和社会组织"), 91, 96),
    IndustrySection("T", N_("国际组织"), 97, 97),
)

INDUSTRY_SECTIONS: Mapping[str, IndustrySection] = MappingProxyType(
    {section.letter: section for section in _SECTIONS}
)

_DIVISIONS = (
    ("01", N_("农业")),
    ("02", N_("林业")),
    ("03", N_("畜牧业")),
    ("04", N_("渔业")),
    ("05", N_("农、林、牧、渔专业及辅助性活动")),
    ("06", N_("煤炭开采和洗选业")),
    ("07", N_("石油和天然气开采业")),
    ("08", N_("黑色金属矿采选业")),
    ("09", N_("有色金属矿采选业")),
    ("10", N_("非金属矿采选业")),
    ("11", N_("开采专业及辅助性活动")),
    ("12", N_("其他采矿业")),
    ("13", N_("农副食品加工业")),
    ("14", N_("食品制造业")),
    ("15", N_("酒、饮料和精制茶制造业")),
    ("16", N_("烟草制品业")),
    ("17", N_("纺织业")),
    ("18", N_("纺织服装、服饰业")),
    ("19", N_("皮革、毛皮、羽毛及其制品和制鞋业")),
    ("20", N_("木材加工和木、竹、藤、棕、草制品业")),
    ("21", N_("家具制造业")),
    ("22", N_("造纸和纸制品业")),
    ("23", N_("印刷和记录媒介复制业")),
    ("24", N_("文教、工美、体育和娱乐用品制造业")),
    ("25", N_("石油、煤炭及其他燃料加工业")),
    ("26", N_("化学原料和化学制品制造业")),
    ("27", N_("医药制造业")),
    ("28", N_("化学纤维制造业")),
    ("29", N_("橡胶和塑料制品业")),
    ("30", N_("非金属矿物制品业")),
    ("31", N_("黑色金属冶炼和压延加工业")),
    ("32", N_("有色金属冶炼和压延加工业")),
    ("33", N_("金属制品业")),
    ("34", N_("通用设备制造业")),
    ("35", N_("专用设备制造业")),
    ("36", N_("汽车制造业")),
    ("37", N_("铁路、船舶、航空航天和其他运输设备制造业")),
    ("38", N_("电气机械和器材制造业")),
    ("39", N_("计算机、通信和其他电子设备制造业")),
    ("40", N_("仪器仪表制造业")),
    ("41", N_("其他制造业")),
    ("42", N_("废弃资源综合利用业")),
    ("43", N_("金属制品、机械和设备修理业")),
    ("44", N_("电力、热力生产和供应业")),
    ("45", N_("燃气生产和供应业")),
    ("46", N_("水的生产和供应业")),
    ("47", N_("房屋建筑业")),
    ("48", N_("土木工程建筑业")),
    ("49", N_("建筑安装业")),
    ("50", N_("建筑装饰、装修和其他建筑业")),
    ("51", N_("批发业")),
    ("52", N_("零售业")),
    ("53", N_("铁路运输业")),
    ("54", N_("道路运输业")),
    ("55", N_("水上运输业")),
    ("56", N_("航空运输业")),
    ("57", N_("管道运输业")),
    ("58", N_("多式联运和运输代理业")),
    ("59", N_("装卸搬运和仓储业")),
    ("60", N_("邮政业")),
    ("61", N_("住宿业")),
    ("62", N_("餐饮业")),
    ("63", N_("电信、广播电视和卫星传输服务")),
    ("64", N_("互联网和相关服务")),
    ("65", N_("软件和信息技术服务业")),
    ("66", N_("货币金融服务")),
    ("67", N_("资本市场服务")),
    ("68", N_("保险业")),
    ("69", N_("其他金融业")),
    ("70", N_("房地产业")),
    ("71", N_("租赁业")),
    ("72", N_("商务服务业")),
    ("73", N_("研究和试验发展")),
    ("74", N_("专业技术服务业")),
    ("75", N_("科技推广和应用服务业")),
    ("76", N_("水利管理业")),
    ("77", N_("生态保护和环境治理业")),
    ("78", N_("公共设施管理业")),
    ("79", N_("土地管理业")),
    ("80", N_("居民服务业")),
    ("81", N_("机动车、电子产品和日用产品修理业")),
    ("82", N_("其他服务业")),
    ("83", N_("教育")),
    ("84", N_("卫生")),
    ("85", N_("社会工作")),
    ("86", N_("新闻和出版业")),
    ("87", N_("广播、电视、电影和录音制作业")),
    ("88", N_("文化艺术业")),
    ("89", N_("体育")),
    ("90", N_("娱乐业")),
    ("91", N_("中国共产党机关")),
    ("92", N_("国家机构")),
    ("93", N_("人民政协、民主党派")),
    ("94", N_("社会保障")),
    ("95", N_("群众团体、社会团体和其他成员组织")),
    ("96", N_("基层群众自治组织及其他组织")),
    ("97", N_("国际组织")),
)

# Real estate is the one division the size standard splits by class, so the
# two classes it names are offered alongside the divisions (right after 70).
REAL_ESTATE_DEVELOPMENT_CLASS = "7010"
PROPERTY_MANAGEMENT_CLASS = "7020"
_REAL_ESTATE_CLASSES = (
    (REAL_ESTATE_DEVELOPMENT_CLASS, N_("房地产开发经营")),
    (PROPERTY_MANAGEMENT_CLASS, N_("物业管理")),
)


def _with_real_estate_classes() -> tuple[tuple[str, str], ...]:
    """Return the divisions with the real-estate classes placed after division 70."""
    at = next(i for i, (code, _) in enumerate(_DIVISIONS) if code == "70") + 1
    return _DIVISIONS[:at] + _REAL_ESTATE_CLASSES + _DIVISIONS[at:]


INDUSTRY_DIVISIONS: Mapping[str, str] = MappingProxyType(dict(_with_real_estate_classes()))
_DIVISION_CODES = frozenset(code for code, _ in _DIVISIONS)


def _parse_industry_code(code: str) -> str:
    """Return the stripped code, or raise ValueError if it is not a known 2-4 digit code."""
    code = code.strip()
    if not (2 <= len(code) <= 4 and code.isascii() and code.isdigit()):
        raise ValueError(f"行业代码应为2至4位数字（GB/T 4754-2017），当前为“{code}”")
    if code[:2] not in _DIVISION_CODES:
        raise ValueError(f"行业代码“{code}”不属于GB/T 4754-2017的大类01–97")
    return code


def industry_section(code: str) -> IndustrySection:
    """Return the section (门类) that an industry code belongs to."""
    division = int(_parse_industry_code(code)[:2])
    return next(section for section in _SECTIONS if section.contains(division))


def industry_label(code: str) -> str:
    """Return "code name" for an industry code, naming its division if not listed; the name
    in the reader's language."""
    code = _parse_industry_code(code)
    name = INDUSTRY_DIVISIONS.get(code) or INDUSTRY_DIVISIONS[code[:2]]
    return f"{code} {render(name)}"


def industry_name(code: str | None) -> str:
    """An industry's label for display, or the bare code if it is not in the reference list."""
    try:
        return industry_label(code or "")
    except (KeyError, ValueError):
        return code or "—"


def industry_choices(two_digit_only: bool = False) -> list[tuple[str, str]]:
    """(code, "code name") for every division (and the real-estate classes), in the reader's
    language: the choices of industry fields."""
    return [
        (code, f"{code} {render(name)}")
        for code, name in INDUSTRY_DIVISIONS.items()
        if not two_digit_only or len(code) == 2
    ]


# ---------------------------------------------------------------------------
# Enterprise size classes (工信部联企业〔2011〕300号)
# ---------------------------------------------------------------------------


class SizeClass(StrEnum):
    """Enterprise size class."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


SIZE_LABELS: Mapping[SizeClass, str] = MappingProxyType(
    {
        SizeClass.LARGE: "大型",
        SizeClass.MEDIUM: "中型",
        SizeClass.SMALL: "小型",
        SizeClass.MICRO: "微型",
    }
)


class SizeCategory(StrEnum):
    """An industry row of the size standard."""

    AGRICULTURE = "agriculture"
    INDUSTRY = "industry"
    CONSTRUCTION = "construction"
    WHOLESALE = "wholesale"
    RETAIL = "retail"
    TRANSPORT = "transport"
    WAREHOUSING = "warehousing"
    POSTAL = "postal"
    ACCOMMODATION = "accommodation"
    CATERING = "catering"
    INFORMATION_TRANSMISSION = "information_transmission"
    SOFTWARE = "software"
    REAL_ESTATE_DEVELOPMENT = "real_estate_development"
    PROPERTY_MANAGEMENT = "property_management"
    LEASING_BUSINESS = "leasing_business"
    OTHER = "other"


class Measure(StrEnum):
    """A quantity the size standard compares: X, Y or Z."""

    EMPLOYEES = "employees"  # X, persons
    REVENUE = "revenue"  # Y, 万元 of operating revenue
    TOTAL_ASSETS = "total_assets"  # Z, 万元


X, Y, Z = Measure.EMPLOYEES, Measure.REVENUE, Measure.TOTAL_ASSETS


@dataclass(frozen=True)
class SizeStandard:
    """Thresholds for one industry row; each tuple lines up with ``measures``."""

    category: SizeCategory
    label: str
    divisions: tuple[str, ...]  # code prefixes (division, group or class)
    measures: tuple[Measure, ...]
    large: tuple[int, ...]  # large only when every measure reaches these
    medium: tuple[int, ...]
    small: tuple[int, ...]


# Rows in the order of the notice; "SME when X<a or Y<b" is stored as large=(a, b).
# fmt: off
SIZE_STANDARDS: tuple[SizeStandard, ...] = (
    SizeStandard(
        SizeCategory.AGRICULTURE, "农、林、牧、渔业",
        ("01", "02", "03", "04", "05"), (Y,), (20000,), (500,), (50,),
    ),
    SizeStandard(
        SizeCategory.INDUSTRY, "工业",
        tuple(f"{d:02d}" for d in range(6, 47)), (X, Y), (1000, 40000), (300, 2000), (20, 300),
    ),
    SizeStandard(
        SizeCategory.CONSTRUCTION, "建筑业",
        ("47", "48", "49", "50"), (Y, Z), (80000, 80000), (6000, 5000), (300, 300),
    ),
    SizeStandard(
        SizeCategory.WHOLESALE, "批发业", ("51",), (X, Y), (200, 40000), (20, 5000), (5, 1000),
    ),
    SizeStandard(
        SizeCategory.RETAIL, "零售业", ("52",), (X, Y), (300, 20000), (50, 500), (10, 100),
    ),
    SizeStandard(
        # The notice's transport row excludes railways (53), which fall to "other".
        SizeCategory.TRANSPORT, "交通运输业（不含铁路运输业）",
        ("54", "55", "56", "57", "58"), (X, Y), (1000, 30000), (300, 3000), (20, 200),
    ),
    SizeStandard(
        SizeCategory.WAREHOUSING, "仓储业", ("59",), (X, Y), (200, 30000), (100, 1000), (20, 100),
    ),
    SizeStandard(
        SizeCategory.POSTAL, "邮政业", ("60",), (X, Y), (1000, 30000), (300, 2000), (20, 100),
    ),
    SizeStandard(
        SizeCategory.ACCOMMODATION, "住宿业",
        ("61",), (X, Y), (300, 10000), (100, 2000), (10, 100),
    ),
    SizeStandard(
        SizeCategory.CATERING, "餐饮业", ("62",), (X, Y), (300, 10000), (100, 2000), (10, 100),
    ),
    SizeStandard(
        SizeCategory.INFORMATION_TRANSMISSION, "信息传输业",
        ("63", "64"), (X, Y), (2000, 100000), (100, 1000), (10, 100),
    ),
    SizeStandard(
        SizeCategory.SOFTWARE, "软件和信息技术服务业",
        ("65",), (X, Y), (300, 10000), (100, 1000), (10, 50),
    ),
    SizeStandard(
        SizeCategory.REAL_ESTATE_DEVELOPMENT, "房地产开发经营",
        ("701",), (Y, Z), (200000, 10000), (1000, 5000), (100, 2000),
    ),
    SizeStandard(
        SizeCategory.PROPERTY_MANAGEMENT, "物业管理",
        ("702",), (X, Y), (1000, 5000), (300, 1000), (100, 500),
    ),
    SizeStandard(
        SizeCategory.LEASING_BUSINESS, "租赁和商务服务业",
        ("71", "72"), (X, Z), (300, 120000), (100, 8000), (10, 100),
    ),
    # Catch-all row; it must stay last because its empty prefix matches anything.
    SizeStandard(
        SizeCategory.OTHER, "其他未列明行业", ("",), (X,), (300,), (100,), (10,),
    ),
)
# fmt: on

SIZE_STANDARD_BY_CATEGORY: Mapping[SizeCategory, SizeStandard] = MappingProxyType(
    {standard.category: standard for standard in SIZE_STANDARDS}
)

_TEN_THOUSAND = Decimal(10000)


@functools.lru_cache(maxsize=2048)  # a few hundred codes in use; re-verification asks per firm
def size_standard(industry_code: str) -> SizeStandard:
    """Return the size-standard row that applies to a GB/T 4754-2017 code."""
    code = _parse_industry_code(industry_code)
    # A bare division "70" carries no class, so it falls through to OTHER.
    return next(
        standard
        for standard in SIZE_STANDARDS
        if any(code.startswith(prefix) for prefix in standard.divisions)
    )


def size_category(industry_code: str) -> SizeCategory:
    """Return the size-standard category for a GB/T 4754-2017 code."""
    return size_standard(industry_code).category


def yuan_to_wan(amount_yuan: Decimal) -> Decimal:
    """Convert yuan to 万元 exactly."""
    if isinstance(amount_yuan, float):
        # Binary floats cannot hold most yuan amounts exactly; refuse them.
        raise TypeError("金额应为Decimal或整数，不接受浮点数")
    return Decimal(amount_yuan) / _TEN_THOUSAND


def _reaches(
    values: Mapping[Measure, Decimal], measures: tuple[Measure, ...], row: tuple[int, ...]
) -> bool:
    """Return whether every measure is at or above its limit in the given row."""
    return all(values[measure] >= limit for measure, limit in zip(measures, row, strict=True))


def classify_size(
    industry_code: str, employees: int, revenue_yuan: Decimal, total_assets_yuan: Decimal
) -> SizeClass:
    """Return the size class of a firm from its industry, headcount, revenue and assets."""
    if employees < 0:
        raise ValueError("从业人员数不能为负数")
    values = {
        X: Decimal(employees),
        Y: yuan_to_wan(revenue_yuan),
        Z: yuan_to_wan(total_assets_yuan),
    }
    if values[Y] < 0 or values[Z] < 0:
        raise ValueError("营业收入和资产总额不能为负数")
    standard = size_standard(industry_code)
    if _reaches(values, standard.measures, standard.large):
        return SizeClass.LARGE
    if _reaches(values, standard.measures, standard.medium):
        return SizeClass.MEDIUM
    if _reaches(values, standard.measures, standard.small):
        return SizeClass.SMALL
    return SizeClass.MICRO


# ---------------------------------------------------------------------------
# Other reference data
# ---------------------------------------------------------------------------

FUJIAN_REGIONS: tuple[tuple[str, str], ...] = (
    ("350000", N_("福建省")),
    ("350100", N_("福州市")),
    ("350200", N_("厦门市")),
    ("350300", N_("莆田市")),
    ("350400", N_("三明市")),
    ("350500", N_("泉州市")),
    ("350600", N_("漳州市")),
    ("350700", N_("南平市")),
    ("350800", N_("龙岩市")),
    ("350900", N_("宁德市")),
)
_REGION_NAMES = dict(FUJIAN_REGIONS)


def region_label(code: str) -> str:
    """Return the name of a Fujian region code in the reader's language, or raise KeyError."""
    try:
        return render(_REGION_NAMES[code.strip()])
    except KeyError:
        raise KeyError(f"未知的行政区划代码“{code}”") from None


def region_name(code: str | None) -> str:
    """A region's name for display, or the bare code if it is not in the reference list."""
    try:
        return region_label(code or "")
    except KeyError:
        return code or "—"


def region_choices(cities_only: bool = False) -> list[tuple[str, str]]:
    """(code, name) of the province and its cities, in the reader's language."""
    return [
        (code, render(name))
        for code, name in FUJIAN_REGIONS
        if not cities_only or not code.endswith("0000")
    ]


TAX_CREDIT_GRADES = ("A", "B", "M", "C", "D")
TAX_CREDIT_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "A": "A级：年度评价指标得分90分以上",
        "B": "B级：年度评价指标得分70分以上不满90分",
        "M": "M级：新设立企业或评价年度内无生产经营业务收入且得分70分以上",
        "C": "C级：年度评价指标得分40分以上不满70分",
        "D": "D级：年度评价指标得分不满40分或存在直接判级D级情形",
    }
)

QUALIFICATIONS: Mapping[str, str] = MappingProxyType(
    {
        "high_tech": "高新技术企业",
        "specialised": "专精特新",
        "tech_sme": "科技型中小企业",
        "agricultural": "涉农",
        "green": "绿色",
    }
)
