"""The monthly PDF report: the PDF itself, its Chinese font, the due-report job and the archive."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from portal import settings
from portal.audit.models import AuditEntry
from portal.dates import SHANGHAI, today_in_china
from portal.enums import (
    FiveTierClass,
    GuaranteeType,
    LeadStatus,
    OnboardingStatus,
    ReportEdition,
    Role,
)
from portal.extensions import db
from portal.figures.alerts import CONTRADICTION, MISSING, NPL_BANK, NPL_MONTH, SLA
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead, Loan
from portal.lpr import LprRate
from portal.monthly import services as monthly
from portal.monthly.fonts import FALLBACK_FONT, cjk_font, discover
from portal.monthly.models import MonthlyReport
from portal.monthly.pdf import percent_change, point_change
from portal.needs.models import FinancingNeed
from portal.notifications.models import Notification
from portal.reporting.models import LoanStatusReport
from tests.factories import AgencyFactory, FirmFactory, InstitutionFactory, UserFactory
from tests.supervision.builders import loan
from tests.supervision.test_dashboard import read_csv

D = Decimal
OCT = dt.date(2026, 10, 1)
NOV_1 = dt.date(2026, 11, 1)
NOV_10, NOV_11 = dt.date(2026, 11, 10), dt.date(2026, 11, 11)  # the deadline, the day after
POPPLER = ("pdftotext", "pdftoppm", "pdffonts")
needs_poppler = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in POPPLER),
    reason="poppler-utils (pdftotext, pdftoppm, pdffonts) is not installed; .ci/run installs it",
)


def report(row: Loan, balance: str, tier: FiveTierClass, overdue: int = 0, odd: bool = False):
    db.session.add(
        LoanStatusReport(
            loan_id=row.id,
            institution_id=row.institution_id,
            period=OCT,
            balance=D(balance),
            days_overdue=overdue,
            five_tier_class=tier,
            contradicts_overdue_rules=odd,
        )
    )


def lead_for(firm, user, bank, day: int, **fields) -> Lead:
    submitted = dt.datetime(2026, 10, day, 9, tzinfo=SHANGHAI).astimezone(dt.UTC)
    need = FinancingNeed(
        firm=firm,
        submitted_by_id=user.id,
        amount=D("1000000"),
        term_months=12,
        purpose="周转",
        guarantee_type=GuaranteeType.CREDIT,
        consent_at=submitted,
        consent_scope="s",
        idempotency_key=f"n{day}{bank.id}",
        created_at=submitted,
    )
    db.session.add(need)
    db.session.flush()
    row = Lead(need_id=need.id, institution=bank, created_at=submitted, **fields)
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def dataset(app):
    """Two lending banks (X, Y), one approved bank without loans, one not yet approved."""
    with app.app_context():
        x, y = InstitutionFactory(short_name="银行X"), InstitutionFactory(short_name="银行Y")
        idle = InstitutionFactory(short_name="银行Z")
        pending = InstitutionFactory(short_name="银行W", onboarding_status=OnboardingStatus.APPLIED)
        f1 = FirmFactory(
            region_code="350100", industry_code="13", employees=50, revenue=D("30000000")
        )
        f2 = FirmFactory(region_code="350200", industry_code="52", employees=5, revenue=D("500000"))
        f3 = FirmFactory(
            region_code="350100", industry_code="65", employees=150, revenue=D("20000000")
        )
        user = UserFactory(role=Role.SME, firm=f1)
        for day, one_year in ((dt.date(2025, 9, 22), "3.35"), (dt.date(2026, 9, 21), "3.00")):
            db.session.add(
                LprRate(effective_on=day, one_year=D(one_year), over_five_years=D("3.50"))
            )
        approved = lead_for(
            f1,
            user,
            x,
            8,
            status=LeadStatus.DISBURSED,
            approved_amount=D("4000000"),
            first_response_at=dt.datetime(2026, 10, 8, 3, tzinfo=dt.UTC),
            decided_at=dt.datetime(2026, 10, 8, 6, tzinfo=dt.UTC),
        )
        lead_for(f3, user, y, 20, status=LeadStatus.EXPIRED, sla_breached=True)
        loan(x, f1, dt.date(2025, 10, 12), "3000000", "4.20")
        loan(y, f2, dt.date(2026, 9, 15), "2000000", "4.50")
        ox = loan(x, f1, dt.date(2026, 10, 10), "4000000", "4.00", "1.00", lead=approved)
        oy = loan(y, f2, dt.date(2026, 10, 20), "1000000", "5.00")
        oz = loan(y, f3, dt.date(2026, 10, 25), "2000000", "3.00")
        loan(pending, f3, dt.date(2026, 10, 26), "500000", "4.00")
        report(ox, "4000000", FiveTierClass.NORMAL)
        report(oy, "1000000", FiveTierClass.SUBSTANDARD, overdue=95)
        report(oz, "2000000", FiveTierClass.NORMAL, overdue=100, odd=True)
        db.session.commit()
        return {"x": x.id, "y": y.id, "idle": idle.id, "pending": pending.id}


@pytest.fixture
def province_pdf(app, dataset) -> bytes:
    with app.app_context():
        return monthly.generate(OCT, "province").pdf


def poppler(tool: str, *args: str) -> str:
    """Run one of poppler's command-line tools and return what it printed."""
    path = shutil.which(tool)
    assert path, f"{tool} is not installed"
    done = subprocess.run([path, *args], capture_output=True, check=True, text=True)  # noqa: S603
    return done.stdout


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return poppler("pdftotext", "-layout", str(path), "-")


