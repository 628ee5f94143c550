"""The supervision dashboard over HTTP: scoping per viewer, filters, exports and alerts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal import settings
from portal.accounts.models import User
from portal.catalog.models import BankProduct
from portal.enums import FiveTierClass, LeadStatus, ProductKind, Role
from portal.extensions import db
from portal.lpr import LprRate
from tests.factories import (
    AgencyFactory,
    FirmFactory,
    InstitutionFactory,
    UserFactory,
)
from tests.supervision.builders import at, lead, loan, need, report

D = Decimal
JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
# The dashboard's "today": its default range is 2025-03 to 2026-02 and "last month" is February.
TODAY = dt.date(2026, 3, 15)
TABLES = ("months", "banks", "regions", "industries", "sizes", "products", "alerts", "subsidies")
EVIL_NAME = '=HYPERLINK("http://evil.example","点我")'


def product(bank, name) -> BankProduct:
    row = BankProduct(
        institution=bank,
        name=name,
        kind=ProductKind.CREDIT,
        min_amount=D("100000"),
        max_amount=D("10000000"),
        min_term_months=6,
        max_term_months=36,
        min_rate=D("3"),
        max_rate=D("6"),
        guarantee_types=["credit"],
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def data(app, monkeypatch):
    """Three banks, firms in 福州 and 厦门, six loans in January and February 2026.

    X lends 1,000 万元 (2 loans), Y 1,250 万元 (3), Z 300 万元 (1): 2,550 万元 in all.
    January NPL 1/8 = 12.50%, February 2.8/11.8 = 23.73%. Z's January report contradicts the
    overdue rules; in February Y reported 2 of 3 loans and Z none of 1.
    """
    monkeypatch.setattr("portal.dashboard.routes.today_in_china", lambda: TODAY)
    with app.app_context():
        x = InstitutionFactory(short_name="银行X", region_code="350100")
        y = InstitutionFactory(short_name="银行Y", region_code="350200")
        z = InstitutionFactory(short_name="银行Z", region_code="350100")
        px, py = product(x, "X信用贷"), product(y, "Y税易贷")
        f1 = FirmFactory(
            region_code="350100", industry_code="13", employees=50, revenue=D("30000000")
        )  # small
        f2 = FirmFactory(
            region_code="350200", industry_code="52", employees=5, revenue=D("500000")
        )  # micro
        f3 = FirmFactory(
            region_code="350100", industry_code="65", employees=150, revenue=D("20000000")
        )  # medium
        user = UserFactory(role=Role.SME, firm=f1)
        db.session.add(
            LprRate(
                effective_on=dt.date(2026, 1, 20), one_year=D("3.00"), over_five_years=D("3.50")
            )
        )
        n1, n2, n3 = need(f1, user, at(8, 10)), need(f2, user, at(18, 9)), need(f3, user, at(25, 9))
        a = lead(
            n1,
            x,
            at(8, 10),
            at(8, 12),
            approved=True,
            decided=at(8, 16),
            status=LeadStatus.DISBURSED,
        )
        lead(n2, y, at(18, 9), at(18, 19), decided=at(18, 19), status=LeadStatus.DECLINED)
        lead(
            n2,
            x,
            at(19, 9),
            at(19, 13),
            approved=True,
            decided=at(20, 11),
            status=LeadStatus.APPROVED,
        )
        lead(n3, y, at(25, 9), status=LeadStatus.EXPIRED, sla_breached=True)
        l1 = loan(x, f1, dt.date(2026, 1, 10), "4000000", "4.00", "1.00", lead=a, product=px)
        l2 = loan(x, f1, dt.date(2026, 2, 5), "6000000", "3.50")
        l3 = loan(y, f2, dt.date(2026, 1, 20), "1000000", "5.00", product=py)
        l4 = loan(y, f3, dt.date(2026, 2, 10), "2000000", "3.00", product=py)
        loan(y, f2, dt.date(2026, 2, 15), "9500000", "4.00")
        l6 = loan(z, f3, dt.date(2026, 1, 15), "3000000", "4.50")
        report(l1, JAN, "4000000", FiveTierClass.NORMAL)
        report(l3, JAN, "1000000", FiveTierClass.DOUBTFUL)
        report(l6, JAN, "3000000", FiveTierClass.NORMAL, overdue=120, contradicts=True)
        report(l1, FEB, "3000000", FiveTierClass.NORMAL)
        report(l3, FEB, "800000", FiveTierClass.SUBSTANDARD)
        report(l2, FEB, "6000000", FiveTierClass.SPECIAL_MENTION)
        report(l4, FEB, "2000000", FiveTierClass.LOSS)
        people = {
            "regulator": UserFactory(role=Role.REGULATOR),
            "admin": UserFactory(role=Role.ADMIN),
            "xiamen": UserFactory(role=Role.GOV_STAFF, agency=AgencyFactory(region_code="350200")),
            "province": UserFactory(role=Role.GOV_STAFF, agency=AgencyFactory()),
            "x_admin": UserFactory(role=Role.BANK_ADMIN, institution=x),
            "x_officer": UserFactory(role=Role.BANK_OFFICER, institution=x),
            "sme": user,
        }
        db.session.commit()
        return {
            "x": x.id,
            "y": y.id,
            "z": z.id,
            "px": px.id,
            "py": py.id,
            **{key: person.email for key, person in people.items()},
        }


def page(client, auth, who: str, query: str = "", status: int = 200) -> str:
    auth.login(who)
    response = client.get(f"/dashboard/{query}")
    assert response.status_code == status
    return response.get_data(as_text=True)


def stat(html: str, label: str) -> str:
    """The value shown in a key-figure box."""
    match = re.search(
        rf'<p class="stat__label">{re.escape(label)}</p>\s*<p class="stat__value">([^<]*)', html
    )
    assert match, f"no key figure {label}"
    return match.group(1).strip()


def read_csv(body: bytes) -> list[list[str]]:
    """The table's rows (header first), without the notes under it."""
    rows = read_csv_with_notes(body)
    return rows[: rows.index([])] if [] in rows else rows


