"""Names in the monthly PDF are text: no markup of theirs reaches ReportLab, nothing is fetched."""

from __future__ import annotations

import ast
import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from reportlab.lib.utils import ImageReader
from sqlalchemy import select

from portal.enums import FiveTierClass, Role
from portal.extensions import db
from portal.monthly import pdf
from portal.monthly.models import MonthlyReport
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.supervision.builders import loan, report
from tests.supervision.test_monthly_report import needs_poppler, poppler

OCT = dt.date(2026, 10, 1)
NOV_1 = dt.date(2026, 11, 1)
PORTAL = Path(__file__).resolve().parents[2] / "portal"


class Listener:
    """A web server on 127.0.0.1 that remembers every connection made to it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            timeout = 5  # a TLS client would otherwise wait on us forever if the test regressed

            def setup(self) -> None:
                hits.append(str(self.client_address))
                super().setup()

            def do_GET(self) -> None:  # noqa: N802  (the name http.server calls)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def pdftotext(pdf_bytes: bytes, tmp_path: Path) -> str:
    """The PDF's text in reading order (a table cell's wrapped lines stay together)."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_bytes)
    return poppler("pdftotext", str(path), "-")


def flat(text: str) -> str:
    """Text without whitespace: a long name may wrap anywhere in a narrow table cell."""
    return "".join(text.split())


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as running:
        yield running


def hostile_bank(app, short_name: str) -> int:
    """An approved bank with that short name and one October loan reported as normal."""
    with app.app_context():
        bank = InstitutionFactory(short_name=short_name)
        firm = FirmFactory(region_code="350100", industry_code="13")
        row = loan(bank, firm, dt.date(2026, 10, 9), "2000000", "4.00")
        report(row, OCT, "2000000", FiveTierClass.NORMAL)
        db.session.commit()
        return bank.id


def regenerate(app, client, auth, create, monkeypatch, scope: str) -> bytes:
    """An admin regenerates the report over HTTP and downloads it: the PDF bytes."""
    monkeypatch.setattr("portal.monthly.routes.today_in_china", lambda: NOV_1)
    auth.login(create(UserFactory, role=Role.ADMIN).email)
    response = client.post(
        "/reports/regenerate", data={"period": "2026-10", "scope": scope, "confirmed": "y"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        report_id = db.session.scalar(select(MonthlyReport.id).where(MonthlyReport.scope == scope))
    download = client.get(f"/reports/{report_id}.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    return download.data


@needs_poppler
@pytest.mark.parametrize("scope_of", ["bank", "province"])
def test_an_img_tag_in_a_bank_name_is_printed_not_fetched(
    app, client, auth, create, monkeypatch, listener, tmp_path, scope_of
):
    """A short name holding <img src=...> builds the report, prints as typed, fetches nothing."""
    name = f'<img src="http://127.0.0.1:{listener.port}/x"/>'
    bank_id = hostile_bank(app, name)
    scope = f"bank:{bank_id}" if scope_of == "bank" else "province"
    text = pdftotext(regenerate(app, client, auth, create, monkeypatch, scope), tmp_path)
    assert listener.hits == []
    assert flat(name) in flat(text)


@needs_poppler
@pytest.mark.parametrize(
    "name",
    [
        "A&B <b>银行",  # an unclosed tag ReportLab would refuse
        '<font name="Nope">银行</font>',  # a font ReportLab does not know
        "</para>&amp;银行&#x41;",  # an entity that must print as typed
        '<a href="file:///etc/passwd">银行</a>',
        "<![CDATA[银行]]>",
    ],
)
def test_markup_in_a_bank_name_prints_as_typed(
    app, client, auth, create, monkeypatch, tmp_path, name
):
    """Whatever markup a short name holds, the bank's own report builds and shows it literally."""
    bank_id = hostile_bank(app, name)
    pdf_bytes = regenerate(app, client, auth, create, monkeypatch, f"bank:{bank_id}")
    text = pdftotext(pdf_bytes, tmp_path)
    assert flat(name) in flat(text)


def test_reportlab_itself_refuses_to_fetch_any_url(listener):
    """Even markup that bypassed the escaping could not make ReportLab open a URL."""
    for url in (
        f"http://127.0.0.1:{listener.port}/direct",
        f"https://127.0.0.1:{listener.port}/direct",
        f"ftp://127.0.0.1:{listener.port}/direct",
    ):
        with pytest.raises(OSError):
            ImageReader(url)
    assert listener.hits == []


def test_paragraph_escapes_markup():
    """pdf.paragraph() is text: its markup characters are escaped before ReportLab parses them."""
    style = pdf._styles("Helvetica")["body"]
    para = pdf.paragraph('<img src="http://127.0.0.1:1/x"> & <b>', style)
    assert para.text == '&lt;img src="http://127.0.0.1:1/x"&gt; &amp; &lt;b&gt;'


def _paragraph_calls() -> list[str]:
    found = []
    for path in sorted(PORTAL.rglob("*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(module):
            if isinstance(node, ast.FunctionDef):
                for call in ast.walk(node):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Name)
                        and call.func.id in ("Paragraph", "XPreformatted", "Preformatted")
                    ):
                        found.append(f"{path.relative_to(PORTAL).as_posix()}:{node.name}")
    return found


def test_every_paragraph_is_made_by_the_escaping_helper():
    """Only pdf.paragraph() builds a ReportLab Paragraph, so no caller can forget to escape."""
    assert _paragraph_calls() == ["monthly/pdf.py:paragraph"]