# --- the PDF ----------------------------------------------------------------------------------


def test_province_report_is_an_archived_pdf_with_an_embedded_font(app, province_pdf):
    """The PDF starts with %PDF, embeds a TrueType font program and is archived with its sha256."""
    assert province_pdf.startswith(b"%PDF")
    assert cjk_font().embedded, "no TrueType CJK font found; install fonts-wqy-microhei"
    assert b"/FontFile2" in province_pdf
    with app.app_context():
        row = db.session.scalars(select(MonthlyReport)).one()
        assert (row.period, row.scope) == (OCT, "province")
        assert row.sha256 == hashlib.sha256(row.pdf).hexdigest()


@needs_poppler
def test_pdffonts_lists_the_cjk_font_as_embedded_truetype(province_pdf, tmp_path):
    """pdffonts shows every font embedded, the CJK one as a TrueType subset."""
    path = tmp_path / "report.pdf"
    path.write_bytes(province_pdf)
    listing = poppler("pdffonts", str(path))
    fonts = listing.splitlines()[2:]
    assert fonts, listing
    assert any("TrueType" in line and " yes " in line for line in fonts), listing
    assert all(line.split()[-5] == "yes" for line in fonts), listing  # the "emb" column


@needs_poppler
def test_chinese_text_extracts_from_the_pdf(province_pdf, tmp_path):
    """pdftotext gives back the title, the period, region and bank names and page numbers."""
    text = pdftotext(province_pdf, tmp_path)
    for expected in (
        "产融通",
        "月度运行监测报告",
        "2026年10月",
        "全省",
        "福州市",
        "厦门市",
        "农副食品加工业",
        "银行X",
        "银行Y",
        "环比",
        "同比",
    ):
        assert expected in text, expected
    assert re.search(r"第\s*2\s*页", text)


@needs_poppler
def test_key_figures_alerts_and_comparisons_are_in_the_pdf(province_pdf, tmp_path):
    """7.5 million yuan lent (750.00 万元); +275% on September, +150% on last October; alerts."""
    text = pdftotext(province_pdf, tmp_path)
    assert "750.00" in text
    assert "+275.00%" in text and "+150.00%" in text
    assert "不良贷款率高于 3.00% 的机构：1 家" in text
    assert "响应超时（SLA）：超过响应时限未答复的线索 1 笔" in text
    assert "五级分类与逾期天数不符的贷后报送：1 笔" in text
    # October by size class: small 400 (X's), micro 100 and medium 250 万元 (Y's and W's).
    sizes = text[text.index("按企业规模") :]
    for line in ("小型", "微型", "中型"):
        assert line in sizes


