"""Unit tests for portal.firms.standards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.firms.standards import (
    CREDIT_CODE_ALPHABET,
    FUJIAN_REGIONS,
    INDUSTRY_DIVISIONS,
    INDUSTRY_SECTIONS,
    QUALIFICATIONS,
    SIZE_LABELS,
    SIZE_STANDARDS,
    TAX_CREDIT_DESCRIPTIONS,
    TAX_CREDIT_GRADES,
    CreditCodeError,
    SizeCategory,
    SizeClass,
    classify_size,
    credit_check_char,
    industry_label,
    industry_section,
    make_credit_code,
    normalise_credit_code,
    organisation_check_char,
    region_label,
    size_category,
    validate_credit_code,
)

# Published codes of real enterprises (Fujian, Beijing, Shenzhen).
REAL_CODES = ("91350100M000100Y43", "91110000600037341L", "91440300708461136T")
VALID = REAL_CODES[0]

WAN = Decimal(10000)  # yuan per 万元


def wan(amount: int | str) -> Decimal:
    """Return an amount given in 万元 as Decimal yuan."""
    return Decimal(amount) * WAN


def replace_at(code: str, position: int, char: str) -> str:
    """Return code with the 1-based position replaced by char."""
    return code[: position - 1] + char + code[position:]


# ---------------------------------------------------------------------------
# Credit codes: valid input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_published_codes_are_valid(code: str) -> None:
    """Real published credit codes pass validation unchanged."""
    assert validate_credit_code(code) == code


def test_validation_normalises_spaces_and_case() -> None:
    """Lower-case letters and embedded or surrounding spaces are normalised away."""
    assert validate_credit_code("  91350100m000 100y43 ") == VALID


def test_validation_folds_full_width_characters() -> None:
    """Full-width digits and letters typed with Chinese input methods are accepted."""
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in VALID)
    assert validate_credit_code(full_width) == VALID


def test_normalise_does_not_validate() -> None:
    """Normalisation alone never raises, even for nonsense."""
    assert normalise_credit_code(" ab c ") == "ABC"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("9", "1", "350100", "M000100Y"), "91350100M000100Y43"),
        (("9", "1", "110000", "60003734"), "91110000600037341L"),
    ],
)
def test_make_credit_code_rebuilds_real_codes(parts: tuple[str, ...], expected: str) -> None:
    """make_credit_code reproduces real codes from their parts."""
    assert make_credit_code(*parts) == expected


@pytest.mark.parametrize("region", [code for code, _ in FUJIAN_REGIONS])
def test_make_credit_code_output_is_valid(region: str) -> None:
    """Generated codes for every Fujian region validate."""
    code = make_credit_code("9", "1", region, "7X3Q8K2A")
    assert validate_credit_code(code) == code
    assert code[2:8] == region


def test_check_helpers_agree_with_real_code() -> None:
    """The check helpers compute the characters found in a real code."""
    assert organisation_check_char(VALID[8:16]) == VALID[16]
    assert credit_check_char(VALID[:17]) == VALID[17]


@pytest.mark.parametrize(
    ("body", "check"),
    [("00000000", "0"), ("00000001", "9"), ("00000006", "X"), ("D2143569", "X")],
)
def test_organisation_check_special_values(body: str, check: str) -> None:
    """A check of 11 becomes '0' and a check of 10 becomes 'X'."""
    assert organisation_check_char(body) == check


@pytest.mark.parametrize(
    "parts",
    [
        ("91", "1", "350100", "12345678"),
        ("9", "1", "35010", "12345678"),
        ("9", "1", "35010A", "12345678"),
        ("9", "1", "350100", "1234567"),
        ("9", "1", "350100", "1234567I"),
    ],
)
def test_make_credit_code_rejects_bad_parts(parts: tuple[str, ...]) -> None:
    """make_credit_code refuses parts of the wrong size or alphabet."""
    with pytest.raises(ValueError):
        make_credit_code(*parts)


# ---------------------------------------------------------------------------
# Credit codes: invalid input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "length"), [(VALID[:17], 17), (VALID + "0", 19), ("", 0)])
def test_wrong_length_is_rejected(raw: str, length: int) -> None:
    """Codes that are not 18 characters long report the actual length."""
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(raw)
    assert caught.value.reason == "length"
    assert str(caught.value) == f"统一社会信用代码应为18位，当前为{length}位"


@pytest.mark.parametrize("char", ["I", "O", "S", "V", "Z", "i", "o", "s", "v", "z", "-", "*"])
def test_bad_character_is_rejected(char: str) -> None:
    """Characters outside the alphabet are reported with their position, after upper-casing."""
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(replace_at(VALID, 5, char))
    error = caught.value
    assert error.reason == "character"
    assert error.position == 5
    assert error.character == char.upper()
    assert str(error) == f"第5位字符“{char.upper()}”不是统一社会信用代码允许的字符"


def test_first_bad_character_is_reported() -> None:
    """When several characters are bad, the earliest one is named."""
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(replace_at(replace_at(VALID, 12, "Z"), 3, "O"))
    assert caught.value.position == 3


def test_wrong_organisation_check_is_rejected() -> None:
    """A wrong 17th character fails the embedded organisation-code check."""
    code = replace_at(VALID, 17, "5")
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(code)
    error = caught.value
    assert error.reason == "organisation_check"
    assert error.position == 17
    assert error.expected == "4"
    assert "组织机构代码" in str(error)
    assert "校验位错误" in str(error)


def test_altered_organisation_body_is_rejected() -> None:
    """Changing a digit of the organisation body breaks its check character."""
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(replace_at(VALID, 12, "1"))
    assert caught.value.reason == "organisation_check"


def test_wrong_final_check_names_expected_character() -> None:
    """A wrong 18th character is reported together with the expected one."""
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code("91110000600037341X")
    error = caught.value
    assert error.reason == "check_character"
    assert error.position == 18
    assert error.character == "X"
    assert error.expected == "L"
    assert str(error) == "统一社会信用代码校验位（第18位）错误，应为“L”"


def test_credit_code_error_is_value_error() -> None:
    """CreditCodeError can be caught as a ValueError."""
    with pytest.raises(ValueError):
        validate_credit_code("123")


# ---------------------------------------------------------------------------
# Credit codes: properties
# ---------------------------------------------------------------------------

_alphabet_char = st.sampled_from(CREDIT_CODE_ALPHABET)
_region = st.from_regex(r"\A[0-9]{6}\Z")
_body = st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=8, max_size=8)


@given(dept=_alphabet_char, kind=_alphabet_char, region=_region, body=_body)
def test_generated_codes_validate(dept: str, kind: str, region: str, body: str) -> None:
    """Every code built from valid parts validates to itself."""
    code = make_credit_code(dept, kind, region, body)
    assert len(code) == 18
    assert validate_credit_code(code) == code


@given(
    dept=_alphabet_char,
    kind=_alphabet_char,
    region=_region,
    body=_body,
    replacement=_alphabet_char,
)
def test_any_other_final_character_fails(
    dept: str, kind: str, region: str, body: str, replacement: str
) -> None:
    """Replacing the 18th character by any other alphabet character fails the check."""
    code = make_credit_code(dept, kind, region, body)
    if replacement == code[17]:
        return
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(code[:17] + replacement)
    assert caught.value.reason == "check_character"
    assert caught.value.expected == code[17]


# ---------------------------------------------------------------------------
# Industry codes and size categories
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("01", SizeCategory.AGRICULTURE),
        ("05", SizeCategory.AGRICULTURE),
        ("06", SizeCategory.INDUSTRY),
        ("1310", SizeCategory.INDUSTRY),
        ("46", SizeCategory.INDUSTRY),
        ("47", SizeCategory.CONSTRUCTION),
        ("51", SizeCategory.WHOLESALE),
        ("52", SizeCategory.RETAIL),
        ("53", SizeCategory.OTHER),
        ("59", SizeCategory.WAREHOUSING),
        ("60", SizeCategory.POSTAL),
        ("61", SizeCategory.ACCOMMODATION),
        ("62", SizeCategory.CATERING),
        ("64", SizeCategory.INFORMATION_TRANSMISSION),
        ("65", SizeCategory.SOFTWARE),
        ("6510", SizeCategory.SOFTWARE),
        ("7010", SizeCategory.REAL_ESTATE_DEVELOPMENT),
        ("701", SizeCategory.REAL_ESTATE_DEVELOPMENT),
        ("7020", SizeCategory.PROPERTY_MANAGEMENT),
        ("70", SizeCategory.OTHER),
        ("7030", SizeCategory.OTHER),
        ("72", SizeCategory.LEASING_BUSINESS),
        ("66", SizeCategory.OTHER),
        ("73", SizeCategory.OTHER),
        ("97", SizeCategory.OTHER),
    ],
)
def test_size_category_mapping(code: str, category: SizeCategory) -> None:
    """Industry codes map to the size-standard row the notice assigns them."""
    assert size_category(code) == category


@pytest.mark.parametrize("code", ["", "1", "12345", "6a", "00", "98", "99", "9910", "６５"])
def test_size_category_rejects_unknown_codes(code: str) -> None:
    """Malformed or unknown industry codes raise ValueError with a Chinese message."""
    with pytest.raises(ValueError, match="行业代码"):
        size_category(code)


def test_size_standards_cover_every_category_once() -> None:
    """Each size category has exactly one row, with thresholds that line up."""
    categories = [standard.category for standard in SIZE_STANDARDS]
    assert sorted(categories) == sorted(SizeCategory)
    for standard in SIZE_STANDARDS:
        width = len(standard.measures)
        assert len(standard.large) == len(standard.medium) == len(standard.small) == width
        rows = zip(standard.small, standard.medium, standard.large, strict=True)
        assert all(small <= medium <= large for small, medium, large in rows)


# ---------------------------------------------------------------------------
# Size classification
# ---------------------------------------------------------------------------


def classify(code: str, x: int = 0, y: int | str = 0, z: int | str = 0) -> SizeClass:
    """Classify with revenue and assets given in 万元."""
    return classify_size(code, x, wan(y), wan(z))


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        (20000, SizeClass.LARGE),
        ("19999.9999", SizeClass.MEDIUM),
        (500, SizeClass.MEDIUM),
        ("499.9999", SizeClass.SMALL),
        (50, SizeClass.SMALL),
        ("49.9999", SizeClass.MICRO),
    ],
)
def test_agriculture_uses_revenue_only(y: int | str, expected: SizeClass) -> None:
    """Agriculture is classified by revenue alone, whatever the headcount."""
    assert classify("01", x=5000, y=y) == expected
    assert classify("0111", x=0, y=y) == expected


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (1000, 40000, SizeClass.LARGE),
        (999, 40000, SizeClass.MEDIUM),
        (1000, "39999.9999", SizeClass.MEDIUM),
        (300, 2000, SizeClass.MEDIUM),
        (299, 2000, SizeClass.SMALL),
        (300, "1999.99", SizeClass.SMALL),
        (20, 300, SizeClass.SMALL),
        (19, 300, SizeClass.MICRO),
        (20, "299.9999", SizeClass.MICRO),
        (5000, 100, SizeClass.MICRO),
    ],
)
def test_industry_thresholds(x: int, y: int | str, expected: SizeClass) -> None:
    """Industry needs both headcount and revenue to reach each threshold."""
    assert classify("13", x=x, y=y) == expected


def test_industry_revenue_in_yuan_is_converted_exactly() -> None:
    """Revenue of 3,000,000 yuan is exactly 300万元, the small threshold for industry."""
    assert classify_size("3911", 20, Decimal(3000000), Decimal(0)) == SizeClass.SMALL
    assert classify_size("3911", 20, Decimal("2999999.99"), Decimal(0)) == SizeClass.MICRO


@pytest.mark.parametrize(
    ("y", "z", "expected"),
    [
        (80000, 80000, SizeClass.LARGE),
        (80000, 79999, SizeClass.MEDIUM),
        (6000, 5000, SizeClass.MEDIUM),
        (5999, 5000, SizeClass.SMALL),
        (6000, 4999, SizeClass.SMALL),
        (300, 300, SizeClass.SMALL),
        (299, 300, SizeClass.MICRO),
        (300, 299, SizeClass.MICRO),
    ],
)
def test_construction_thresholds(y: int, z: int, expected: SizeClass) -> None:
    """Construction uses revenue and total assets, not headcount."""
    assert classify("4710", x=5000, y=y, z=z) == expected


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (200, 40000, SizeClass.LARGE),
        (199, 40000, SizeClass.MEDIUM),
        (20, 5000, SizeClass.MEDIUM),
        (19, 5000, SizeClass.SMALL),
        (20, 4999, SizeClass.SMALL),
        (5, 1000, SizeClass.SMALL),
        (4, 1000, SizeClass.MICRO),
        (5, 999, SizeClass.MICRO),
    ],
)
def test_wholesale_thresholds(x: int, y: int, expected: SizeClass) -> None:
    """Wholesale thresholds apply at and just below each boundary."""
    assert classify("51", x=x, y=y) == expected


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (300, 20000, SizeClass.LARGE),
        (299, 20000, SizeClass.MEDIUM),
        (50, 500, SizeClass.MEDIUM),
        (49, 500, SizeClass.SMALL),
        (50, 499, SizeClass.SMALL),
        (10, 100, SizeClass.SMALL),
        (9, 100, SizeClass.MICRO),
        (10, 99, SizeClass.MICRO),
    ],
)
def test_retail_thresholds(x: int, y: int, expected: SizeClass) -> None:
    """Retail thresholds apply at and just below each boundary."""
    assert classify("5211", x=x, y=y) == expected


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (300, 10000, SizeClass.LARGE),
        (300, 9999, SizeClass.MEDIUM),
        (100, 1000, SizeClass.MEDIUM),
        (99, 1000, SizeClass.SMALL),
        (100, 999, SizeClass.SMALL),
        (10, 50, SizeClass.SMALL),
        (9, 50, SizeClass.MICRO),
        (10, 49, SizeClass.MICRO),
    ],
)
def test_software_thresholds(x: int, y: int, expected: SizeClass) -> None:
    """Software and IT services thresholds apply at and just below each boundary."""
    assert classify("65", x=x, y=y) == expected


@pytest.mark.parametrize(
    ("y", "z", "expected"),
    [
        (200000, 10000, SizeClass.LARGE),
        (199999, 10000, SizeClass.MEDIUM),
        (200000, 9999, SizeClass.MEDIUM),
        (1000, 5000, SizeClass.MEDIUM),
        (999, 5000, SizeClass.SMALL),
        (1000, 4999, SizeClass.SMALL),
        (100, 2000, SizeClass.SMALL),
        (99, 2000, SizeClass.MICRO),
        (100, 1999, SizeClass.MICRO),
    ],
)
def test_real_estate_development_thresholds(y: int, z: int, expected: SizeClass) -> None:
    """Real-estate development uses revenue and total assets."""
    assert classify("7010", x=0, y=y, z=z) == expected


@pytest.mark.parametrize(
    ("x", "z", "expected"),
    [
        (300, 120000, SizeClass.LARGE),
        (299, 120000, SizeClass.MEDIUM),
        (100, 8000, SizeClass.MEDIUM),
        (100, 7999, SizeClass.SMALL),
        (10, 100, SizeClass.SMALL),
        (9, 100, SizeClass.MICRO),
        (10, 99, SizeClass.MICRO),
    ],
)
def test_leasing_thresholds(x: int, z: int, expected: SizeClass) -> None:
    """Leasing and business services use headcount and total assets, not revenue."""
    assert classify("7211", x=x, y=10**7, z=z) == expected


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (300, SizeClass.LARGE),
        (299, SizeClass.MEDIUM),
        (100, SizeClass.MEDIUM),
        (99, SizeClass.SMALL),
        (10, SizeClass.SMALL),
        (9, SizeClass.MICRO),
    ],
)
def test_other_industries_use_headcount_only(x: int, expected: SizeClass) -> None:
    """Industries not listed in the notice are classified by headcount alone."""
    assert classify("7320", x=x, y=10**7, z=10**7) == expected


def test_property_management_is_separate_from_development() -> None:
    """Property management has its own thresholds distinct from development."""
    assert classify("7020", x=1000, y=5000) == SizeClass.LARGE
    assert classify("7020", x=100, y=500) == SizeClass.SMALL
    assert classify("7020", x=99, y=500) == SizeClass.MICRO


def test_classify_rejects_floats_and_negatives() -> None:
    """Float money and negative quantities are refused rather than guessed at."""
    with pytest.raises(TypeError):
        classify_size("13", 10, 3000000.0, Decimal(0))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        classify_size("13", -1, Decimal(0), Decimal(0))
    with pytest.raises(ValueError):
        classify_size("13", 1, Decimal(-1), Decimal(0))


def test_size_labels_are_chinese() -> None:
    """Every size class has its Chinese label."""
    assert [SIZE_LABELS[size] for size in SizeClass] == ["大型", "中型", "小型", "微型"]


# ---------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------


def test_industry_divisions_are_complete_and_ordered() -> None:
    """All divisions 01-97 are listed in order, plus the two real-estate classes."""
    two_digit = [code for code in INDUSTRY_DIVISIONS if len(code) == 2]
    assert two_digit == [f"{d:02d}" for d in range(1, 98)]
    assert INDUSTRY_DIVISIONS["13"] == "农副食品加工业"
    assert INDUSTRY_DIVISIONS["65"] == "软件和信息技术服务业"
    codes = list(INDUSTRY_DIVISIONS)
    assert codes[codes.index("70") + 1 : codes.index("70") + 3] == ["7010", "7020"]


def test_sections_partition_the_divisions() -> None:
    """Sections A-T cover divisions 01-97 without gaps or overlaps."""
    assert list(INDUSTRY_SECTIONS) == list("ABCDEFGHIJKLMNOPQRST")
    covered = [
        d for s in INDUSTRY_SECTIONS.values() for d in range(s.first_division, s.last_division + 1)
    ]
    assert covered == list(range(1, 98))
    assert industry_section("6510").letter == "I"


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("01", "01 农业"),
        ("65", "65 软件和信息技术服务业"),
        ("7010", "7010 房地产开发经营"),
        ("6510", "6510 软件和信息技术服务业"),
    ],
)
def test_industry_label(code: str, label: str) -> None:
    """Labels use the listed name, falling back to the division's name."""
    assert industry_label(code) == label


def test_region_label() -> None:
    """Fujian region codes resolve to names; unknown codes raise KeyError."""
    assert len(FUJIAN_REGIONS) == 10
    assert region_label("350000") == "福建省"
    assert region_label("350500") == "泉州市"
    with pytest.raises(KeyError):
        region_label("110000")


def test_tax_grades_and_qualifications() -> None:
    """Tax credit grades and qualifications carry Chinese descriptions in order."""
    assert TAX_CREDIT_GRADES == ("A", "B", "M", "C", "D")
    assert set(TAX_CREDIT_DESCRIPTIONS) == set(TAX_CREDIT_GRADES)
    assert "90分" in TAX_CREDIT_DESCRIPTIONS["A"]
    assert list(QUALIFICATIONS) == ["high_tech", "specialised", "tech_sme", "agricultural", "green"]
    assert QUALIFICATIONS["specialised"] == "专精特新"
