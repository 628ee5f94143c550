"""Each monthly report edition is archived in Chinese and in English, from the same figures, and
the archive offers both (the reader's language first)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from flask_babel import force_locale
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from portal.monthly import services as monthly
from tests.factories import UserFactory
from tests.supervision.test_monthly_report import (  # noqa: F401  (dataset is a fixture)
    OCT,
    dataset,
    needs_poppler,
    pdftotext,
)

AFTER_DEADLINE = dt.datetime(2026, 11, 12, 2, tzinfo=dt.UTC)
# The names people typed (the dataset's banks): printed as typed in either language.
TYPED_NAMES = ("银行X", "银行Y", "银行Z", "银行W")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _untyped(text: str) -> str:
    for name in TYPED_NAMES:
        text = text.replace(name, "")
    return text


def test_an_edition_is_archived_in_both_languages_from_one_computation(
    app,
    dataset,  # noqa: F811
    monkeypatch,
):
    calls = []
    gather = monthly.report_figures
    monkeypatch.setattr(
        monthly, "report_figures", lambda *a, **k: calls.append(a) or gather(*a, **k)
    )
    with app.app_context():
        report = monthly.generate(OCT, "province", now=AFTER_DEADLINE)
        assert len(calls) == 1
        assert report.pdf.startswith(b"%PDF") and report.pdf_en.startswith(b"%PDF")
        assert report.pdf != report.pdf_en
        assert report.sha256 == hashlib.sha256(report.pdf).hexdigest()
        assert report.sha256_en == hashlib.sha256(report.pdf_en).hexdigest()
        detail = db.session.scalar(
            select(AuditEntry.detail).where(AuditEntry.action == "monthly_report.generate")
        )
    assert detail["sha256"] == report.sha256 and detail["sha256_en"] == report.sha256_en
    assert detail["size_en"] == len(report.pdf_en)


@needs_poppler
def test_the_english_edition_is_english_but_for_typed_names(app, dataset, tmp_path):  # noqa: F811
    """Headings, months, units, regions and industries in English; bank names as typed."""
    with app.app_context():
        report = monthly.generate(OCT, "province", now=AFTER_DEADLINE)
        text = pdftotext(report.pdf_en, tmp_path)
    for heading in ("1. Overview", "2. Key figures", "4. Lending by region", "8. Risk alerts"):
        assert heading in text
    assert "October 2026" in text and "Page 2" in text and "Final · edition 1" in text
    assert "Amount disbursed (10k yuan)" in text and "Fuzhou" in text
    assert "银行X" in text  # a name people typed stays as typed
    assert HAN.findall(_untyped(text)) == []


@needs_poppler
def test_the_chinese_edition_stays_chinese_when_an_english_reader_makes_it(
    app,
    dataset,  # noqa: F811
    tmp_path,
):
    with app.test_request_context(), force_locale("en"):
        report = monthly.generate(OCT, "province", now=AFTER_DEADLINE)
        chinese = pdftotext(report.pdf, tmp_path)
        stored = [change["figure"] for change in report.changes]
    assert "一、总体情况" in chinese and "2026年10月" in chinese
    assert re.search(r"第\s*2\s*页", chinese)
    assert "正式版 · 第 1 版 · 报送覆盖率" in chinese
    assert "Overview" not in chinese and "October" not in chinese
    assert stored == []  # a first edition; a revision stores its changes' Chinese names
    with app.test_request_context(), force_locale("en"):
        changes = monthly.figure_changes({"loans": "1"}, {"loans": "2"})
    assert changes[0]["figure"] == "放款笔数（笔）"


def _regulator(app, locale: str | None = None) -> str:
    with app.app_context():
        user = UserFactory(role=Role.REGULATOR, locale=locale)
        db.session.commit()
        return user.email


def _downloads(app) -> list[dict]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry.detail)
                .where(AuditEntry.action == "monthly_report.download")
                .order_by(AuditEntry.id)
            )
        )


def test_the_download_serves_either_language_and_audits_which(app, client, auth, dataset):  # noqa: F811
    with app.app_context():
        report = monthly.generate(OCT, "province", now=AFTER_DEADLINE)
        ids = (report.id, report.sha256, report.sha256_en)
    report_id, sha256, sha256_en = ids
    auth.login(_regulator(app))

    english = client.get(f"/reports/{report_id}.pdf?lang=en")
    assert english.status_code == 200
    assert hashlib.sha256(english.data).hexdigest() == sha256_en
    assert english.headers["ETag"].strip('"') == sha256_en
    disposition = english.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="monthly-report-2026-10-en.pdf"'

    for query in ("", "?lang=zh", "?lang=fr"):
        chinese = client.get(f"/reports/{report_id}.pdf{query}")
        assert hashlib.sha256(chinese.data).hexdigest() == sha256
        assert chinese.headers["ETag"].strip('"') == sha256
        assert 'filename="monthly-report-2026-10.pdf"' in chinese.headers["Content-Disposition"]

    recorded = [(d["language"], d["sha256"]) for d in _downloads(app)]
    assert recorded == [("en", sha256_en), ("zh", sha256), ("zh", sha256), ("zh", sha256)]


def test_the_archive_offers_both_the_readers_language_first(app, client, auth, dataset):  # noqa: F811
    with app.app_context():
        report_id = monthly.generate(OCT, "province", now=AFTER_DEADLINE).id
    chinese_link = f'href="/reports/{report_id}.pdf"'
    english_link = f'href="/reports/{report_id}.pdf?lang=en"'
    auth.login(_regulator(app))
    html = client.get("/reports/").get_data(as_text=True)
    assert html.index(chinese_link) < html.index(english_link)
    auth.logout()
    auth.login(_regulator(app, locale="en"))
    html = client.get("/reports/").get_data(as_text=True)
    assert html.index(english_link) < html.index(chinese_link)


def test_an_edition_made_before_english_reports_says_so(app, client, auth, dataset):  # noqa: F811
    with app.app_context():
        report = monthly.generate(OCT, "province", now=AFTER_DEADLINE)
        report.pdf_en, report.sha256_en = None, None  # as migration 0027 leaves older editions
        db.session.commit()
        report_id = report.id
    auth.login(_regulator(app))
    for page in ("/reports/", f"/reports/{report_id}/editions"):
        html = client.get(page).get_data(as_text=True)
        assert "无英文版（本版生成于英文报告推出之前）" in html
        assert f"/reports/{report_id}.pdf?lang=en" not in html
    assert client.get(f"/reports/{report_id}.pdf").status_code == 200
    assert client.get(f"/reports/{report_id}.pdf?lang=en").status_code == 404