# --- the alerts: the dashboard's, at the saved threshold --------------------------------------

BANK_NAMES = ("银行W", "银行X", "银行Y", "银行Z")
KIND_OF_LABEL = {  # the dashboard export's Chinese labels
    "不良率超阈值（月度）": NPL_MONTH,
    "不良率超阈值（机构）": NPL_BANK,
    "响应超时": SLA,
    "五级分类与逾期天数矛盾": CONTRADICTION,
    "贷后月报缺报": MISSING,
}
# The numbered items of 八、风险提示 and the alert kind each lists (item 1 also the month's).
ALERT_ITEMS = {
    NPL_BANK: "1.不良贷款率高于",
    SLA: "2.响应超时（SLA）：",
    CONTRADICTION: "3.五级分类与逾期天数不符的贷后报送",
    MISSING: "4.贷后月报缺报的机构",
}


def flat(text: str) -> str:
    """Text without whitespace: a table's columns and wrapped lines run together."""
    return "".join(text.split())


def alert_items(text: str) -> dict[str, str]:
    """Each numbered item of the PDF's 八、风险提示 (without whitespace), by the kind it lists."""
    section = flat(text).split("八、风险提示", 1)[1].split("统计口径", 1)[0]
    starts = [section.index(words) for words in ALERT_ITEMS.values()]
    ends = [*starts[1:], len(section)]
    return {kind: section[s:e] for kind, s, e in zip(ALERT_ITEMS, starts, ends, strict=True)}


def pink_rows(pdf: bytes, folder: Path) -> bool:
    """Whether any page shows the pale red of a flagged row in the bank table."""
    folder.mkdir()
    (folder / "pages.pdf").write_bytes(pdf)
    poppler("pdftoppm", "-png", "-r", "40", str(folder / "pages.pdf"), str(folder / "page"))
    from PIL import Image  # Pillow comes with ReportLab

    for png in folder.glob("page*.png"):
        with Image.open(png) as image:
            if (0xFB, 0xEA, 0xEA) in {rgb for _n, rgb in image.convert("RGB").getcolors(1 << 20)}:
                return True
    return False


@pytest.fixture
def four_percent_bank(app) -> None:
    """The only lending bank, at 4% NPL in October: 40 of 1,000 万元 reported is substandard."""
    with app.app_context():
        bank = InstitutionFactory(short_name="银行N")
        firm = FirmFactory(region_code="350100", industry_code="13")
        normal = loan(bank, firm, dt.date(2026, 10, 9), "9600000", "4.00")
        bad = loan(bank, firm, dt.date(2026, 10, 12), "400000", "4.00")
        report(normal, "9600000", FiveTierClass.NORMAL)
        report(bad, "400000", FiveTierClass.SUBSTANDARD, overdue=95)
        db.session.commit()


@needs_poppler
def test_the_saved_npl_threshold_decides_what_the_pdf_flags(app, four_percent_bank, tmp_path):
    """At the default 3% the bank at 4% is an alert, its row and bar red; at a saved 5% not."""
    with app.app_context():
        at_three = monthly.render(OCT, "province")
        settings.set_npl_alert_threshold(UserFactory(role=Role.ADMIN), D("0.05"))
        at_five = monthly.render(OCT, "province")
    flagged = alert_items(pdftotext(at_three, tmp_path))[NPL_BANK]
    assert flagged.startswith("1.不良贷款率高于3.00%的机构：1家。")
    assert "全部贷款合计：2026年10月末不良贷款率4.00%，高于3.00%。" in flagged
    assert "银行N4.00%" in flagged
    assert pink_rows(at_three, tmp_path / "three")
    text = pdftotext(at_five, tmp_path)
    assert alert_items(text)[NPL_BANK] == "1.不良贷款率高于5.00%的机构：0家。"
    assert "红色为高于5.00%" in flat(text) and "警戒线5.00%" in flat(text)
    assert not pink_rows(at_five, tmp_path / "five")


