"""Government policy files: one YAML file per policy under policies/, checked and upserted by id.

`flask --app wsgi policies load policies/` calls load_directory(); the demo seeder calls
upsert_directory(), which does the same work inside the caller's transaction.

File format (policies/README.md is the full reference):

    id: fj-green-loan-interest-subsidy      # slug of [a-z0-9-], unique and stable: the upsert key
    title: 绿色低碳项目贷款贴息
    agency:                                 # matched by name; created when missing
      name: 福建省委金融办
      short_name: 省委金融办
      region_code: "350000"                 # GB/T 2260 code, quoted so that YAML keeps it text
    kind: interest_subsidy                  # interest_subsidy | guarantee_fee_subsidy |
                                            # risk_compensation | first_loan_reward
    summary: >-                             # optional
      对绿色企业的贷款按执行利率的 30% 贴息……
    source:
      document: 闽金融〔2024〕27号
      date: 2024-09-03                      # ISO dates only
    valid_from: 2024-10-01
    valid_to: 2027-09-30                    # optional; later than valid_from
    budget: 80000000                        # yuan, optional
    benefit:
      kind: rate_points                     # rate_points | fee_share | loss_share | lump_sum
      formula: min(rate * 0.3, 1)           # rule-language formula (see below)
      cap: 500000                           # yuan per firm, optional; not above budget
      day_count: 360                        # optional: 360 (default) or 365, interest subsidies
      pays_non_performing: false            # optional: interest subsidies only
      claim_overdue_days: 90                # optional, 1–3650: risk compensation only
    eligibility: >-                         # rule-language condition
      "green" in qualifications and size_class in ["medium", "small", "micro"]
    applies_to:                             # optional
      kinds: [credit, mortgage]             # ProductKind values; empty or absent = every kind
      products:                             # optional; narrows the policy to these products
        - {bank: 兴业银行福州分行, product: 技术流科技信用贷}
    status: published                       # published (default) | draft | closed

What the benefit formula yields, by benefit.kind: rate_points, percentage points off the loan's
annual rate (`lpr_one_year * 0.5`, or `max(rate - 3.15, 0)` so the firm pays at most 3.15%);
fee_share, the share (0–1) of the guarantee fee the policy pays; loss_share, the share (0–1) of a
loan loss the risk pool covers; lump_sum, a one-off amount in yuan (`min(amount * 0.01, 100000)`).
The formula must stay inside that range for every loan (portal.catalog.benefit_checks, the same
check the web form makes): `100` points or a share of `50` is refused, not clamped.

Loading is all or nothing: every file is read and checked first (YAML syntax, required and unknown
fields, values, rules, references to agencies' products, duplicate ids); if anything is wrong,
PolicyFileError lists every problem with its file and field, and nothing is written. Loading the
same files again changes nothing: attributes are assigned only when their values differ, and
record_rules() adds a rule version only when the rule texts changed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml
from sqlalchemy import select

from portal.audit.actions import AuditAction
from portal.audit.service import record
from portal.catalog import benefit_checks
from portal.catalog.models import BankProduct, PolicyProduct
from portal.catalog.versions import record_rules
from portal.db import assign_changed, utcnow
from portal.enums import BenefitKind, PolicyKind, ProductKind, ProductStatus
from portal.extensions import db
from portal.institutions.models import FinancialInstitution, GovernmentAgency
from portal.numbers import MONEY_YUAN, NumberError, check_value, parse_number
from portal.rules import RuleError, compile_formula, compile_rule
from portal.rules.explain import format_number

FILE_SUFFIXES = (".yaml", ".yml")
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
REGION_PATTERN = re.compile(r"\d{6}")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
INDEXED_PART = re.compile(r"(\w+)\[(\d+)\]")
POLICY_MONEY = MONEY_YUAN.narrow(low=Decimal("0.01"))  # budgets and caps are above 0

# The fields each mapping may hold; anything else is a typo and is reported, never ignored.
ALLOWED_FIELDS: dict[str, tuple[str, ...]] = {
    "": (
        "id",
        "title",
        "agency",
        "kind",
        "summary",
        "source",
        "valid_from",
        "valid_to",
        "budget",
        "benefit",
        "eligibility",
        "applies_to",
        "status",
    ),
    "agency": ("name", "short_name", "region_code"),
    "source": ("document", "date"),
    "benefit": (
        "kind",
        "formula",
        "cap",
        "day_count",
        "pays_non_performing",
        "claim_overdue_days",
    ),
    "applies_to": ("kinds", "products"),
}
PRODUCT_FIELDS = ("bank", "product")

# The file's word for a status, and the status stored.
STATUSES = {
    "published": ProductStatus.PUBLISHED,
    "draft": ProductStatus.DRAFT,
    "closed": ProductStatus.ARCHIVED,
}
# Where each benefit problem is reported in a file.
BENEFIT_PATHS = {
    benefit_checks.FORMULA: "benefit.formula",
    benefit_checks.CAP: "benefit.cap",
    benefit_checks.DAY_COUNT: "benefit.day_count",
    benefit_checks.PAYS_NON_PERFORMING: "benefit.pays_non_performing",
    benefit_checks.CLAIM_OVERDUE: "benefit.claim_overdue_days",
}

_E = TypeVar("_E", bound=StrEnum)


class PolicyFileError(Exception):
    """One or more policy files are invalid; the message lists every problem, one a line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        header = f"政策文件有 {len(problems)} 处问题，未写入任何内容："
        super().__init__("\n".join([header, *problems]))


