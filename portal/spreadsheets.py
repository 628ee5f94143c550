"""Reading uploaded spreadsheets into rows at a cost that follows what the file really holds.

Nothing a file declares is trusted. An XLSX file is a ZIP archive of XML parts, and both the
sizes in the archive's directory and the sheet's `<dimension>` can lie, so:

- each part is unpacked as a stream and its bytes are counted as they come (zipfile also stops
  at a member's declared size and then fails its CRC check);
- each part goes through defusedxml's expat parser with DTDs forbidden: an entity is never
  declared, expanded or fetched (XXE, "billion laughs");
- the sheet is read event by event and a row is a list as long as its last filled column:
  nothing is allocated for rows or columns a file declares but does not fill. A value past the
  row or column limit is refused where it is met, as is a declared range past them; the
  elements in a part, shared strings (count and characters), one cell's length, the nesting
  depth and the distinct names met (expat keeps each one) are capped too.

Values are those openpyxl gives with `data_only=True` (its date helpers are used): a formula
gives only the value Excel cached for it. A CSV file gets the same row, column and cell limits.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from flask_babel import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

MAX_COLUMNS = 100
MAX_CSV_LINES = 100_000  # blank lines included: each costs time even if it holds nothing
MAX_CSV_DELIMITERS = 100 * MAX_COLUMNS  # in one record, quoted ones ("1,234.00") included
# XML elements in one part: a 20,000-row sheet of 5 filled columns has 280,000.
MAX_ELEMENTS = 1_000_000
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_STRINGS = 300_000
MAX_STRING_CHARS = 4_000_000
MAX_PART_BYTES = 48 * 1024 * 1024  # unpacked bytes of any one part, counted as read
MAX_TAG_BYTES = 1024 * 1024  # between two ">": a cell of 32,767 characters is under 100 KB
MAX_UNPACKED = 200 * 1024 * 1024  # the members' declared sizes together
MAX_MEMBERS = 1_000
MAX_DEPTH = 32  # a real sheet nests 6 deep (worksheet/sheetData/row/c/is/r/t)
MAX_NAMES = 1_000  # distinct element and attribute names: the parser keeps each one it meets
MAX_KEPT = 100_000  # sheets, relationships, cell formats (Excel allows 64,000) in one part
MAX_FORMATS = 1_000  # custom number formats (Excel allows about 250), each up to 255 characters
CHUNK = 64 * 1024
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


class Unreadable(Exception):
    """The file cannot be read within the limits; the message says why, in the user's language."""


def _damaged() -> Unreadable:
    return Unreadable(_("无法读取这个 Excel 文件。请在 Excel 中打开后另存为 .xlsx，再重新上传。"))


def _too_large() -> Unreadable:
    return Unreadable(_("Excel 文件解压后过大，无法处理。请只保留月报所需的一张工作表。"))


def _row_past_limit(row: int, last_row: int) -> Unreadable:
    return Unreadable(
        _(
            "第 %(row)s 行超出上限：文件最多 %(n)s 行数据（不含表头）。"
            "请删除多余的行，或拆分成几个文件分别上传。",
            row=row,
            n=last_row - 1,
        )
    )


def _columns_past_limit(row: int) -> Unreadable:
    return Unreadable(
        _("第 %(row)s 行超过 %(n)s 列的上限。请删除多余的列后再上传。", row=row, n=MAX_COLUMNS)
    )


def _cell_too_long(row: int) -> Unreadable:
    return Unreadable(
        _(
            "第 %(row)s 行有单元格超过 %(n)s 个字符（Excel 单元格的上限）。",
            row=row,
            n=MAX_CELL_CHARS,
        )
    )


# --- CSV ----------------------------------------------------------------------------------------


def read_csv(text: str, delimiter: str, max_rows: int) -> Iterator[tuple[int, list[str]]]:
    """CSV records as (row number, cells) within the sheet limits; Unreadable when refused."""
    delimiters = 0  # in the record being read, counted before csv splits them into a list

    def lines() -> Iterator[str]:
        nonlocal delimiters
        for line in io.StringIO(text, newline=""):
            delimiters += line.count(delimiter)
            if delimiters > MAX_CSV_DELIMITERS:
                raise _columns_past_limit(reader.line_num + 1)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            delimiters = 0
            if number > max_rows + 1 and (any(cells) or number > MAX_CSV_LINES):
                raise _row_past_limit(number, max_rows + 1)
            if len(cells) > MAX_COLUMNS:
                # Trailing empty columns are what Excel exports for a wide used range.
                if any(itertools.islice(cells, MAX_COLUMNS, None)):
                    raise _columns_past_limit(number)
                del cells[MAX_COLUMNS:]
            if cells and max(map(len, cells)) > MAX_CELL_CHARS:
                raise _cell_too_long(number)
            yield number, cells
    except csv.Error:
        # In practice the field size limit (131,072 characters), often from an unclosed quote.
        raise Unreadable(
            _(
                "CSV 第 %(row)s 行附近有过长的单元格（常见原因是引号没有成对），无法读取。",
                row=reader.line_num,
            )
        ) from None