@needs_poppler
@pytest.mark.parametrize("cut", ["province", "region:350200", "bank:x"])
def test_the_pdf_lists_the_dashboards_alerts_for_the_same_cut(
    app, client, auth, create, dataset, monkeypatch, tmp_path, cut
):
    """The alerts the PDF is given and prints are the dashboard's for that month and cut."""
    monkeypatch.setattr("portal.dashboard.routes.today_in_china", lambda: dt.date(2026, 11, 15))
    scope, query = cut, ""
    if cut.startswith("region:"):
        query = f"&region={cut.removeprefix('region:')}"
    elif cut.startswith("bank:"):
        scope, query = f"bank:{dataset['x']}", f"&bank={dataset['x']}"
    auth.login(create(UserFactory, role=Role.REGULATOR).email)
    export = client.get(f"/dashboard/export/alerts.csv?start=2026-10&end=2026-10{query}")
    listed = [
        (KIND_OF_LABEL[label], month, None if bank == "全部（当前筛选）" else bank)
        for label, month, bank, _detail in read_csv(export.data)[1:]
    ]
    given = []
    render_report = monthly.render_report

    def keep_alerts(*args, **kwargs) -> bytes:
        given.extend(kwargs["alerts"])
        return render_report(*args, **kwargs)

    monkeypatch.setattr(monthly, "render_report", keep_alerts)
    with app.app_context():
        items = alert_items(pdftotext(monthly.render(OCT, scope), tmp_path))
    assert [(a.kind, f"{a.month:%Y-%m}" if a.month else "", a.bank) for a in given] == listed
    assert listed, "the dataset has alerts in every cut"
    for kind, item in items.items():
        named = {name for name in BANK_NAMES if name in item}
        assert named == {bank for k, _month, bank in listed if k == kind}, kind
    assert ("全部贷款合计：2026年10月末" in items[NPL_BANK]) == any(
        kind == NPL_MONTH for kind, _month, _bank in listed
    )


@needs_poppler
def test_first_page_renders_to_a_non_blank_image(province_pdf, tmp_path):
    """pdftoppm renders the cover as a PNG with real content (many distinct pixel values)."""
    (tmp_path / "report.pdf").write_bytes(province_pdf)
    pdf, prefix = str(tmp_path / "report.pdf"), str(tmp_path / "page")
    poppler("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", pdf, prefix)
    (png,) = tmp_path.glob("page*.png")
    assert png.stat().st_size > 4_000
    from PIL import Image  # Pillow comes with ReportLab

    with Image.open(png) as image:
        greys = image.convert("L")
        shades = sum(1 for pixels in greys.histogram() if pixels)
        assert shades > 20  # text, bands and rules, not one flat colour


def test_changes_read_as_percent_or_points_with_a_dash_for_no_base():
    """Month-on-month text: percent change, percentage-point change, '—' without a base."""
    assert percent_change(D("110"), D("100")) == "+10.00%"
    assert percent_change(D("90"), D("100")) == "−10.00%"
    assert percent_change(D("5"), D("0")) == "—"
    assert percent_change(D("5"), None) == "—"
    assert point_change(D("0.0350"), D("0.0300"), scale=100) == "+0.50个百分点"
    assert point_change(D("3.80"), None) == "—"


def test_without_a_truetype_font_the_builtin_cid_font_is_used(caplog):
    """With no usable TrueType font the report falls back to STSong-Light and says so."""
    font = discover([("/nonexistent/font.ttc", 0)])
    assert (font.name, font.embedded) == (FALLBACK_FONT, False)
    assert "not embedded" in caplog.text


def test_report_still_renders_with_the_builtin_cid_font(app, dataset, monkeypatch):
    """Without a TrueType font the PDF is still made, in STSong-Light (not embedded)."""
    monkeypatch.setattr("portal.monthly.pdf.cjk_font", lambda: discover([]))
    with app.app_context():
        pdf = monthly.render(OCT, "province")
    assert pdf.startswith(b"%PDF")
    assert b"/STSong-Light" in pdf and b"/FontFile2" not in pdf


