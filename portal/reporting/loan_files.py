"""Monthly loan status files: reading CSV and XLSX uploads, checking every row, writing templates.

The file type is decided by content, never by the name: an XLSX file is a ZIP archive holding
`[Content_Types].xml`; anything else must decode as text (UTF-8 with or without a BOM, else
GB18030, which Excel on Chinese Windows writes) and is read as CSV.

Nothing here evaluates a formula. XLSX files are opened with `data_only=True`, so a formula cell
gives only the value Excel cached for it (none when the file was not saved by Excel), and a
text cell starting with = + - @ is just text: in a number column it is "not a number". Values
are taken as typed; only surrounding spaces are ignored.

This module knows nothing of the database: the caller passes the bank's loans by contract number
and applies the rows that pass.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _

from portal import spreadsheets
from portal.enums import FiveTierClass
from portal.numbers import DAYS, MONEY_YUAN, NumberError, Quantity, check_value, parse_number

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_DAYS_OVERDUE = 99_999
DAYS_OVERDUE = DAYS.narrow(high=MAX_DAYS_OVERDUE)
# NUMERIC(16, 2): anything at or above this cannot be stored, whatever the loan.
MONEY_CEILING = Decimal("1e14")
CHUNK = 64 * 1024

CONTRACT, PERIOD, BALANCE, DAYS, TIER = "contract_no", "period", "balance", "days_overdue", "tier"
COLUMNS = (CONTRACT, PERIOD, BALANCE, DAYS, TIER)
# The template's headers, in this order. They are part of the file format, so never translated.
HEADERS = {
    CONTRACT: "合同编号",
    PERIOD: "报告月份",
    BALANCE: "贷款余额（元）",
    DAYS: "逾期天数",
    TIER: "五级分类",
}
# The same columns for people who read the portal in English: the aliases below accept them.
ENGLISH_HEADERS = {
    CONTRACT: "contract_no",
    PERIOD: "period",
    BALANCE: "balance",
    DAYS: "days_overdue",
    TIER: "five_tier_class",
}
HEADER_ALIASES = {
    CONTRACT: ("合同编号", "借款合同编号", "contract_no"),
    PERIOD: ("报告月份", "月份", "period", "month"),
    BALANCE: ("贷款余额（元）", "贷款余额", "余额（元）", "balance"),
    DAYS: ("逾期天数", "days_overdue"),
    TIER: ("五级分类", "five_tier_class", "class"),
}
# Class names are part of the file format too: the Chinese names and the English codes.
TIER_NAMES = {
    "正常": FiveTierClass.NORMAL,
    "关注": FiveTierClass.SPECIAL_MENTION,
    "次级": FiveTierClass.SUBSTANDARD,
    "可疑": FiveTierClass.DOUBTFUL,
    "损失": FiveTierClass.LOSS,
}
TIER_NAME_OF = {tier: name for name, tier in TIER_NAMES.items()}
TIER_CODES = {tier.value: tier for tier in FiveTierClass}


def _english() -> bool:
    """Whether the reader (the request's language) reads English; jobs and files write Chinese."""
    return has_request_context() and str(get_locale()).startswith("en")


def headers() -> dict[str, str]:
    """The column headers in the reader's language (both are read back)."""
    return ENGLISH_HEADERS if _english() else HEADERS


def tier_name(tier: FiveTierClass) -> str:
    """A five-tier class as a file cell in the reader's language: 正常, or normal."""
    return tier.value if _english() else TIER_NAME_OF[tier]


XLSX_MAGIC = b"PK\x03\x04"
OTHER_KINDS = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old_excel"),
    (b"\x89PNG", "binary"),
    (b"\xff\xd8\xff", "binary"),
    (b"GIF8", "binary"),
    (b"%PDF", "binary"),
    (b"\x1f\x8b", "binary"),
    (b"Rar!", "binary"),
    (b"7z\xbc\xaf", "binary"),
    (b"PK", "binary"),
)
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Unicode category Cc (C0 and C1 controls) but tab, CR and LF: a sign of binary content.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A CSV cell that Excel would run as a formula if we wrote it as is (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MONTH_TEXT = re.compile(r"(\d{4})-(\d{2})")
ZERO_FRACTION = re.compile(r"(?<=\d)\.0+$")  # "12.0" days is 12 days


# Records an error on the current row: fail(column, message).
Fail = Callable[[str, str], None]


class FileRefused(Exception):
    """The file as a whole cannot be read (size, type, encoding, layout); the message says why."""


@dataclass(frozen=True)
class Problem:
    """An error or warning at a spreadsheet row (header = 1; None: the whole file) and column."""

    row: int | None
    column: str
    message: str
    level: str = "error"

    def as_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "level": self.level,
        }