def read_csv_with_notes(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- who sees what ----------------------------------------------------------------------------


def test_regulator_sees_every_bank_and_the_totals(client, auth, data):
    """A regulator's default view counts all six loans and ranks the three banks by name."""
    html = page(client, auth, data["regulator"])
    assert (stat(html, "放款笔数"), stat(html, "放款金额")) == ("6", "2,550.00 万元")
    assert stat(html, "笔均放款") == "425.00 万元"
    for name in ("银行X", "银行Y", "银行Z"):
        assert name in html
    assert "机构排名" in html


def test_admin_sees_the_whole_province(client, auth, data):
    """An administrator sees the same province-wide figures as a regulator."""
    html = page(client, auth, data["admin"])
    assert stat(html, "放款笔数") == "6"


def test_city_staff_see_only_their_region_even_when_asking_for_another(client, auth, data):
    """厦门 staff count only 厦门 firms' loans, also with region=350100 typed into the URL."""
    html = page(client, auth, data["xiamen"])
    assert (stat(html, "放款笔数"), stat(html, "放款金额")) == ("2", "1,050.00 万元")
    assert "本地区数据：厦门市" in html
    # Their region's guarantee and subsidy figures too (the figures themselves: their modules).
    assert 'id="guarantees-title"' in html and 'id="subsidies-title"' in html
    forced = page(client, auth, data["xiamen"], "?region=350100")
    assert (stat(forced, "放款笔数"), stat(forced, "放款金额")) == ("2", "1,050.00 万元")
    assert "福州市" not in forced.split('id="regions-title"')[1]
    regions = read_csv(client.get("/dashboard/export/regions.csv?region=350100").data)
    assert [row[0] for row in regions[1:]] == ["厦门市"]


def test_provincial_staff_see_the_province_and_may_cut_by_region(client, auth, data):
    """Staff of a provincial agency see every region and may pick one."""
    assert stat(page(client, auth, data["province"]), "放款笔数") == "6"
    assert stat(page(client, auth, data["province"], "?region=350100"), "放款笔数") == "4"


def test_bank_admin_sees_own_figures_and_anonymous_median(client, auth, data):
    """Bank X sees its 2 loans, its rank 2 of 3 and the median, but no other bank's name."""
    html = page(client, auth, data["x_admin"])
    assert (stat(html, "放款笔数"), stat(html, "放款金额")) == ("2", "1,000.00 万元")
    assert "第 2 / 3 名" in html
    assert "全体银行中位数（3 家）" in html
    for other in ("银行Y", "银行Z", "Y税易贷"):
        assert other not in html
    assert "机构排名：" in html and 'id="banks-title">机构排名<' not in html


def test_bank_admin_cannot_widen_its_scope_by_url(client, auth, data):
    """bank=<another bank> in the URL is ignored: a bank admin stays on its own figures."""
    html = page(client, auth, data["x_admin"], f"?bank={data['y']}")
    assert stat(html, "放款笔数") == "2"
    assert "银行Y" not in html


def test_bank_admin_median_hidden_below_three_banks(client, auth, data):
    """Only two banks are active for 厦门 firms: no median, as it would reveal the other bank."""
    html = page(client, auth, data["x_admin"], "?region=350200")
    assert "全体银行中位数" in html
    table = html.split('id="banks-title"')[1].split("</table>")[0]
    median_row = next(row for row in table.split("<tr>") if "全体银行中位数（2 家）" in row)
    assert re.findall(r'class="num">([^<]*)<', median_row) == ["—"] * 7


@pytest.mark.parametrize("who", ["sme", "x_officer"])
def test_sme_and_bank_officer_are_refused(client, auth, data, who):
    """Firms and bank officers have no dashboard: 403 for the page and the exports."""
    auth.login(data[who])
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/export/months.csv").status_code == 403


def test_anonymous_visitor_is_sent_to_login(client, data):
    """A visitor who is not signed in is redirected to the login page."""
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_regulators_cannot_change_anything(app, client, auth, data):
    """Every /dashboard route answers POST, PUT and DELETE with 405 (there is no write)."""
    auth.login(data["regulator"])
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/dashboard"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
            urls.append(rule.rule.replace("<table>", "months").replace("<fmt>", "csv"))
    assert "/dashboard/" in urls and len(urls) == 2
    for url in ("/dashboard/", "/dashboard/export/months.csv", "/dashboard/export/banks.xlsx"):
        for method in (client.post, client.put, client.delete):
            assert method(url, data={"npl_threshold": "1"}).status_code in (403, 405)
    with app.app_context():
        assert settings.npl_alert_threshold() == D("0.03")


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "loans", "amount"),
    [
        ("?start=2026-01&end=2026-01", "3", "800.00"),
        ("?start=2026-02&end=2026-03", "3", "1,750.00"),
        ("?region=350100", "4", "1,500.00"),
        ("?industry=52", "2", "1,050.00"),
        ("?size=medium", "2", "500.00"),
        ("?bank={x}", "2", "1,000.00"),
        ("?product={py}", "2", "300.00"),
        ("?region=350100&size=medium&bank={y}", "1", "200.00"),
    ],
)
def test_filters_cut_the_figures(client, auth, data, query, loans, amount):
    """Month range, region, industry, size class, bank and product each narrow the figures."""
    html = page(client, auth, data["regulator"], query.format(**data))
    assert (stat(html, "放款笔数"), stat(html, "放款金额")) == (loans, f"{amount} 万元")