# --- the job and regeneration -----------------------------------------------------------------


def test_scopes_are_province_prefectures_and_approved_lending_banks(app, dataset):
    """Nine prefectures; banks X and Y, not the idle bank nor the one awaiting approval."""
    with app.app_context():
        scopes = monthly.scopes_for(OCT)
    assert scopes[:2] == ["province", "region:350100"]
    assert [s for s in scopes if s.startswith("region:")][-1] == "region:350900"
    assert len([s for s in scopes if s.startswith("region:")]) == 9
    assert [s for s in scopes if s.startswith("bank:")] == [
        f"bank:{dataset['x']}",
        f"bank:{dataset['y']}",
    ]


def test_due_reports_are_made_once_per_month(app, dataset):
    """Up to 10 November the newest month past its deadline is September (made once, as a
    catch-up); from the 11th the job makes October's 12 final reports, once."""
    with app.app_context():
        regulator = UserFactory(role=Role.REGULATOR)
        db.session.commit()
        assert monthly.generate_due_reports(NOV_1) == 12  # September's, never made before
        assert monthly.generate_due_reports(NOV_10) == 0
        assert monthly.generate_due_reports(NOV_11) == 12
        assert monthly.generate_due_reports(NOV_11) == 0
        assert monthly.generate_due_reports(dt.date(2026, 11, 17)) == 0
        rows = db.session.scalars(select(MonthlyReport).where(MonthlyReport.period == OCT)).all()
        assert len({r.scope for r in rows}) == 12
        assert {(r.edition, r.version) for r in rows} == {(ReportEdition.FINAL, 1)}
        told = db.session.scalars(
            select(Notification.dedupe_key).where(Notification.user_id == regulator.id)
        ).all()
        assert sorted(told) == [
            f"monthly-report-2026-09:{regulator.id}",
            f"monthly-report-2026-10:{regulator.id}",
        ]


def test_a_missing_report_is_made_on_a_later_run(app, dataset):
    """A report deleted (or never made) is made on the next run; the others are left alone."""
    with app.app_context():
        monthly.generate_due_reports(NOV_11)
        province = db.session.scalar(select(MonthlyReport).where(MonthlyReport.scope == "province"))
        kept = db.session.scalar(
            select(MonthlyReport.generated_at).where(MonthlyReport.scope == "region:350100")
        )
        db.session.delete(province)
        db.session.commit()
        assert monthly.generate_due_reports(dt.date(2026, 11, 12)) == 1
        again = db.session.scalar(
            select(MonthlyReport.generated_at).where(MonthlyReport.scope == "region:350100")
        )
        assert again == kept
        assert db.session.scalar(select(func.count(Notification.id))) == 0  # no regulators


def test_regulators_are_told_after_a_run_that_stopped_before_telling_them(app, dataset):
    """A run killed after archiving the province report: the next run tells them, once."""
    with app.app_context():
        regulator = UserFactory(role=Role.REGULATOR)
        db.session.commit()
        monthly.generate(OCT, "province")  # all the stopped run got done
        assert monthly.generate_due_reports(NOV_11) == 11
        assert monthly.generate_due_reports(NOV_11) == 0
        told = db.session.scalars(
            select(Notification).where(Notification.user_id == regulator.id)
        ).all()
        assert [n.dedupe_key for n in told] == [f"monthly-report-2026-10:{regulator.id}"]