# --- XLSX ---------------------------------------------------------------------------------------


def read_xlsx(data: bytes, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    """The first worksheet's rows with a value, as (row number, cells); Unreadable if refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_members(archive)
            book = _workbook(archive)
            strings = _shared_strings(archive, book.strings) if book.strings else []
            dates = _date_styles(archive, book.styles) if book.styles else frozenset()
            sheet = _Sheet(strings, dates, book.epoch, max_rows + 1)
            for _fed in _parse(archive, book.sheet, sheet):
                yield from sheet.rows
                sheet.rows.clear()
    except Unreadable:
        raise
    except DefusedXmlException:
        raise Unreadable(
            _(
                "Excel 文件含有不允许的 XML 声明（DTD 或实体），不予读取。"
                "请在 Excel 中另存为 .xlsx 后再上传。"
            )
        ) from None
    except Exception:  # a damaged archive or part raises many kinds; all mean "cannot read"
        raise _damaged() from None


def _check_members(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise Unreadable(
            _(
                "Excel 文件内部的部件过多（超过 %(n)s 个），无法处理。"
                "请在 Excel 中另存为 .xlsx 后再上传。",
                n=MAX_MEMBERS,
            )
        )
    if sum(m.file_size for m in members) > MAX_UNPACKED:
        raise _too_large()


def _parse(archive: zipfile.ZipFile, name: str, target: _Part) -> Iterator[None]:
    """Feed one part to the parser a chunk at a time, counting the bytes really unpacked."""
    # defusedxml's parser refuses any DTD, entity declaration or external reference. Elements
    # go straight to our target, skipping ElementTree's layer (4x the cost of a cell), and
    # nothing else (comments, instructions) reaches Python.
    expat = DefusedXMLParser(target=target, forbid_dtd=True).parser
    expat.ordered_attributes = False  # attributes as a dict, built by expat
    expat.StartElementHandler = target.start
    expat.EndElementHandler = target.end
    expat.DefaultHandlerExpand = None
    unpacked = since_close = 0
    with archive.open(name) as part:
        while chunk := part.read(CHUNK):
            unpacked += len(chunk)
            if unpacked > MAX_PART_BYTES:
                raise _too_large()
            # Expat holds a tag until its ">" comes and reads it again with each chunk fed, so
            # one giant tag would cost quadratic time: the bytes between two ">" are capped.
            close = chunk.find(b">")
            if since_close + (len(chunk) if close < 0 else close) > MAX_TAG_BYTES:
                raise _damaged()
            since_close = (
                since_close + len(chunk) if close < 0 else len(chunk) - 1 - chunk.rfind(b">")
            )
            expat.Parse(chunk, False)
            yield
    expat.Parse(b"", True)
    yield


class _Part:
    """A parser target that refuses what no spreadsheet holds: deep nesting, endless names."""

    def __init__(self) -> None:
        self.depth = self.count = 0
        self.local: dict[str, str] = {}  # each element name met, without its namespace
        self.attributes: set[str] = set()

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        self.count += 1
        name = self.local.get(tag)
        if name is None:
            name = self.local[tag] = tag.rpartition("}")[2]
        self.attributes.update(attrib)
        if self.depth > MAX_DEPTH or len(self.local) + len(self.attributes) > MAX_NAMES:
            raise _damaged()
        if self.count > MAX_ELEMENTS:
            raise Unreadable(
                _(
                    "Excel 文件的内容过多（单元格等超过 %(n)s 个），无法处理。"
                    "请删除多余的行和列后再上传。",
                    n=MAX_ELEMENTS,
                )
            )
        self.enter(name, attrib)

    def end(self, tag: str) -> None:
        self.depth -= 1
        self.leave(self.local[tag])

    def data(self, text: str) -> None:
        """Text inside an element (in pieces)."""

    def enter(self, name: str, attrib: dict[str, str]) -> None:
        """An element opens (its name without namespace)."""

    def leave(self, name: str) -> None:
        """An element closes."""


class _Elements(_Part):
    """Keeps (parent, name, attributes) of each element with one of the wanted names."""

    def __init__(self, wanted: set[str]) -> None:
        super().__init__()
        self.wanted = wanted
        self.path: list[str] = [""]
        self.found: list[tuple[str, str, dict[str, str]]] = []

    def enter(self, name: str, attrib: dict[str, str]) -> None:
        if name in self.wanted:
            if len(self.found) >= MAX_KEPT:
                raise _damaged()
            self.found.append((self.path[-1], name, attrib))
        self.path.append(name)

    def leave(self, name: str) -> None:
        self.path.pop()


def _elements(archive: zipfile.ZipFile, name: str, *wanted: str) -> list[tuple[str, str, dict]]:
    target = _Elements(set(wanted))
    for _fed in _parse(archive, name, target):
        pass
    return target.found


@dataclass(frozen=True)
class _Book:
    sheet: str
    strings: str | None
    styles: str | None
    epoch: dt.datetime


def _workbook(archive: zipfile.ZipFile) -> _Book:
    """Where the first worksheet, the shared strings and the styles are, and the date system."""
    root = _relationships(archive, "")
    path = root.get("officeDocument", {}).get("", "xl/workbook.xml")
    found = _elements(archive, path, "sheet", "workbookPr")
    rels = _relationships(archive, path)
    worksheets = rels.get("worksheet", {})
    ids = [v for _p, n, a in found if n == "sheet" for k, v in a.items() if k.endswith("}id")]
    sheet = next((worksheets[i] for i in ids if i in worksheets), None)
    if sheet is None:
        raise Unreadable(_("Excel 文件中没有工作表。"))
    date1904 = any(n == "workbookPr" and a.get("date1904") in ("1", "true") for _p, n, a in found)
    return _Book(
        sheet=sheet,
        strings=next(iter(rels.get("sharedStrings", {}).values()), None),
        styles=next(iter(rels.get("styles", {}).values()), None),
        epoch=CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900,
    )


def _relationships(archive: zipfile.ZipFile, source: str) -> dict[str, dict[str, str]]:
    """A part's relationships: {type: {id: path in the archive}} ('' as the id of the first)."""
    folder, name = posixpath.split(source)
    rels_path = posixpath.join(folder, "_rels", name + ".rels")
    try:
        archive.getinfo(rels_path)
    except KeyError:
        return {}
    found: dict[str, dict[str, str]] = {}
    for _p, _n, attrib in _elements(archive, rels_path, "Relationship"):
        kind = attrib.get("Type", "").removeprefix(RELATIONSHIPS)
        target = attrib.get("Target", "")
        path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        by_id = found.setdefault(kind, {})
        by_id.setdefault("", posixpath.normpath(path))
        by_id[attrib.get("Id", "")] = posixpath.normpath(path)
    return found


def _date_styles(archive: zipfile.ZipFile, path: str) -> frozenset[int]:
    """The cell formats (by index) whose number format shows a date, as openpyxl decides."""
    found = _elements(archive, path, "numFmt", "xf")
    codes = [(int(a["numFmtId"]), a.get("formatCode", "")) for _p, n, a in found if n == "numFmt"]
    custom = dict(codes[:MAX_FORMATS])
    formats = [int(a.get("numFmtId", 0)) for p, n, a in found if n == "xf" and p == "cellXfs"]
    dated = {
        number
        for number in set(formats)
        if is_date_format((custom.get(number) or BUILTIN_FORMATS.get(number) or "")[:255])
    }
    return frozenset(index for index, number in enumerate(formats) if number in dated)


class _Strings(_Part):
    """The shared strings table: the text of each <si>, phonetic guides left out."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self.parts: list[str] | None = None
        self.collecting = False
        self.length = self.total = self.phonetic = 0

    def enter(self, name: str, attrib: dict[str, str]) -> None:
        if name == "si":
            self.parts, self.length = [], 0
        elif name == "rPh":
            self.phonetic += 1
        elif name == "t":
            self.collecting = self.parts is not None and not self.phonetic

    def data(self, text: str) -> None:
        if self.collecting and self.parts is not None:
            self.length += len(text)
            self.total += len(text)
            if self.length > MAX_CELL_CHARS or self.total > MAX_STRING_CHARS:
                raise _too_many_strings()
            self.parts.append(text)

    def leave(self, name: str) -> None:
        if name == "t":
            self.collecting = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "si" and self.parts is not None:
            if len(self.items) >= MAX_STRINGS:
                raise _too_many_strings()
            self.items.append("".join(self.parts))
            self.parts = None


def _too_many_strings() -> Unreadable:
    return Unreadable(
        _(
            "Excel 文件中的文字过多（超过 %(n)s 条或 %(chars)s 个字符，或单个单元格超过 "
            "%(cell)s 个字符），无法处理。请只保留月报所需的一张工作表。",
            n=MAX_STRINGS,
            chars=MAX_STRING_CHARS,
            cell=MAX_CELL_CHARS,
        )
    )


def _shared_strings(archive: zipfile.ZipFile, path: str) -> list[str]:
    target = _Strings()
    for _fed in _parse(archive, path, target):
        pass
    return target.items


def _column(ref: str) -> int:
    """The column number of a cell reference such as 'XFD2'."""
    return column_index_from_string(ref.rstrip("0123456789"))


class _Sheet(_Part):
    """A worksheet read as a stream: finished rows wait in `rows` until they are handed on."""

    def __init__(
        self, strings: list[str], dates: frozenset[int], epoch: dt.datetime, last_row: int
    ) -> None:
        super().__init__()
        self.strings, self.dates, self.epoch, self.last_row = strings, dates, epoch, last_row
        self.rows: list[tuple[int, list[Any]]] = []
        self.cells: list[Any] | None = None
        self.row = self.column = self.length = self.phonetic = 0
        self.kind: str = "n"
        self.style: str | None = None
        self.parts: list[str] = []
        self.collecting = self.inline = False

    def enter(self, name: str, attrib: dict[str, str]) -> None:
        if name == "c":
            ref = attrib.get("r")
            self.column = _column(ref) if ref else self.column + 1
            self.kind, self.style = attrib.get("t", "n"), attrib.get("s")
            self.parts, self.length = [], 0
        elif name == "v" or (name == "t" and self.inline and not self.phonetic):
            self.collecting = True
        elif name == "is":
            self.inline = True
        elif name == "rPh":
            self.phonetic += 1  # a phonetic guide is not part of the text
        elif name == "row":
            ref = attrib.get("r")
            self.row = int(ref) if ref else self.row + 1
            self.cells, self.column = [], 0
        elif name == "dimension":
            self._check_dimension(attrib.get("ref", ""))

    def data(self, text: str) -> None:
        if self.collecting:
            self.length += len(text)
            if self.length > MAX_CELL_CHARS:
                raise _cell_too_long(self.row)
            self.parts.append(text)

    def leave(self, name: str) -> None:
        if name == "c":
            if self.parts:  # else empty, or only formatted
                self._place(self._value())
        elif name in ("v", "t"):
            self.collecting = False
        elif name == "is":
            self.inline = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "row" and self.cells is not None:
            if self.cells:
                self.rows.append((self.row, self.cells))
            self.cells = None

    def _check_dimension(self, ref: str) -> None:
        try:
            _c, _r, columns, rows = range_boundaries(ref[:24])
        except (ValueError, TypeError):
            return  # a range Excel would not write is ignored, as Excel does
        if (rows or 0) > self.last_row or (columns or 0) > MAX_COLUMNS:
            raise Unreadable(
                _(
                    "工作表声明的范围 %(ref)s 超出上限（最多 %(rows)s 行数据、%(columns)s 列）。"
                    "请删除多余的行和列，另存后再上传。",
                    ref=ref[:24],
                    rows=self.last_row - 1,
                    columns=MAX_COLUMNS,
                )
            )

    def _value(self) -> Any:
        text = "".join(self.parts)
        if self.kind == "inlineStr":
            return text
        if not text:
            return None
        if self.kind == "s":
            return self.strings[int(text)]
        if self.kind == "b":
            return bool(int(text))
        if self.kind in ("str", "e"):
            return text
        if self.kind == "d":
            return from_ISO8601(text)
        number = float(text) if "." in text or "e" in text.lower() else int(text)
        if self.style and int(self.style) in self.dates:
            try:
                return from_excel(number, self.epoch)
            except (OverflowError, ValueError):
                return "#VALUE!"  # what openpyxl gives for a date out of range
        return number

    def _place(self, value: Any) -> None:
        if value is None or self.cells is None:
            return
        if self.row > self.last_row or self.row < 1:
            raise _row_past_limit(self.row, self.last_row)
        if self.column > MAX_COLUMNS or self.column < 1:
            raise _columns_past_limit(self.row)
        cells = self.cells
        if len(cells) < self.column:
            cells.extend([None] * (self.column - len(cells)))
        cells[self.column - 1] = value
