"""Hostile and normal monthly-report files, built in code: XLSX parts written by hand, CSV as text.

Each builder returns the bytes a bank could upload; every one fits in the 5 MB upload limit.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ["合同编号", "报告月份", "贷款余额（元）", "逾期天数", "五级分类"]
MONTH = "2025-06"
GOOD_ROW = ["HT-FUZZ-001", MONTH, "350000.00", "0", "正常"]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}">'
    '<sheets><sheet name="贷款月报" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline_row(number: int, cells: list[str]) -> str:
    """A <row> of inline-string cells starting at column A."""
    columns = "ABCDEFGHIJ"
    return (
        f'<row r="{number}">'
        + "".join(
            f'<c r="{columns[i]}{number}" t="inlineStr"><is><t>{_escape(v)}</t></is></c>'
            for i, v in enumerate(cells)
        )
        + "</row>"
    )


def sheet_xml(rows: str, dimension: str | None = None, prolog: str = "") -> str:
    """A worksheet part around the given <row> elements."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}">'
        f"{dim}<sheetData>{rows}</sheetData></worksheet>"
    )


def strings_xml(items: str, prolog: str = "") -> str:
    """A shared strings part holding the given <si> elements."""
    return f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<sst xmlns="{MAIN}">{items}</sst>'


def workbook(parts: dict[str, str | bytes], compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An XLSX package: the standard parts, replaced or extended by the given ones."""
    members: dict[str, str | bytes] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}" count="0" uniqueCount="0"/>',
        "xl/worksheets/sheet1.xml": sheet_xml(inline_row(1, HEADER)),
    }
    members.update(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress, compresslevel=9) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


def _streamed(
    name: str, pieces: Callable[[], object], extra: dict[str, str] | None = None
) -> bytes:
    """An XLSX whose part `name` is written piece by piece (it may unpack to hundreds of MB)."""
    out = io.BytesIO()
    base = workbook(extra or {})
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
    ):
        for info in source.infolist():
            if info.filename != name:
                archive.writestr(info.filename, source.read(info.filename))
        with archive.open(name, "w") as member:
            for piece in pieces():  # type: ignore[attr-defined]
                member.write(piece)
    return out.getvalue()


# --- normal files -------------------------------------------------------------------------------


def normal_rows(count: int = 20_000) -> list[list[object]]:
    """A bank's month: `count` distinct contracts with numbers as Excel stores them."""
    tiers = ["正常", "关注", "次级", "可疑", "损失"]
    return [
        [f"HT-2025-{i:06d}", MONTH, 100000 + i * 7.25, i % 120, tiers[i % 5]] for i in range(count)
    ]


def normal_xlsx(count: int = 20_000) -> bytes:
    """A 20,000-row report saved by openpyxl (shared strings, styles, number cells)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in normal_rows(count):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def normal_csv(count: int = 20_000) -> bytes:
    """The same report as UTF-8 CSV with a BOM."""
    lines = [",".join(HEADER)] + [",".join(str(c) for c in row) for row in normal_rows(count)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


# --- XLSX bombs ---------------------------------------------------------------------------------


def dimension_bomb(ref: str, last_row: int) -> bytes:
    """A tiny sheet declaring a huge range, with the header and one row far down."""
    rows = inline_row(1, HEADER) + inline_row(last_row, GOOD_ROW)
    return workbook({"xl/worksheets/sheet1.xml": sheet_xml(rows, dimension=ref)})


def far_row() -> bytes:
    """No dimension at all; one row at the last row Excel allows."""
    return workbook({"xl/worksheets/sheet1.xml": sheet_xml(inline_row(1_048_576, GOOD_ROW))})


def far_column() -> bytes:
    """One cell in the last column Excel allows."""
    rows = inline_row(1, HEADER) + '<row r="2"><c r="XFD2"><v>1</v></c></row>'
    return workbook({"xl/worksheets/sheet1.xml": sheet_xml(rows)})


def shared_strings_big(length: int = 30_000, count: int = 10_000) -> bytes:
    """Shared strings unpacking to 300 MB (strings each within Excel's cell limit), none used."""

    def pieces():
        yield f'<sst xmlns="{MAIN}">'.encode()
        for _ in range(count):
            yield b"<si><t>" + b"A" * length + b"</t></si>"
        yield b"</sst>"

    return _streamed("xl/sharedStrings.xml", pieces)


def shared_strings_many() -> bytes:
    """A million tiny distinct shared strings (about 20 MB of XML)."""

    def pieces():
        yield f'<sst xmlns="{MAIN}">'.encode()
        for block in range(100):
            yield b"".join(b"<si><t>%d</t></si>" % (block * 10_000 + i) for i in range(10_000))
        yield b"</sst>"

    return _streamed("xl/sharedStrings.xml", pieces)


def inline_string_bomb() -> bytes:
    """One inline-string cell of 100 million characters."""

    def pieces():
        yield sheet_xml("").split("<sheetData>")[0].encode() + b"<sheetData>"
        yield inline_row(1, HEADER).encode()
        yield b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
        for _ in range(100):
            yield b"9" * 1_000_000
        yield b"</t></is></c></row></sheetData></worksheet>"

    return _streamed("xl/worksheets/sheet1.xml", pieces)


def many_cells() -> bytes:
    """Ten million empty styled cells spread over rows within the row limit."""

    def pieces():
        yield sheet_xml("").split("<sheetData>")[0].encode() + b"<sheetData>"
        yield inline_row(1, HEADER).encode()
        for row in range(2, 20_002):
            yield b'<row r="%d">' % row + b'<c s="0"/>' * 500 + b"</row>"
        yield b"</sheetData></worksheet>"

    return _streamed("xl/worksheets/sheet1.xml", pieces)


def many_rows() -> bytes:
    """Eight million empty <row/> elements (48 MB of XML): nothing in them, but each costs."""

    def pieces():
        yield sheet_xml("").split("<sheetData>")[0].encode() + b"<sheetData>"
        yield inline_row(1, HEADER).encode()
        for _ in range(800):
            yield b"<row/>" * 10_000
        yield b"</sheetData></worksheet>"

    return _streamed("xl/worksheets/sheet1.xml", pieces)


def giant_tag() -> bytes:
    """One start tag of 40 MB (an attribute no one reads)."""

    def pieces():
        yield sheet_xml("").split("<sheetData>")[0].encode() + b"<sheetData>"
        yield inline_row(1, HEADER).encode() + b'<row r="2"><c r="A2" x="'
        for _ in range(40):
            yield b"9" * 1_000_000
        yield b'"/></row></sheetData></worksheet>'

    return _streamed("xl/worksheets/sheet1.xml", pieces)


def entity_prolog(entities: str) -> str:
    return f"<!DOCTYPE worksheet [{entities}]>"


def xxe(url: str, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """An external entity (a file or a URL) declared and used in one of the workbook's parts."""
    entity = f'<!ENTITY x SYSTEM "{url}">'
    if part == "xl/worksheets/sheet1.xml":
        rows = inline_row(1, HEADER) + inline_row(2, ["&x;", MONTH, "1", "0", "正常"])
        text = sheet_xml(rows, prolog=entity_prolog(entity))
    elif part == "xl/sharedStrings.xml":
        text = strings_xml("<si><t>&x;</t></si>", entity_prolog(entity))
    else:
        text = WORKBOOK.replace("?>", "?>" + entity_prolog(entity), 1).replace(
            'name="贷款月报"', 'name="&x;"'
        )
    return workbook({part: text})


def parameter_entity_xxe(url: str) -> bytes:
    """An external parameter entity in the DTD, which would be fetched as the DTD is read."""
    prolog = f'<!DOCTYPE worksheet [<!ENTITY % p SYSTEM "{url}"> %p;]>'
    return workbook({"xl/worksheets/sheet1.xml": sheet_xml(inline_row(1, HEADER), prolog=prolog)})


def billion_laughs(part: str = "xl/sharedStrings.xml") -> bytes:
    """Ten levels of ten entities each: a billion 'lol's if expanded."""
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    )
    if part == "xl/sharedStrings.xml":
        text = strings_xml("<si><t>&l9;</t></si>", entity_prolog(entities))
    else:
        rows = inline_row(1, HEADER) + inline_row(2, ["&l9;", MONTH, "1", "0", "正常"])
        text = sheet_xml(rows, prolog=entity_prolog(entities))
    return workbook({part: text})


def deep_nesting(depth: int = 2_000_000) -> bytes:
    """The sheet's data nested two million elements deep."""

    def pieces():
        yield sheet_xml("").split("<sheetData>")[0].encode() + b"<sheetData>"
        for _ in range(depth // 10_000):
            yield b"<a>" * 10_000
        for _ in range(depth // 10_000):
            yield b"</a>" * 10_000
        yield b"</sheetData></worksheet>"

    return _streamed("xl/worksheets/sheet1.xml", pieces)


def many_names() -> bytes:
    """Two million elements each with a new name (parsers keep every name they meet)."""

    def pieces():
        yield sheet_xml("").split("<sheetData>")[0].encode() + b"<sheetData>"
        for block in range(200):
            yield b"".join(b"<n%d/>" % (block * 10_000 + i) for i in range(10_000))
        yield b"</sheetData></worksheet>"

    return _streamed("xl/worksheets/sheet1.xml", pieces)


def many_entries(count: int = 40_000) -> bytes:
    """A workbook with tens of thousands of extra (empty) zip entries."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook({}))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive,
    ):
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        for i in range(count):
            archive.writestr(f"x/{i}", b"")
    return out.getvalue()


def lying_size(declared: int) -> bytes:
    """The sheet unpacks to 200 MB (of comments) but the zip says it holds `declared` bytes."""

    def pieces():
        yield sheet_xml("").split("<sheetData>")[0].encode() + b"<sheetData>"
        yield inline_row(1, HEADER).encode()
        for _ in range(200):
            yield b"<!---->" * 142_858
        yield b"</sheetData></worksheet>"

    data = bytearray(_streamed("xl/worksheets/sheet1.xml", pieces))
    name = b"xl/worksheets/sheet1.xml"
    # The uncompressed size is at offset 24 of the central directory entry, 22 of the local header.
    for signature, offset, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        at = data.find(signature)
        while data[at + name_at : at + name_at + len(name)] != name:
            at = data.find(signature, at + 4)
        struct.pack_into("<I", data, at + offset, declared)
    return bytes(data)


# --- CSV bombs ----------------------------------------------------------------------------------

CSV_HEADER = ",".join(HEADER).encode()


def csv_giant_field() -> bytes:
    """One quoted field of almost 5 MB (an unclosed quote does the same)."""
    return CSV_HEADER + b'\r\n"' + b"9" * (5 * 1024 * 1024 - 200) + b'",2025-06,1,0,x\r\n'


def csv_many_columns() -> bytes:
    """A data line of two and a half million empty columns."""
    return CSV_HEADER + b"\r\nHT-1" + b"," * (5 * 1024 * 1024 - 200) + b"\r\n"


def csv_one_line() -> bytes:
    """The whole file one line of almost 5 MB, without a single delimiter or quote."""
    return b"x" * (5 * 1024 * 1024 - 10)


def csv_blank_lines() -> bytes:
    """The header, five million blank lines, then one row far past the row limit."""
    return CSV_HEADER + b"\n" * (5 * 1024 * 1024 - 200) + ",".join(GOOD_ROW).encode() + b"\n"


def csv_blank_records() -> bytes:
    """The header and two million records of empty cells (",\\n")."""
    return CSV_HEADER + b"\n" + b",\n" * (2 * 1024 * 1024)


def csv_xxe_text() -> bytes:
    """XML entity syntax in a CSV is only text."""
    return (
        CSV_HEADER
        + b'\r\n<!DOCTYPE x [<!ENTITY x SYSTEM "file:///etc/passwd">]>&x;,2025-06,1,0,x\r\n'
    )


# --- the corpus: (name, builder, a fragment of the message that refuses it) ----------------------


BOMBS: list[tuple[str, Callable[[], bytes], str]] = [
    ("dimension A1:XFD20000", lambda: dimension_bomb("A1:XFD20000", 20_000), "A1:XFD20000"),
    (
        "dimension A1:XFD1048576",
        lambda: dimension_bomb("A1:XFD1048576", 1_048_576),
        "A1:XFD1048576",
    ),
    ("row 1048576", far_row, "第 1048576 行超出上限"),
    ("column XFD", far_column, "超过 100 列"),
    ("shared strings 300 MB declared", shared_strings_big, "解压后过大"),
    ("shared strings 4.5M characters", lambda: shared_strings_big(30_000, 150), "文字过多"),
    ("shared string of 1 MB", lambda: shared_strings_big(1_000_000, 4), "文字过多"),
    ("a million tiny shared strings", shared_strings_many, "文字过多"),
    ("inline string of 100 MB", inline_string_bomb, "32767 个字符"),
    ("ten million empty cells", many_cells, "内容过多"),
    ("a tag of 40 MB", giant_tag, "无法读取"),
    ("eight million empty rows", many_rows, "内容过多"),
    ("XXE file in sheet", lambda: xxe("file:///etc/passwd"), "DTD"),
    (
        "XXE file in shared strings",
        lambda: xxe("file:///etc/passwd", "xl/sharedStrings.xml"),
        "DTD",
    ),
    ("XXE file in workbook", lambda: xxe("file:///etc/passwd", "xl/workbook.xml"), "DTD"),
    ("billion laughs in shared strings", billion_laughs, "DTD"),
    ("billion laughs in sheet", lambda: billion_laughs("xl/worksheets/sheet1.xml"), "DTD"),
    ("nested two million deep", deep_nesting, "无法读取"),
    ("two million element names", many_names, "无法读取"),
    ("40,000 zip entries", many_entries, "部件过多"),
    ("zip size says 1 KB, holds 200 MB", lambda: lying_size(1000), "无法读取"),
    ("zip size says 100 MB, holds 200 MB", lambda: lying_size(100 * 2**20), "解压后过大"),
    ("zip size says 1 GB", lambda: lying_size(2**30), "解压后过大"),
    ("CSV field of 5 MB", csv_giant_field, "过长的单元格"),
    ("CSV line of 2.5 million columns", csv_many_columns, "超过 100 列"),
    ("CSV one line of 5 MB", csv_one_line, "过长的单元格"),
    ("CSV five million blank lines", csv_blank_lines, "超出上限"),
    ("CSV two million empty records", csv_blank_records, "超出上限"),
]
# URL-fetching entities: built with the port of a socket the test listens on.
URL_BOMBS: list[tuple[str, Callable[[str], bytes]]] = [
    ("XXE URL in sheet", lambda url: xxe(url)),
    ("XXE URL in shared strings", lambda url: xxe(url, "xl/sharedStrings.xml")),
    ("XXE URL in workbook", lambda url: xxe(url, "xl/workbook.xml")),
    ("XXE URL as parameter entity", parameter_entity_xxe),
]