def test_generating_again_keeps_the_first_edition_and_lists_what_changed(app, dataset):
    """A provisional edition on 1 November, a final one on the 12th after a late loan: two
    rows, both PDFs kept, the second naming the figures that moved; both audited."""
    first_at = dt.datetime(2026, 11, 1, 1, tzinfo=dt.UTC)
    later_at = dt.datetime(2026, 11, 12, 2, tzinfo=dt.UTC)
    with app.app_context():
        first = monthly.generate(OCT, "province", now=first_at)
        first_id, first_sha = first.id, first.sha256
        assert (first.edition, first.version, first.changes) == (ReportEdition.PROVISIONAL, 1, [])
        x = db.session.get(Loan, db.session.scalar(select(Loan.id).limit(1))).institution
        loan(x, FirmFactory(region_code="350500"), dt.date(2026, 10, 30), "800000", "3.90")
        db.session.commit()
        second = monthly.generate(OCT, "province", now=later_at)
        assert second.id != first_id
        assert (second.edition, second.version) == (ReportEdition.FINAL, 2)
        assert second.sha256 != first_sha
        assert second.sha256 == hashlib.sha256(second.pdf).hexdigest()
        assert second.generated_at == later_at
        assert db.session.get(MonthlyReport, first_id).sha256 == first_sha
        changed = {c["figure"]: (c["before"], c["after"]) for c in second.changes}
        assert changed["放款笔数（笔）"] == ("4", "5")
        assert "不良贷款率" not in changed
        assert db.session.scalar(select(func.count(MonthlyReport.id))) == 2
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "MonthlyReport")
        ).all()
        assert sorted(actions) == ["monthly_report.generate", "monthly_report.regenerate"]


def test_unknown_scopes_are_refused(app):
    """A scope that is not the province, a prefecture or a bank id is an error."""
    for scope in ("country", "region:110000", "region:3501", "bank:abc", "bank:0", ""):
        with pytest.raises(monthly.UnknownScope):
            monthly.parse_scope(scope)


# --- the archive ------------------------------------------------------------------------------


@pytest.fixture
def archive(app, dataset):
    """Reports for the province, 福州市, 厦门市 and banks X and Y."""
    with app.app_context():
        ids = {
            scope: monthly.generate(OCT, scope).id
            for scope in (
                "province",
                "region:350100",
                "region:350200",
                f"bank:{dataset['x']}",
                f"bank:{dataset['y']}",
            )
        }
    return {**dataset, "reports": ids}