def test_filters_cut_the_tables_and_rates(client, auth, data):
    """A January-only cut shows one month row, January's NPL 12.50% and its LPR spread."""
    html = page(client, auth, data["regulator"], "?start=2026-01&end=2026-01")
    assert stat(html, "不良贷款率") == "12.50%"
    months = read_csv(client.get("/dashboard/export/months.csv?start=2026-01&end=2026-01").data)
    assert len(months) == 2
    assert months[1][:3] == ["2026-01", "3", "800.00"]
    assert months[1][8] == "12.50"


def test_loans_are_broken_down_by_size_class_and_product(client, auth, data):
    """Six loans, 2,550 万元: by size class (small 1,000, micro 1,050, medium 500) and by
    product (Y's 300 万, X's 400 万, and 1,850 万 under no product)."""
    auth.login(data["regulator"])
    sizes = read_csv(client.get("/dashboard/export/sizes.csv").data)
    assert sizes[0][:3] == ["企业规模", "放款笔数", "放款金额（万元）"]
    assert {row[0]: row[1:3] for row in sizes[1:]} == {
        "小型": ["2", "1000.00"],
        "微型": ["2", "1050.00"],
        "中型": ["2", "500.00"],
    }
    products = read_csv(client.get("/dashboard/export/products.csv").data)
    by_name = {row[0]: row[1:3] for row in products[1:]}
    assert by_name["未关联产品"] == ["3", "1850.00"]
    assert sorted(by_name.values()) == [["1", "400.00"], ["2", "300.00"], ["3", "1850.00"]]
    assert all(" · " in name for name in by_name if name != "未关联产品")