@dataclass(frozen=True)
class AgencySpec:
    name: str
    short_name: str
    region_code: str


@dataclass(frozen=True)
class ProductRef:
    """A bank product named by its bank's full name and its own name."""

    bank: str
    product: str


@dataclass(frozen=True)
class PolicySpec:
    """One policy file, read and checked."""

    file: str  # the file's name, stored as the policy's source_file
    label: str  # the file's path as given, used in messages
    slug: str
    title: str
    agency: AgencySpec
    kind: PolicyKind
    summary: str
    source_document: str
    source_date: dt.date
    valid_from: dt.date
    valid_to: dt.date | None
    budget: Decimal | None
    benefit_kind: BenefitKind
    formula: str
    benefit_cap: Decimal | None
    eligibility: str
    applies_to_kinds: tuple[ProductKind, ...]
    products: tuple[ProductRef, ...]
    status: ProductStatus
    day_count: int = 360
    pays_non_performing: bool = False
    claim_overdue_days: int | None = None


@dataclass
class LoadReport:
    """What one load did: policies created, updated or unchanged, and rule versions added."""

    files: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rule_versions: int = 0
    agencies: int = 0

    def summary(self) -> str:
        """A line of counts, then one line per created or updated policy."""
        lines = [
            f"Policy files (政策文件): {self.files} read; {len(self.created)} created, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged; "
            f"{self.rule_versions} new rule versions; {self.agencies} agencies added."
        ]
        lines += [f"  + {slug}" for slug in self.created]
        lines += [f"  ~ {slug}" for slug in self.updated]
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def load_directory(directory: str | Path) -> LoadReport:
    """Check every policy file in `directory` and upsert them all, committing; or write nothing."""
    try:
        report = upsert_directory(directory)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return report


def upsert_directory(directory: str | Path) -> LoadReport:
    """Like load_directory() but inside the caller's transaction: flushes, never commits."""
    specs = check_directory(directory)
    product_ids = _resolve_products(specs)
    report = LoadReport(files=len(specs))
    agencies = _agencies_for(specs, report)
    slugs = [spec.slug for spec in specs]
    existing = {
        policy.slug: policy
        for policy in db.session.scalars(select(PolicyProduct).where(PolicyProduct.slug.in_(slugs)))
    }
    for spec in specs:
        agency = agencies[spec.agency.name]
        _upsert(spec, existing.get(spec.slug), agency, product_ids[spec.slug], report)
    return report