def listed(client) -> str:
    response = client.get("/reports/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_bank_admin_sees_only_its_own_bank(app, client, auth, create, archive):
    """A bank admin lists and downloads its bank's report; another bank's id is a 404."""
    with app.app_context():
        x = db.session.get(FinancialInstitution, archive["x"])
        admin = UserFactory(role=Role.BANK_ADMIN, institution=x)
        db.session.commit()
        email = admin.email
    auth.login(email)
    html = listed(client)
    assert "银行X" in html and "银行Y" not in html and "福州市" not in html
    own = archive["reports"][f"bank:{archive['x']}"]
    other = archive["reports"][f"bank:{archive['y']}"]
    assert client.get(f"/reports/{own}.pdf").status_code == 200
    assert client.get(f"/reports/{other}.pdf").status_code == 404
    assert client.get(f"/reports/{archive['reports']['province']}.pdf").status_code == 404


def test_gov_staff_see_the_province_and_their_region(app, client, auth, create, archive):
    """A 福州 agency's staff see 全省 and 福州市, not 厦门市 nor any bank."""
    with app.app_context():
        staff = UserFactory(role=Role.GOV_STAFF, agency=AgencyFactory(region_code="350100"))
        db.session.commit()
        email = staff.email
    auth.login(email)
    html = listed(client)
    assert "全省" in html and "福州市" in html
    assert "厦门市" not in html and "银行X" not in html
    assert client.get(f"/reports/{archive['reports']['region:350200']}.pdf").status_code == 404


def test_regulator_sees_every_report_newest_first(app, client, auth, create, archive):
    """The regulator's list has all five reports, the province first, each with its size."""
    with app.app_context():
        monthly.generate(dt.date(2026, 9, 1), "province")
    auth.login(create(UserFactory, role=Role.REGULATOR).email)
    html = listed(client)
    for label in ("全省", "福州市", "厦门市", "银行X", "银行Y"):
        assert label in html
    assert html.index("2026-10") < html.index("2026-09")
    assert " KB" in html
    assert html.count("/reports/") >= 6


@pytest.mark.parametrize("role", [Role.SME, Role.BANK_OFFICER])
def test_roles_without_the_archive_are_refused(app, client, auth, create, archive, role):
    """An SME user (or a bank officer) gets 403 for the list, a download and regeneration."""
    auth.login(create(UserFactory, role=role).email)
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/reports/{archive['reports']['province']}.pdf").status_code == 403
    assert client.post("/reports/regenerate", data={"period": "2026-10"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    """The archive is not public."""
    response = client.get("/reports/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_download_names_the_file_in_chinese(app, client, auth, create, archive):
    """The download is the archived PDF with an ASCII filename and a UTF-8 filename*."""
    auth.login(create(UserFactory, role=Role.REGULATOR).email)
    response = client.get(f"/reports/{archive['reports']['province']}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="monthly-report-2026-10.pdf"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert encoded.isascii()
    assert unquote(encoded) == "产融通月度报告_2026年10月_全省.pdf"
    region = client.get(f"/reports/{archive['reports']['region:350100']}.pdf")
    assert unquote(region.headers["Content-Disposition"]).endswith("_2026年10月_福州市.pdf")


def test_admin_regenerates_a_report(app, client, auth, create, archive, monkeypatch):
    """An admin posts a month and scope (with CSRF): the row is replaced and a flash says so."""
    monkeypatch.setattr("portal.monthly.routes.today_in_china", lambda: NOV_1)
    auth.login(create(UserFactory, role=Role.ADMIN).email)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = listed(client)
    assert "正在生成，约需数秒" in page
    from tests.conftest import csrf_token_from

    token = csrf_token_from(page)
    assert (
        client.post(
            "/reports/regenerate", data={"period": "2026-10", "scope": "province"}
        ).status_code
        == 400
    )
    with app.app_context():
        before = db.session.get(MonthlyReport, archive["reports"]["province"]).generated_at
    unconfirmed = client.post(
        "/reports/regenerate",
        data={"csrf_token": token, "period": "2026-10", "scope": "province"},
    )
    assert "请先勾选“我确认”" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        unchanged = db.session.get(MonthlyReport, archive["reports"]["province"]).generated_at
        assert unchanged == before
    response = client.post(
        "/reports/regenerate",
        data={"csrf_token": token, "period": "2026-10", "scope": "province", "confirmed": "y"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/reports/?month=2026-10")
    assert "已生成2026年10月“全省”月度报告正式版第 2 版" in listed(client)
    with app.app_context():
        kept = db.session.get(MonthlyReport, archive["reports"]["province"])
        assert kept.generated_at == before
        after = monthly.latest_edition(OCT, "province")
        assert (after.version, after.generated_at > before) == (2, True)
        assert after.sha256 == hashlib.sha256(after.pdf).hexdigest()
        assert db.session.scalar(select(func.count(MonthlyReport.id))) == 6


def test_regenerating_an_unfinished_month_is_refused(app, client, auth, create, dataset):
    """A month that has not ended (or a bad format) is an error that says what to fix."""
    auth.login(create(UserFactory, role=Role.ADMIN).email)
    this_month = today_in_china().strftime("%Y-%m")
    html = client.post(
        "/reports/regenerate", data={"period": this_month, "scope": "province"}
    ).get_data(as_text=True)
    assert "尚未结束" in html
    html = client.post(
        "/reports/regenerate", data={"period": "10/2026", "scope": "province"}
    ).get_data(as_text=True)
    assert "格式应为 2026-10" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(MonthlyReport.id))) == 0


def test_empty_archive_tells_admins_how_to_make_one(client, auth, create):
    """With no reports, an admin reads when they appear and how to make one now."""
    auth.login(create(UserFactory, role=Role.ADMIN).email)
    html = listed(client)
    assert "报送截止日（每月 10 日）过后自动生成" in html and "生成报告" in html


def test_regulators_read_the_archive_but_cannot_regenerate(client, auth, create, archive):
    """Regulators only read: no generate form on their page, and posting one is refused."""
    auth.login(create(UserFactory, role=Role.REGULATOR).email)
    html = listed(client)
    assert "生成报告" not in html and "/reports/regenerate" not in html
    refused = client.post("/reports/regenerate", data={"period": "2026-10", "scope": "province"})
    assert refused.status_code == 403