@dataclass(frozen=True)
class LoanRef:
    """What row checks need to know about one of the bank's loans."""

    id: int
    amount: Decimal
    disbursed_on: dt.date


@dataclass(frozen=True)
class CheckedRow:
    """A row that passed every check."""

    row: int
    contract_no: str
    loan_id: int
    balance: Decimal
    days_overdue: int
    five_tier_class: FiveTierClass


@dataclass
class Table:
    """A file read into cells: the header and the non-blank data rows with their row numbers."""

    kind: str  # "csv", "xlsx", or "records" (sent through the API)
    header: list[Any]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


@dataclass
class Checked:
    """The outcome of checking a file: the good rows, or the errors (all of them)."""

    kind: str
    row_count: int
    rows: list[CheckedRow]
    errors: list[Problem]


@dataclass(frozen=True)
class Received:
    """An uploaded file as read from the request: at most MAX_BYTES + 1 bytes are kept."""

    data: bytes
    size: int
    sha256: str

    @property
    def too_large(self) -> bool:
        return self.size > MAX_BYTES


def receive(stream: IO[bytes], limit: int = MAX_BYTES) -> Received:
    """Read an upload in chunks: hash it all, keep no more than one byte past the limit."""
    digest, kept, size = hashlib.sha256(), bytearray(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if len(kept) <= limit:
            kept.extend(chunk[: limit + 1 - len(kept)])
    return Received(bytes(kept), size, digest.hexdigest())


def size_message(size: int) -> str:
    return _(
        "文件大小为 %(size)s MB，超过 %(limit)s MB 的上限。请按机构或产品拆分成几个文件，"
        "或删去多余的列和空行后再上传。",
        size=f"{size / 1024 / 1024:.1f}",
        limit=MAX_BYTES // 1024 // 1024,
    )


# --- reading ------------------------------------------------------------------------------------


def detect_kind(data: bytes) -> str:
    """'xlsx' or 'csv', judged by content; anything else is refused with a message."""
    if not data:
        raise FileRefused(_("文件是空的。请下载模板，填写后再上传。"))
    if data.startswith(XLSX_MAGIC):
        if _is_xlsx(data):
            return "xlsx"
        raise FileRefused(
            _("这是一个压缩文件，但不是 Excel 工作簿（.xlsx）。请上传 CSV 或 XLSX 文件。")
        )
    for magic, kind in OTHER_KINDS:
        if data.startswith(magic):
            if kind == "old_excel":
                raise FileRefused(
                    _("这是旧版 Excel（.xls）或加密的文件。请另存为 .xlsx 或 CSV 后上传。")
                )
            raise FileRefused(_("文件不是 CSV 或 XLSX 表格（看起来是图片、PDF 或压缩包）。"))
    return "csv"


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names


def read_table(data: bytes) -> Table:
    """Read a CSV or XLSX file into its header and non-blank rows; FileRefused if unreadable."""
    if len(data) > MAX_BYTES:
        raise FileRefused(size_message(len(data)))
    kind = detect_kind(data)
    return _read_xlsx(data) if kind == "xlsx" else _read_csv(data)


def decode_text(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else GB18030; binary content is refused."""
    if data.startswith(UTF16_BOMS) or b"\x00" in data:
        raise FileRefused(
            _("文件不是文本格式的 CSV。若从 Excel 导出，请选择“CSV UTF-8（逗号分隔）”格式。")
        )
    candidates = ("utf-8-sig",) if data.startswith(UTF8_BOM) else ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        return text
    raise FileRefused(
        _("无法识别文件的文字编码。请保存为 UTF-8 或 GB18030（GBK）编码的 CSV 文件。")
    )


def _looks_binary(text: str) -> bool:
    return CONTROL_CHARACTER.search(text) is not None


def _read_csv(data: bytes) -> Table:
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    return _collect("csv", spreadsheets.read_csv(text, delimiter, MAX_ROWS))


def _read_xlsx(data: bytes) -> Table:
    # Read as a stream, so the cost follows what the file holds, not what it declares.
    return _collect("xlsx", spreadsheets.read_xlsx(data, MAX_ROWS))


def _collect(kind: str, numbered: Iterable[tuple[int, list[Any]]]) -> Table:
    """Row 1 is the header; blank rows are skipped; more than MAX_ROWS is refused."""
    try:
        rows = iter(numbered)
        number, header = next(rows, (0, []))
        if number != 1 or _blank(header):
            raise FileRefused(_("文件第 1 行应为表头（合同编号、报告月份……），请使用下载的模板。"))
        table = Table(kind=kind, header=header)
        for number, cells in rows:
            if _blank(cells):
                continue
            if len(table.rows) >= MAX_ROWS:
                raise FileRefused(
                    _("文件超过 %(n)s 行数据（不含表头）。请拆分成几个文件分别上传。", n=MAX_ROWS)
                )
            table.rows.append((number, cells))
    except spreadsheets.Unreadable as refused:
        raise FileRefused(str(refused)) from None
    return table


def _blank(cells: Sequence[Any]) -> bool:
    return all(_text(cell) is None for cell in cells)


# --- checking -----------------------------------------------------------------------------------


def header_positions(header: Sequence[Any]) -> tuple[dict[str, int], list[Problem]]:
    """Where each column is; a missing column is an error on row 1."""
    normalised = [_header_key(cell) for cell in header]
    positions, problems = {}, []
    for column in COLUMNS:
        aliases = {_header_key(alias) for alias in HEADER_ALIASES[column]}
        found = next((i for i, name in enumerate(normalised) if name in aliases), None)
        if found is None:
            problems.append(
                Problem(1, headers()[column], _("缺少“%(name)s”列。", name=headers()[column]))
            )
        else:
            positions[column] = found
    return positions, problems


def _header_key(cell: Any) -> str:
    text = _text(cell) or ""
    text = text.replace("\ufeff", "").replace("(", "（").replace(")", "）")
    return re.sub(r"\s+", "", text).lower()


def check_table(table: Table, period: dt.date, loans: Mapping[str, Sequence[LoanRef]]) -> Checked:
    """Check every row against the bank's loans and the upload's month; collect every error."""
    positions, errors = header_positions(table.header)
    checked = Checked(kind=table.kind, row_count=len(table.rows), rows=[], errors=errors)
    if errors:
        return checked
    seen: dict[int, int] = {}
    for number, cells in table.rows:
        values = {
            column: cells[index] if index < len(cells) else None
            for column, index in positions.items()
        }
        row_errors, row = _check_row(number, values, period, loans, seen)
        checked.errors.extend(row_errors)
        if row is not None:
            checked.rows.append(row)
    if checked.errors:
        checked.rows = []
    return checked


def records_table(records: Sequence[Mapping[str, Any]], period: dt.date) -> Table:
    """A month sent as records (the API's JSON rows, keyed by the English headers), as a table
    to check like a file's. Row n is the n-th record, counting from 1; a record that leaves out
    the month is of `period`, as the request names it. Blank records are checked, not skipped."""
    month = f"{period:%Y-%m}"
    rows = [
        (
            number,
            [record.get(ENGLISH_HEADERS[c], month if c == PERIOD else None) for c in COLUMNS],
        )
        for number, record in enumerate(records, start=1)
    ]
    return Table(kind="records", header=[ENGLISH_HEADERS[c] for c in COLUMNS], rows=rows)


def column_code(header: str) -> str:
    """A problem's column, named in either language, as its English code ('' for none)."""
    for column in COLUMNS:
        if header in (HEADERS[column], ENGLISH_HEADERS[column]):
            return ENGLISH_HEADERS[column]
    return ""


def check_file(data: bytes, period: dt.date, loans: Mapping[str, Sequence[LoanRef]]) -> Checked:
    """Read and check a whole file; FileRefused when it cannot be read at all."""
    return check_table(read_table(data), period, loans)


def _check_row(
    number: int,
    values: dict[str, Any],
    period: dt.date,
    loans: Mapping[str, Sequence[LoanRef]],
    seen: dict[int, int],
) -> tuple[list[Problem], CheckedRow | None]:
    errors: list[Problem] = []

    def fail(column: str, message: str) -> None:
        errors.append(Problem(number, headers()[column], message))

    contract, loan = _check_contract(values[CONTRACT], loans, fail)
    month = _check_month(values[PERIOD], period, fail)
    balance = _check_balance(values[BALANCE], loan, fail)
    days = _check_days(values[DAYS], fail)
    tier = _check_tier(values[TIER], fail)
    if loan is not None:
        if loan.id in seen:
            fail(
                CONTRACT,
                _("合同编号 %(no)s 与第 %(row)s 行重复。", no=_shown(contract), row=seen[loan.id]),
            )
        else:
            seen[loan.id] = number
        if month is not None and month < loan.disbursed_on.replace(day=1):
            fail(
                PERIOD,
                _(
                    "该贷款于 %(day)s 放款，不能报送此前月份（%(month)s）的状态。",
                    day=loan.disbursed_on.isoformat(),
                    month=f"{month:%Y-%m}",
                ),
            )
    if errors or loan is None or balance is None or days is None or tier is None:
        return errors, None
    return errors, CheckedRow(number, contract or "", loan.id, balance, days, tier)


def _check_contract(
    value: Any, loans: Mapping[str, Sequence[LoanRef]], fail: Fail
) -> tuple[str | None, LoanRef | None]:
    contract = _text(value)
    if contract is None:
        fail(CONTRACT, _("请填写合同编号。"))
        return None, None
    matches = loans.get(contract)
    if not matches and contract.startswith("'") and contract[1:].startswith(FORMULA_START):
        # Our CSV template writes such numbers with a leading apostrophe (see write_csv).
        matches = loans.get(contract[1:])
    if not matches:
        fail(CONTRACT, _("本行没有合同编号为 %(no)s 的贷款。", no=_shown(contract)))
        return contract, None
    if len(matches) > 1:
        fail(
            CONTRACT,
            _(
                "本行有 %(n)s 笔贷款使用合同编号 %(no)s，无法区分。请在页面上逐笔报送这些贷款。",
                n=len(matches),
                no=_shown(contract),
            ),
        )
        return contract, None
    return contract, matches[0]


def _check_month(value: Any, period: dt.date, fail: Fail) -> dt.date | None:
    if isinstance(value, dt.datetime | dt.date):
        # Excel turns a typed "2026-10" into a date; its month is what was meant.
        month = dt.date(value.year, value.month, 1)
    else:
        text = _text(value)
        if text is None:
            fail(PERIOD, _("请填写报告月份，格式如 %(example)s。", example=f"{period:%Y-%m}"))
            return None
        month = parse_month(text)
        if month is None:
            fail(
                PERIOD,
                _(
                    "报告月份“%(value)s”格式不对，应为 YYYY-MM，如 %(example)s。",
                    value=_shown(text),
                    example=f"{period:%Y-%m}",
                ),
            )
            return None
    if month != period:
        fail(
            PERIOD,
            _(
                "报告月份 %(month)s 与上传时选择的月份 %(period)s 不一致。一个文件只报送一个月。",
                month=f"{month:%Y-%m}",
                period=f"{period:%Y-%m}",
            ),
        )
    return month


def _check_balance(value: Any, loan: LoanRef | None, fail: Fail) -> Decimal | None:
    amount, message = parse_amount(value)
    if message or amount is None:
        fail(BALANCE, message or "")
        return None
    if loan is not None and amount > loan.amount:
        fail(
            BALANCE,
            _(
                "贷款余额 %(balance)s 元超过合同金额 %(amount)s 元。",
                balance=amount,
                amount=loan.amount,
            ),
        )
        return None
    return amount


def _check_days(value: Any, fail: Fail) -> int | None:
    days, message = parse_days(value)
    if message:
        fail(DAYS, message)
    return days


def _check_tier(value: Any, fail: Fail) -> FiveTierClass | None:
    text = _text(value)
    if text is None:
        fail(TIER, _("请填写五级分类（正常、关注、次级、可疑、损失）。"))
        return None
    tier = parse_tier(text)
    if tier is None:
        fail(
            TIER,
            _(
                "五级分类“%(value)s”无法识别，应为 正常、关注、次级、可疑、损失 之一。",
                value=_shown(text),
            ),
        )
    return tier


# --- values -------------------------------------------------------------------------------------


def parse_month(text: str) -> dt.date | None:
    """'2026-10' → 2026-10-01; anything else → None."""
    match = MONTH_TEXT.fullmatch(text.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and year >= 1900):
        return None
    return dt.date(year, month, 1)


def parse_amount(value: Any) -> tuple[Decimal | None, str | None]:
    """A balance in yuan: (amount, None) or (None, what is wrong), read through portal.numbers."""
    text = None
    try:
        if isinstance(value, bool):
            raise NumberError("", problem="syntax")
        if isinstance(value, int | float | Decimal):
            amount = _cell_number(value, MONEY_YUAN)
        else:
            text = _text(value)
            if text is None:
                return None, _("请填写贷款余额（元），已结清的填 0。")
            amount = parse_number(text, MONEY_YUAN)
    except NumberError as error:
        return None, _amount_problem(error.problem, text)
    return amount.quantize(Decimal("0.01")), None


def _amount_problem(problem: str, text: str | None) -> str:
    """What is wrong with a balance, in the words of the loan file's column."""
    if problem == "below":
        return _("贷款余额不能为负数。")
    if problem == "above":
        return _(
            "贷款余额不能超过 %(max)s 元，请核对单位（元）。",
            max=f"{MONEY_YUAN.high:,}",
        )
    if problem == "places":
        return _("贷款余额最多保留两位小数（到分）。")
    if text is None:
        return _("贷款余额应为数字（元），如 1234567.89。")
    return _("贷款余额“%(value)s”不是数字，应填写金额（元），如 1234567.89。", value=_shown(text))


def parse_days(value: Any) -> tuple[int | None, str | None]:
    """Days overdue: (days, None) or (None, what is wrong), read through portal.numbers."""
    try:
        if isinstance(value, bool):
            raise NumberError("", problem="syntax")
        if isinstance(value, int | float | Decimal):
            days = _cell_number(value, DAYS_OVERDUE)
        else:
            text = _text(value)
            if text is None:
                return None, _("请填写逾期天数，未逾期填 0。")
            days = parse_number(ZERO_FRACTION.sub("", text), DAYS_OVERDUE)
    except NumberError as error:
        if error.problem == "above":
            return None, _("逾期天数不能超过 %(n)s。", n=MAX_DAYS_OVERDUE)
        return None, _("逾期天数应为不小于 0 的整数，未逾期填 0。")
    return int(days), None


def _cell_number(value: int | float | Decimal, quantity: Quantity) -> Decimal:
    """A number a spreadsheet stored as a number, checked against the quantity."""
    if isinstance(value, float):
        # repr gives the shortest text that reads back as the same float: 0.1, not 0.1000…0555.
        return (
            parse_number(repr(value), quantity)
            if not value.is_integer()
            else (check_value(int(value), quantity))
        )
    return check_value(value, quantity)


def parse_tier(text: str) -> FiveTierClass | None:
    """A class by its Chinese name or its English code."""
    text = text.strip()
    return TIER_NAMES.get(text) or TIER_CODES.get(text.lower())


def _text(value: Any) -> str | None:
    """A cell as trimmed text, or None when empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().strip("\u3000")
    return text or None


def _shown(text: str | None, limit: int = 40) -> str:
    text = text or ""
    return text if len(text) <= limit else text[:limit] + "…"


# --- templates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRow:
    contract_no: str
    period: dt.date
    balance: Decimal | None = None
    days_overdue: int | None = None
    five_tier_class: FiveTierClass | None = None

    def cells(self) -> list[Any]:
        tier = tier_name(self.five_tier_class) if self.five_tier_class else None
        return [self.contract_no, f"{self.period:%Y-%m}", self.balance, self.days_overdue, tier]


def write_csv(rows: Iterable[TemplateRow]) -> bytes:
    """The template as CSV: UTF-8 with a BOM, so Excel shows the Chinese headers correctly."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers()[c] for c in COLUMNS)
    for row in rows:
        writer.writerow(_csv_safe(cell) for cell in row.cells())
    return UTF8_BOM + out.getvalue().encode("utf-8")


def _csv_safe(cell: Any) -> Any:
    # Excel would run "=..." as a formula: such text gets a leading apostrophe (OWASP advice).
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return "" if cell is None else cell


def write_xlsx(rows: Iterable[TemplateRow], notes: Sequence[str] = ()) -> bytes:
    """The template as XLSX: every text cell is stored as text, so nothing can run as a formula."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_("贷款月报"))
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (28, 12, 18, 10, 10), strict=True):
        sheet.column_dimensions[letter].width = width

    def cell(value: Any, bold: bool = False) -> Any:
        made = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            made.data_type = "s"
        if bold:
            made.font = Font(bold=True)
        return made

    sheet.append([cell(headers()[c], bold=True) for c in COLUMNS])
    for row in rows:
        sheet.append([cell(value) for value in row.cells()])
    if notes:
        help_sheet = workbook.create_sheet(_("填写说明"))
        help_sheet.column_dimensions["A"].width = 100
        for line in notes:
            help_sheet.append([cell(line)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