def test_a_bank_sees_only_its_own_products(client, auth, data):
    auth.login(data["x_admin"])
    own = read_csv(client.get("/dashboard/export/products.csv").data)
    assert {row[0]: row[2] for row in own[1:]} == {
        "银行X · X信用贷": "400.00",
        "未关联产品": "600.00",
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?start=2026-13", "月份格式应为 2026-01"),
        ("?start=2026-02&end=2026-01", "截止月份不能早于起始月份"),
        ("?start=2010-01&end=2026-01", "月份范围最长 60 个月"),
        ("?bank=abc", "请从列表中选择"),
        ("?region=999999", "请从列表中选择"),
        ("?size=huge", "请从列表中选择"),
        ("?npl_threshold=abc", "阈值请填写数字"),
        ("?npl_threshold=-5", "阈值应在 0.01 到 99.99 之间"),
    ],
)
def test_invalid_filters_show_a_message_and_use_defaults(client, auth, data, query, message):
    """A bad value gets its field message; the page still answers with the default figures."""
    html = page(client, auth, data["regulator"], query)
    assert message in html
    assert "已改用默认值" in html
    assert stat(html, "放款笔数") == "6"


def test_page_has_no_inline_script_or_style(client, auth, data):
    """Under script-src 'self' the page loads scripts by src; the chart data is a JSON block."""
    html = page(client, auth, data["regulator"])
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in html
    assert "/static/vendor/echarts/echarts.min.js" in html
    assert 'data-chart="volume"' in html and 'id="dashboard-charts"' in html


# --- exports ----------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_csv_export_of_every_table(client, auth, data, table):
    """Each table downloads as UTF-8 CSV with a BOM, Chinese headers and an RFC 5987 name."""
    auth.login(data["regulator"])
    response = client.get(f"/dashboard/export/{table}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="dashboard-{table}-2025-03_2026-02.csv"')
    assert f"filename*=UTF-8''{quote('监管看板-', safe='')}" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response.data)
    assert re.search(r"[\u4e00-\u9fff]", "".join(rows[0]))