def check_directory(directory: str | Path) -> list[PolicySpec]:
    """Read and check every file in `directory`; raise PolicyFileError listing all problems."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PolicyFileError([f"{directory}：目录不存在"])
    paths = sorted(p for p in directory.iterdir() if p.suffix in FILE_SUFFIXES and p.is_file())
    if not paths:
        raise PolicyFileError([f"{directory}：目录中没有政策文件（*.yaml）"])
    specs: list[PolicySpec] = []
    problems: list[str] = []
    for path in paths:
        spec, file_problems = read_file(path)
        problems += file_problems
        if spec is not None:
            specs.append(spec)
    problems += _duplicate_ids(specs)
    problems += _product_problems(specs)
    if problems:
        raise PolicyFileError(problems)
    return specs


# ---------------------------------------------------------------------------
# Reading one file
# ---------------------------------------------------------------------------


def read_file(path: Path) -> tuple[PolicySpec | None, list[str]]:
    """Parse and check one file: its spec when it is valid, and its problems."""
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        return None, [f"{label}：文件不是 UTF-8 编码"]
    except yaml.YAMLError as error:
        return None, [f"{label}：{_yaml_problem(error)}"]
    if not isinstance(data, dict):
        return None, [f"{label}：文件内容应为字段映射（id: …、title: … 等）"]
    reader = _Reader(label, data)
    reader.problems += [f"{label}：{problem}" for problem in _duplicate_keys(text)]
    _check_fields(reader)
    spec = _read_spec(reader, path.name)
    return (spec if not reader.problems else None), reader.problems


def _yaml_problem(error: yaml.YAMLError) -> str:
    """A YAML error with its line and column, counted from 1."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is None:
        return f"YAML 语法错误：{problem}"
    message = f"YAML 语法错误（第 {mark.line + 1} 行第 {mark.column + 1} 列）：{problem}"
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and context_mark is not None:
        message += f"（{context}，始于第 {context_mark.line + 1} 行）"
    return message