@pytest.mark.parametrize("table", TABLES)
def test_xlsx_export_of_every_table(client, auth, data, table):
    """Each table downloads as an XLSX workbook whose first row holds the Chinese headers."""
    auth.login(data["regulator"])
    response = client.get(f"/dashboard/export/{table}.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    headers = [cell.value for cell in sheet[1]]
    assert re.search(r"[\u4e00-\u9fff]", "".join(headers))


def test_export_numbers_match_the_page(client, auth, data):
    """The banks export carries the ranking in 万元 and percent, numbers kept numeric in XLSX."""
    auth.login(data["regulator"])
    rows = read_csv(client.get("/dashboard/export/banks.csv").data)
    assert rows[0][:4] == ["机构排名", "银行", "放款笔数", "放款金额（万元）"]
    assert [row[:4] for row in rows[1:]] == [
        ["1", "银行Y", "3", "1250.00"],
        ["2", "银行X", "2", "1000.00"],
        ["3", "银行Z", "1", "300.00"],
    ]
    sheet = load_workbook(io.BytesIO(client.get("/dashboard/export/banks.xlsx").data)).active
    assert sheet["D2"].value == 1250 and sheet["G2"].value == 100


def test_exports_state_the_filters_they_were_made_with(client, auth, data):
    """Under a CSV and on an XLSX's second sheet: period, region, size and the data's time."""
    auth.login(data["regulator"])
    query = "?start=2025-06&end=2026-02&region=350100&size=small"
    rows = read_csv_with_notes(client.get(f"/dashboard/export/banks.csv{query}").data)
    notes = dict(row for row in rows[rows.index([]) + 1 :])
    assert notes["统计期间"] == "2025-06 至 2026-02"
    assert (notes["地区"], notes["行业"], notes["企业规模"]) == ("福州市", "全部", "小型")
    assert notes["数据"] == "实时计算" and notes["金额单位"] == "万元"
    book = load_workbook(io.BytesIO(client.get(f"/dashboard/export/regions.xlsx{query}").data))
    assert book.sheetnames[1] == "说明"
    assert ["地区", "福州市"] in [[c.value for c in row] for row in book["说明"].iter_rows()]


@pytest.mark.parametrize("path", ["/dashboard/export/ranking.csv", "/dashboard/export/banks.pdf"])
def test_unknown_table_or_format_is_404(client, auth, data, path):
    """Only the five tables and the two formats exist."""
    auth.login(data["regulator"])
    assert client.get(path).status_code == 404


def test_exports_neutralise_formulas(app, client, auth, data):
    """A bank named '=HYPERLINK(...)' is exported as text starting with an apostrophe."""
    with app.app_context():
        evil = InstitutionFactory(short_name=EVIL_NAME)
        firm = FirmFactory(region_code="350100")
        loan(evil, firm, dt.date(2026, 2, 20), "500000", "4.00")
        db.session.commit()
    auth.login(data["regulator"])
    rows = read_csv(client.get("/dashboard/export/banks.csv").data)
    assert "'" + EVIL_NAME in [row[1] for row in rows]
    assert EVIL_NAME not in [row[1] for row in rows]
    sheet = load_workbook(io.BytesIO(client.get("/dashboard/export/banks.xlsx").data)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    evil_cell = next(cell for cell in cells if "HYPERLINK" in str(cell.value))
    assert evil_cell.value == "'" + EVIL_NAME and evil_cell.data_type == "s"


def test_bank_admin_export_is_scoped(client, auth, data):
    """A bank's exports hold its own row and the median, never another bank, whatever the URL."""
    auth.login(data["x_admin"])
    for table in TABLES:
        body = client.get(f"/dashboard/export/{table}.csv?bank={data['y']}").data
        text = body.decode("utf-8-sig")
        assert "银行Y" not in text and "银行Z" not in text, table
    rows = read_csv(client.get("/dashboard/export/banks.csv").data)
    assert [row[:4] for row in rows[1:]] == [
        ["2", "银行X", "2", "1000.00"],
        ["", "全体银行中位数（3 家）", "2", "1000.00"],
    ]


# --- alerts -----------------------------------------------------------------------------------


def alert_rows(client, query: str = "") -> list[list[str]]:
    return read_csv(client.get(f"/dashboard/export/alerts.csv{query}").data)[1:]


def test_npl_above_default_threshold_is_listed(client, auth, data):
    """At the default 3%, January (12.50%), February (23.73%) and bank Y (100%) are alerts."""
    html = page(client, auth, data["regulator"])
    assert 'value="3.00"' in html  # the threshold input is pre-filled with the system default
    rows = alert_rows(client)
    npl_months = [row[1] for row in rows if row[0] == "不良率超阈值（月度）"]
    assert npl_months == ["2026-01", "2026-02"]
    npl_banks = [row for row in rows if row[0] == "不良率超阈值（机构）"]
    assert [row[2] for row in npl_banks] == ["银行Y"]
    assert "100.00%" in npl_banks[0][3]


def test_threshold_from_query_string_changes_the_list(client, auth, data):
    """npl_threshold=20 drops January (12.50%); 50 leaves only bank Y's 100%."""
    auth.login(data["regulator"])
    months = [row[1] for row in alert_rows(client, "?npl_threshold=20") if "月度" in row[0]]
    assert months == ["2026-02"]
    rows = alert_rows(client, "?npl_threshold=50")
    assert [row[2] for row in rows if "不良率" in row[0]] == ["银行Y"]
    html = page(client, auth, data["regulator"], "?npl_threshold=20")
    assert "预警阈值 20.00%" in html


def test_saved_threshold_is_the_default(app, client, auth, data):
    """An administrator's saved threshold (25%) pre-fills the form and drives the alerts."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == data["admin"]))
        settings.set_npl_alert_threshold(admin, D("0.25"))
        assert settings.npl_alert_threshold() == D("0.25")
        with pytest.raises(settings.InvalidSetting):
            settings.set_npl_alert_threshold(admin, D("1.5"))
    auth.login(data["regulator"])
    assert [row[1] for row in alert_rows(client) if "月度" in row[0]] == []
    assert 'value="25.00"' in page(client, auth, data["regulator"])


def test_sla_breaches_and_contradicting_reports_are_counted(client, auth, data):
    """Bank Y's expired lead is an SLA alert; Z's 120-days-overdue 正常 report is counted."""
    auth.login(data["regulator"])
    rows = alert_rows(client)
    sla = [row for row in rows if row[0] == "响应超时"]
    assert [(row[2], row[3]) for row in sla] == [("银行Y", "期内 1 条线索超过响应时限")]
    contradictions = [row for row in rows if row[0] == "五级分类与逾期天数矛盾"]
    assert [row[2] for row in contradictions] == ["银行Z"]
    assert "1 份" in contradictions[0][3]


def test_missing_reports_are_listed(client, auth, data):
    """For February Y reported 2 of 3 due loans and Z 0 of 1; X reported both and is fine."""
    auth.login(data["regulator"])
    missing = [row for row in alert_rows(client) if row[0] == "贷后月报缺报"]
    assert [(row[1], row[2], row[3]) for row in missing] == [
        ("2026-02", "银行Y", "应报 3 笔，已报 2 笔，缺 1 笔"),
        ("2026-02", "银行Z", "应报 1 笔，已报 0 笔，缺 1 笔"),
    ]


def test_alerts_respect_the_viewer_scope(client, auth, data):
    """厦门 staff see only 厦门 loans' alerts; bank X sees none of the other banks' alerts."""
    auth.login(data["xiamen"])
    banks = {row[2] for row in alert_rows(client) if row[0] != "不良率超阈值（月度）"}
    assert banks == {"银行Y"}
    missing = [row[3] for row in alert_rows(client) if row[0] == "贷后月报缺报"]
    assert missing == ["应报 2 笔，已报 1 笔，缺 1 笔"]
    auth.logout()
    auth.login(data["x_admin"])
    assert {row[2] for row in alert_rows(client)} <= {"银行X", "全部（当前筛选）"}