def _duplicate_keys(text: str) -> list[str]:
    """Keys written twice in one mapping, which safe_load would silently collapse to the last."""
    problems = []
    stack = [yaml.compose(text, Loader=yaml.SafeLoader)]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                stack.append(value)
                if not isinstance(key, yaml.ScalarNode):
                    continue
                if key.value in seen:
                    problems.append(f"字段 {key.value} 在第 {key.start_mark.line + 1} 行重复出现")
                seen.add(key.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return problems


def _check_fields(reader: _Reader) -> None:
    """Report mappings of the wrong shape and every field the format does not know."""
    for path, allowed in ALLOWED_FIELDS.items():
        node = reader.data if not path else reader.data.get(path)
        reader.check_keys(path, node, allowed)
    products = reader.value("applies_to.products", required=False)
    if isinstance(products, list):
        for index, item in enumerate(products):
            reader.check_keys(f"applies_to.products[{index}]", item, PRODUCT_FIELDS)


def _read_spec(reader: _Reader, file_name: str) -> PolicySpec | None:
    """Every field of the file, typed; None when any of them is wrong."""
    slug = reader.slug("id")
    title = reader.text("title", max_length=160)
    agency = _read_agency(reader)
    kind = reader.choice("kind", PolicyKind, "政策类型")
    summary = reader.text("summary", required=False) or ""
    document = reader.text("source.document", max_length=160)
    source_date = reader.date("source.date")
    valid_from = reader.date("valid_from")
    valid_to = reader.date("valid_to", required=False)
    if valid_from and valid_to and valid_to <= valid_from:
        reader.problem("valid_to", "日期应晚于 valid_from")
    budget = reader.money("budget")
    benefit_kind, formula, cap = _read_benefit(reader)
    settlement = _read_settlement(reader)
    _check_benefit(reader, kind, benefit_kind, formula, cap, budget, settlement)
    eligibility = reader.rule("eligibility", compile_rule)
    kinds = _read_kinds(reader)
    products = _read_products(reader)
    status = _read_status(reader)
    if reader.problems:
        return None
    return PolicySpec(
        file=file_name,
        label=reader.label,
        slug=slug,
        title=title,
        agency=agency,
        kind=kind,
        summary=summary,
        source_document=document,
        source_date=source_date,
        valid_from=valid_from,
        valid_to=valid_to,
        budget=budget,
        benefit_kind=benefit_kind,
        formula=formula,
        benefit_cap=cap,
        eligibility=eligibility,
        applies_to_kinds=kinds,
        products=products,
        status=status,
        **settlement,
    )


def _read_agency(reader: _Reader) -> AgencySpec | None:
    name = reader.text("agency.name", max_length=120)
    short_name = reader.text("agency.short_name", max_length=40)
    region_code = reader.region("agency.region_code")
    if name and short_name and region_code:
        return AgencySpec(name, short_name, region_code)
    return None


def _read_benefit(
    reader: _Reader,
) -> tuple[BenefitKind | None, str | None, Decimal | None]:
    kind = reader.choice("benefit.kind", BenefitKind, "优惠方式")
    formula = reader.rule("benefit.formula", compile_formula)
    cap = reader.money("benefit.cap")
    return kind, formula, cap


def _read_settlement(reader: _Reader) -> dict[str, Any]:
    """The settlement settings, with their defaults when absent (None where unreadable)."""
    day_count = reader.whole("benefit.day_count")
    overdue = reader.whole("benefit.claim_overdue_days")
    paying = reader.value("benefit.pays_non_performing", required=False)
    if paying is not None and not isinstance(paying, bool):
        reader.problem("benefit.pays_non_performing", f"“{_shown(paying)}” 应为 true 或 false")
        paying = None
    return {
        "day_count": 360 if day_count is None else day_count,
        "pays_non_performing": bool(paying),
        "claim_overdue_days": overdue,
    }


def _check_benefit(
    reader: _Reader,
    kind: PolicyKind | None,
    benefit_kind: BenefitKind | None,
    formula: str | None,
    cap: Decimal | None,
    budget: Decimal | None,
    settlement: dict[str, Any],
) -> None:
    """The benefit against the range its kind allows: the web form's check, field by field."""
    settings = benefit_checks.BenefitSettings(
        kind=kind, benefit_kind=benefit_kind, formula=formula, cap=cap, budget=budget, **settlement
    )
    for problem in benefit_checks.benefit_problems(settings):
        reader.problem(BENEFIT_PATHS[problem.field], problem.message)


def _read_kinds(reader: _Reader) -> tuple[ProductKind, ...]:
    values = reader.value("applies_to.kinds", required=False)
    if values is None:
        return ()
    if not isinstance(values, list):
        reader.problem("applies_to.kinds", "应为产品类型列表，例如 [credit, mortgage]")
        return ()
    kinds = [
        reader.choice(f"applies_to.kinds[{index}]", ProductKind, "产品类型")
        for index in range(len(values))
    ]
    return tuple(dict.fromkeys(kind for kind in kinds if kind is not None))


def _read_products(reader: _Reader) -> tuple[ProductRef, ...]:
    items = reader.value("applies_to.products", required=False)
    if items is None:
        return ()
    if not isinstance(items, list):
        reader.problem("applies_to.products", "应为列表，每项写明 bank 和 product")
        return ()
    refs = []
    for index, item in enumerate(items):
        if item is None:
            reader.problem(f"applies_to.products[{index}]", "不能为空，应写明 bank 和 product")
        if not isinstance(item, dict):
            continue  # other shapes are reported by _check_fields
        bank = reader.text(f"applies_to.products[{index}].bank", max_length=120)
        product = reader.text(f"applies_to.products[{index}].product", max_length=80)
        if bank and product:
            refs.append(ProductRef(bank, product))
    return tuple(dict.fromkeys(refs))


def _read_status(reader: _Reader) -> ProductStatus | None:
    value = reader.value("status", required=False)
    if value is None:
        return ProductStatus.PUBLISHED
    if not isinstance(value, str) or value not in STATUSES:
        reader.problem("status", f"“{value}” 不是有效的状态，可选：{'、'.join(STATUSES)}")
        return None
    return STATUSES[value]


def _number_text(value: int | float) -> str:
    """A number the YAML parser read, as text: 0.5 → "0.5"; a 5,000-digit integer → "1E+4999"."""
    return repr(value) if isinstance(value, float) else format_number(value)


def _shown(value: object, limit: int = 40) -> str:
    """A value as the file wrote it, cut short for a message (never failing on a huge number)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = _number_text(value)
    else:
        try:
            text = value if isinstance(value, str) else repr(value)
        except ValueError:  # a list holding an integer too long to print
            text = "…"
    return text if len(text) <= limit else text[:limit] + "…"


class _Reader:
    """Typed fields out of one parsed file; each problem is noted and reading goes on."""

    def __init__(self, label: str, data: dict[str, Any]) -> None:
        self.label = label
        self.data = data
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{self.label}：字段 {path}：{message}")

    def value(self, path: str, *, required: bool = True) -> Any:
        """The raw value at a path such as `applies_to.products[0].bank`; None when absent."""
        node: Any = self.data
        parts = path.split(".")
        for depth, part in enumerate(parts, start=1):
            key, index = _path_part(part)
            if not isinstance(node, dict):
                return None  # the parent's wrong shape is reported by check_keys
            node = node.get(key)
            if index is not None:
                node = node[index] if isinstance(node, list) and index < len(node) else None
            if node is None:
                if required:
                    # Name the outermost missing field: "source", not each of its fields.
                    missing = ".".join(parts[:depth])
                    self.missing(missing)
                return None
        return node

    def missing(self, path: str) -> None:
        message = f"{self.label}：缺少必填字段 {path}"
        if message not in self.problems:
            self.problems.append(message)

    def check_keys(self, path: str, node: Any, allowed: tuple[str, ...]) -> None:
        """Report a mapping of the wrong type and its unknown keys, suggesting the likely one."""
        if node is None:
            return
        if not isinstance(node, dict):
            self.problem(path, f"应为包含 {'、'.join(allowed)} 的映射")
            return
        for key in node:
            if key in allowed:
                continue
            name = f"{path}.{key}" if path else str(key)
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"（是否应为 {close[0]}？）" if close else f"（可用字段：{'、'.join(allowed)}）"
            self.problems.append(f"{self.label}：未知字段 {name}{hint}")

    def text(
        self,
        path: str,
        *,
        required: bool = True,
        max_length: int | None = None,
        numbers: bool = False,
    ) -> str | None:
        """A non-empty string, stripped; with `numbers`, 0.5 is taken as the text "0.5"."""
        value = self.value(path, required=required)
        if numbers and isinstance(value, int | float) and not isinstance(value, bool):
            value = _number_text(value)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(path, f"应为文本，实际为 {_shown(value)}")
            return None
        value = value.strip()
        if not value:
            if required:
                self.problem(path, "不能为空")
            return None
        if max_length is not None and len(value) > max_length:
            self.problem(path, f"不能超过 {max_length} 个字符")
            return None
        return value

    def slug(self, path: str) -> str | None:
        value = self.text(path, max_length=80)
        if value is not None and not SLUG_PATTERN.fullmatch(value):
            self.problem(path, f"“{value}” 只能由小写字母、数字和连字符组成，例如 fj-green-loan")
            return None
        return value

    def region(self, path: str) -> str | None:
        """A six-digit GB/T 2260 code; an unquoted 350000 is accepted as "350000"."""
        value = self.value(path)
        if isinstance(value, int) and not isinstance(value, bool):
            value = _number_text(value)
        if value is not None and not (isinstance(value, str) and REGION_PATTERN.fullmatch(value)):
            self.problem(path, f"“{_shown(value)}” 不是 6 位行政区划代码")
            return None
        return value

    def choice(self, path: str, enum_cls: type[_E], noun: str) -> _E | None:
        value = self.value(path)
        if value is None:
            return None
        try:
            return enum_cls(value)
        except ValueError:
            options = "、".join(member.value for member in enum_cls)
            self.problem(path, f"“{value}” 不是有效的{noun}，可选：{options}")
            return None

    def date(self, path: str, *, required: bool = True) -> dt.date | None:
        """An ISO date, written bare (YAML makes it a date) or quoted."""
        value = self.value(path, required=required)
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str) and DATE_PATTERN.fullmatch(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(path, f"“{value}” 不是有效日期，请写作 2024-06-28")
        return None

    def money(self, path: str) -> Decimal | None:
        """An optional positive amount in yuan with at most two decimals (never via float)."""
        value = self.value(path, required=False)
        if value is None:
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise NumberError("", problem="syntax")
            if isinstance(value, int):
                return check_value(value, POLICY_MONEY)
            text = value if isinstance(value, str) else _number_text(value)
            return parse_number(text, POLICY_MONEY)
        except NumberError as error:
            if error.problem == "places":
                self.problem(path, "金额最多保留两位小数")
            else:
                self.problem(path, f"“{_shown(value)}” 应为大于 0 的金额（元），例如 200000000")
            return None

    def whole(self, path: str) -> int | None:
        """An optional whole number, written bare (YAML makes it an integer); None if absent."""
        value = self.value(path, required=False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"“{_shown(value)}” 应为整数")
            return None
        return value

    def rule(self, path: str, compile_text: Callable[[str], object]) -> str | None:
        """A rule or formula text that compiles; the rule language's message names the column."""
        text = self.text(path, numbers=True)
        if text is None:
            return None
        try:
            compile_text(text)
        except RuleError as error:
            self.problem(path, error.message)
            return None
        return text


def _path_part(part: str) -> tuple[str, int | None]:
    """`products[0]` → ("products", 0); `kind` → ("kind", None)."""
    match = INDEXED_PART.fullmatch(part)
    if match is None:
        return part, None
    return match.group(1), int(match.group(2))


# ---------------------------------------------------------------------------
# Checks across files and against the database
# ---------------------------------------------------------------------------


def _duplicate_ids(specs: list[PolicySpec]) -> list[str]:
    """Each file whose id an earlier file already uses."""
    first: dict[str, PolicySpec] = {}
    problems = []
    for spec in specs:
        if spec.slug in first:
            problems.append(f"{spec.label}：id “{spec.slug}” 与 {first[spec.slug].label} 重复")
        else:
            first[spec.slug] = spec
    return problems


def _product_problems(specs: list[PolicySpec]) -> list[str]:
    """Named products that do not exist, or whose kind the file's own kinds exclude."""
    problems = []
    found = _products_by_ref(specs)
    for spec in specs:
        for index, ref in enumerate(spec.products):
            prefix = f"{spec.label}：字段 applies_to.products[{index}]："
            product = found.get(ref)
            if product is None:
                problems.append(f"{prefix}找不到银行“{ref.bank}”的产品“{ref.product}”")
            elif spec.applies_to_kinds and product.kind not in spec.applies_to_kinds:
                problems.append(
                    f"{prefix}产品“{ref.product}”的类型 {product.kind.value} "
                    "不在 applies_to.kinds 中"
                )
    return problems


def _products_by_ref(specs: list[PolicySpec]) -> dict[ProductRef, BankProduct]:
    """The bank products the files name, keyed by (bank name, product name)."""
    refs = {ref for spec in specs for ref in spec.products}
    if not refs:
        return {}
    rows = db.session.execute(
        select(FinancialInstitution.name, BankProduct)
        .join(BankProduct, BankProduct.institution_id == FinancialInstitution.id)
        .where(FinancialInstitution.name.in_({ref.bank for ref in refs}))
        .where(BankProduct.name.in_({ref.product for ref in refs}))
    ).tuples()
    return {ProductRef(bank, product.name): product for bank, product in rows}


def _resolve_products(specs: list[PolicySpec]) -> dict[str, list[int]]:
    """Each policy's product ids, sorted (every reference was checked to exist)."""
    found = _products_by_ref(specs)
    return {spec.slug: sorted({found[ref].id for ref in spec.products}) for spec in specs}


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _agencies_for(specs: list[PolicySpec], report: LoadReport) -> dict[str, GovernmentAgency]:
    """The agencies the files name, by name; missing ones are created from the first file."""
    names = sorted({spec.agency.name for spec in specs})
    agencies = {
        agency.name: agency
        for agency in db.session.scalars(
            select(GovernmentAgency).where(GovernmentAgency.name.in_(names))
        )
    }
    for spec in specs:
        if spec.agency.name in agencies:
            continue
        agency = GovernmentAgency(
            name=spec.agency.name,
            short_name=spec.agency.short_name,
            region_code=spec.agency.region_code,
        )
        db.session.add(agency)
        agencies[agency.name] = agency
        report.agencies += 1
    return agencies


def _upsert(
    spec: PolicySpec,
    policy: PolicyProduct | None,
    agency: GovernmentAgency,
    product_ids: list[int],
    report: LoadReport,
) -> None:
    """Create or update one policy and its rules, and audit whatever changed."""
    created = policy is None
    if policy is None:
        policy = PolicyProduct(slug=spec.slug)
        db.session.add(policy)
    values = _column_values(spec, agency, product_ids) | _status_values(policy, spec.status)
    changed = _assign(policy, values)
    db.session.flush()
    version, new_version = record_rules(
        policy, eligibility=spec.eligibility, formula=spec.formula, note=f"loaded from {spec.file}"
    )
    report.rule_versions += int(new_version)
    if created:
        report.created.append(spec.slug)
    elif changed or new_version:
        report.updated.append(spec.slug)
    else:
        report.unchanged.append(spec.slug)
        return
    result = "created" if created else "updated"
    record(
        AuditAction.POLICY_LOAD,
        obj=policy,
        file=spec.file,
        result=result,
        rule_version=version.version,
    )


def _column_values(
    spec: PolicySpec, agency: GovernmentAgency, product_ids: list[int]
) -> dict[str, Any]:
    """The policy's attributes as the file states them."""
    return {
        "title": spec.title,
        "agency": agency,
        "kind": spec.kind,
        "summary": spec.summary,
        "source_document": spec.source_document,
        "source_date": spec.source_date,
        "valid_from": spec.valid_from,
        "valid_to": spec.valid_to,
        "budget": spec.budget,
        "benefit_kind": spec.benefit_kind,
        "benefit_cap": spec.benefit_cap,
        "applies_to_kinds": [kind.value for kind in spec.applies_to_kinds],
        "applies_to_product_ids": product_ids,
        "source_file": spec.file,
        "day_count": spec.day_count,
        "pays_non_performing": spec.pays_non_performing,
        "claim_overdue_days": spec.claim_overdue_days,
    }


def _status_values(policy: PolicyProduct, status: ProductStatus) -> dict[str, Any]:
    """Status and its timestamps: published_at is set once, closed_at when first closed."""
    values: dict[str, Any] = {"status": status}
    if status == ProductStatus.PUBLISHED:
        values["closed_at"] = None
        if policy.published_at is None:
            values["published_at"] = utcnow()
    elif status == ProductStatus.ARCHIVED and policy.closed_at is None:
        values["closed_at"] = utcnow()
    return values


def _assign(policy: PolicyProduct, values: dict[str, Any]) -> bool:
    """Set only the attributes whose values differ (so updated_at moves only on real change)."""
    return bool(assign_changed(policy, values))
