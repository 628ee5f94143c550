"""The monthly supervision report as a PDF: cover, key figures, charts, tables and alerts.

Pure rendering: every number comes in as `metrics.Figures`, and the alerts as the list
`alerts.find_alerts` made for the same cut (the dashboard's); nothing here queries the database.
The report is written in the locale it is rendered under (`services.generate` renders each
edition twice, Chinese and English, from the same figures): every text is translated at render
time. All text uses the font `fonts.cjk_font()` registered (a TrueType font, embedded as a
subset; names people typed stay Chinese in either language). A Chinese report wraps with
`wordWrap='CJK'`, since Chinese has no spaces to break at; an English one wraps at spaces, as
CJK wrapping would break English words anywhere.

Every Paragraph is made by `paragraph()`, which escapes its text: names come from banks and
people, and ReportLab reads markup in a Paragraph (`<img src>` fetches a URL or reads a file,
an unknown tag or font stops the build). ReportLab is also told to trust no URL at all.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab import rl_config
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from portal.dates import SHANGHAI, month_end
from portal.enums import SIZE_CLASS_LABELS, ReportEdition
from portal.figures.alerts import (
    CONTRADICTION,
    MISSING,
    NPL_BANK,
    NPL_MONTH,
    SLA,
    Alert,
    above_threshold,
)
from portal.figures.coverage import Coverage
from portal.figures.definitions import FIGURE_NAMES
from portal.figures.guarantees import GuaranteeFigures, GuaranteeGroup
from portal.figures.live import BankFigures, Figures, GroupRow, MonthFigures
from portal.firms import standards
from portal.monthly.fonts import cjk_font

PLATFORM = _l("产融通")
PLATFORM_LONG = _l("福建省政银企融资对接平台")
REPORT_TITLE = _l("月度运行监测报告")
TOP_INDUSTRIES = 15
TOP_LATE = 10  # banks listed under the SLA alert
SOURCE_LOCALE = "zh_Hans_CN"  # the language of the source strings, and of the Chinese edition
ENGLISH = "en"

WAN = Decimal(10_000)
YI = Decimal(100_000_000)
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

NAVY = colors.HexColor("#1f3b63")
TEAL = colors.HexColor("#2a7f8f")
AMBER = colors.HexColor("#d08c1a")
RED = colors.HexColor("#b83a3a")
GREY = colors.HexColor("#6b7280")
RULE = colors.HexColor("#d5dbe3")
ZEBRA = colors.HexColor("#f3f6f9")


def _trust_no_url() -> None:
    """Make ReportLab refuse every URL (http, https, ftp, data, file) it is asked to open.

    ReportLab reads these settings when it first opens a resource, so this runs on import,
    before any report is built. Its host patterns are globs matched against a URL's host,
    which never contains a slash: "/" trusts no host.
    """
    rl_config.trustedHosts = ["/"]
    rl_config.trustedSchemes = []


_trust_no_url()


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of plain text: & < > are escaped, so no name is ever read as markup."""
    return Paragraph(escape(text), style)


def chinese() -> bool:
    """Whether the report is being rendered in Chinese (the source language)."""
    locale = get_locale()
    return locale is None or locale.language == "zh"


def _joined(sentences: Sequence[str]) -> str:
    """Sentences as one paragraph: Chinese runs them on, English puts a space between."""
    return ("" if chinese() else " ").join(sentences)


def figure_name(key: str, unit: object = "") -> str:
    """A figure's name (`definitions.FIGURE_NAMES`) in the locale rendered under, as
    "name（unit）" with a unit: the Chinese edition is rendered under the Chinese locale
    whoever asks for it (`services.generate`)."""
    name = str(FIGURE_NAMES[key])
    return _("%(name)s（%(unit)s）", name=name, unit=str(unit)) if unit else name


# Units of the key figures and columns, said in the reader's language at render time.
UNIT_LOANS = _l("笔")
UNIT_WAN = _l("万元")
UNIT_YI = _l("亿元")
UNIT_HOURS = _l("小时")
UNIT_DAYS = _l("天")


# --- numbers as text -------------------------------------------------------------------------


def period_label(period: dt.date) -> str:
    """A month as 2026年10月, or October 2026 in English."""
    if chinese():
        return f"{period.year}年{period.month}月"
    return format_date(period, "MMMM y", locale=get_locale())


def _fixed(value: Decimal, places: int = 2) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):,}"


def wan(amount: Decimal | None, places: int = 2) -> str:
    """Yuan as 万元 with thousands separators: 12345678 → '1,234.57'."""
    return "—" if amount is None else _fixed(Decimal(amount) / WAN, places)


def yi(amount: Decimal | None) -> str:
    """Yuan as 亿元: 2101510000 → '21.02'."""
    return "—" if amount is None else _fixed(Decimal(amount) / YI)


def count(value: int | Decimal | None) -> str:
    return "—" if value is None else f"{int(value):,}"


def rate(value: Decimal | None) -> str:
    """A rate stored in percent: 3.8222 → '3.82%'."""
    return "—" if value is None else f"{_fixed(value)}%"


def share(value: Decimal | None) -> str:
    """A ratio stored as a fraction: 0.4444 → '44.44%'."""
    return "—" if value is None else f"{_fixed(Decimal(value) * 100)}%"


def number(value: Decimal | None, places: int = 1) -> str:
    return "—" if value is None else _fixed(value, places)


def _signed(value: Decimal, suffix: str) -> str:
    text = _fixed(abs(value))
    if Decimal(text.replace(",", "")) == 0:
        return f"0.00{suffix}"
    return f"{'+' if value > 0 else '−'}{text}{suffix}"


def percent_change(now: Decimal | int | None, base: Decimal | int | None) -> str:
    """Change against a base in percent ('+12.30%'), or '—' when there is no base."""
    if now is None or base is None or Decimal(base) == 0:
        return "—"
    return _signed((Decimal(now) - Decimal(base)) / Decimal(base) * 100, "%")


def point_change(now: Decimal | None, base: Decimal | None, scale: int = 1) -> str:
    """Change of a ratio in percentage points ('+0.25个百分点', '+0.25 pp'); '—' without a base."""
    if now is None or base is None:
        return "—"
    return _("%(change)s个百分点", change=_signed((Decimal(now) - Decimal(base)) * scale, ""))


# --- the key figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFigure:
    """One row of the key figures table: how to read it, show it and compare it."""

    key: str  # stable: an edition's figures are stored and compared under it
    read: Callable[[Figures], Decimal | int | None]
    show: Callable[[Decimal | None], str]
    # "percent": change in percent; "points": change in percentage points of a percent rate;
    # "ratio_points": the same for a fraction (×100).
    change: str = "percent"
    unit: object = ""

    @property
    def label(self) -> str:
        """Its name (and unit) in the locale rendered under."""
        return figure_name(self.key, self.unit)


def _month(figures: Figures) -> MonthFigures | None:
    return figures.months[-1] if figures.months else None


def _spread(figures: Figures) -> Decimal | None:
    month = _month(figures)
    return month.spread if month else None


KEY_FIGURES: tuple[KeyFigure, ...] = (
    KeyFigure("loans", lambda f: f.summary.loans, count, unit=UNIT_LOANS),
    KeyFigure("amount", lambda f: f.summary.amount, wan, unit=UNIT_WAN),
    KeyFigure("average", lambda f: f.summary.average, wan, unit=UNIT_WAN),
    KeyFigure("weighted_rate", lambda f: f.summary.weighted_rate, rate, "points"),
    KeyFigure("adjusted_rate", lambda f: f.summary.adjusted_rate, rate, "points"),
    KeyFigure("lpr_spread", _spread, rate, "points"),
    KeyFigure(
        "inclusive_share_amount",
        lambda f: f.summary.inclusive_share_amount,
        share,
        "ratio_points",
    ),
    KeyFigure(
        "inclusive_share_count", lambda f: f.summary.inclusive_share_count, share, "ratio_points"
    ),
    KeyFigure("approval_rate", lambda f: f.summary.approval_rate, share, "ratio_points"),
    KeyFigure("same_day_rate", lambda f: f.summary.same_day_rate, share, "ratio_points"),
    KeyFigure(
        "median_response_hours",
        lambda f: f.summary.median_response_hours,
        number,
        unit=UNIT_HOURS,
    ),
    KeyFigure(
        "median_claim_days",
        lambda f: f.summary.median_claim_to_disbursement_days,
        number,
        unit=UNIT_DAYS,
    ),
    KeyFigure("sla_breaches", lambda f: f.summary.sla_breaches, count, unit=UNIT_LOANS),
    KeyFigure("npl_ratio", lambda f: f.summary.npl_ratio, share, "ratio_points"),
)


def _change(figure: KeyFigure, now: Decimal | int | None, base: Decimal | int | None) -> str:
    if figure.change == "points":
        return point_change(now, base)  # type: ignore[arg-type]
    if figure.change == "ratio_points":
        return point_change(now, base, scale=100)  # type: ignore[arg-type]
    return percent_change(now, base)


# --- the edition -------------------------------------------------------------------------------

COVERAGE_KEY, COVERAGE_LABEL = "coverage", _l("报送覆盖率")


def change_label(change: dict[str, str]) -> str:
    """A changed figure's name in the locale rendered under (editions store it in Chinese)."""
    if change.get("key") == COVERAGE_KEY:
        return str(COVERAGE_LABEL)
    named = {figure.key: figure for figure in KEY_FIGURES}
    figure = named.get(change.get("key", ""))
    return figure.label if figure else change["figure"]


@dataclass(frozen=True)
class Edition:
    """Which edition a report is, and the reporting coverage behind its status figures."""

    kind: ReportEdition
    version: int
    coverage: Coverage
    deadline: dt.date  # the month's reporting deadline
    changes: list[dict[str, str]] = field(default_factory=list)  # from the edition before

    @property
    def provisional(self) -> bool:
        return self.kind == ReportEdition.PROVISIONAL

    def coverage_text(self) -> str:
        c = self.coverage
        return _(
            "%(label)s %(share)s（应报 %(due)s 笔，已报 %(reported)s 笔）",
            label=COVERAGE_LABEL,
            share=share(c.share),
            due=count(c.due),
            reported=count(c.reported),
        )

    def page_note(self) -> str:
        """The line every page carries."""
        if self.provisional:
            return _(
                "临时版：报送截止日 %(deadline)s 前生成，数据可能变动 · %(coverage)s",
                deadline=self.deadline.isoformat(),
                coverage=self.coverage_text(),
            )
        label = _("正式版") if self.version == 1 or not self.changes else _("修订版")
        return _(
            "%(label)s · 第 %(version)s 版 · %(coverage)s",
            label=label,
            version=self.version,
            coverage=self.coverage_text(),
        )


# --- the report -------------------------------------------------------------------------------


@dataclass
class ReportContext:
    """What every page needs to know."""

    title: str
    scope_label: str
    period: dt.date
    generated_at: dt.datetime
    font: str
    edition: Edition | None = None

    @property
    def running_title(self) -> str:
        return f"{PLATFORM} · {self.title} · {period_label(self.period)} · {self.scope_label}"


def render_report(
    figures_for_month: Figures,
    figures_prev_month: Figures,
    figures_prev_year: Figures,
    title: str,
    scope_label: str,
    period: dt.date,
    *,
    alerts: Sequence[Alert],
    npl_threshold: Decimal,
    trend: Sequence[MonthFigures] | None = None,
    generated_at: dt.datetime | None = None,
    guarantees: GuaranteeFigures | None = None,
    edition: Edition | None = None,
) -> bytes:
    """The report as PDF bytes. `trend` is the trailing 12 months (for the charts).

    `alerts` are the month's alerts from `alerts.find_alerts` at `npl_threshold`, the NPL ratio
    above which the charts and the bank table flag a month or a bank.
    """
    font = cjk_font().name
    context = ReportContext(
        title=str(title),
        scope_label=scope_label,
        period=period,
        generated_at=generated_at or dt.datetime.now(dt.UTC),
        font=font,
        edition=edition,
    )
    styles = _styles(font, cjk=chinese())
    months = list(trend if trend is not None else figures_for_month.months)
    story: list[Flowable] = [NextPageTemplate("body"), PageBreak()]
    story += _overview(figures_for_month, figures_prev_month, figures_prev_year, context, styles)
    story += _key_figures(figures_for_month, figures_prev_month, figures_prev_year, styles)
    story += _edition_notes(edition, styles)
    story += _charts(months, font, styles, npl_threshold)
    story += _region_table(figures_for_month, styles)
    story += _industry_table(figures_for_month, styles)
    story += _bank_table(figures_for_month.banks, styles, npl_threshold)
    story += _guarantee_tables(guarantees, styles)
    story += _alerts(figures_for_month.banks, alerts, npl_threshold, styles)
    story += _notes(styles)

    buffer = io.BytesIO()
    document = _document(buffer, context)
    document.build(story)
    return buffer.getvalue()


def _document(buffer: io.BytesIO, context: ReportContext) -> BaseDocTemplate:
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN + 4 * mm,
        title=_(
            "%(platform)s%(title)s（%(period)s·%(scope)s）",
            platform=PLATFORM,
            title=context.title,
            period=period_label(context.period),
            scope=context.scope_label,
        ),
        author=str(PLATFORM),
        subject=context.title,
        creator=str(PLATFORM),
        lang="zh-CN" if chinese() else ENGLISH,
        # Without these the canvas would reference Helvetica, and charts Times-Roman, unembedded.
        initialFontName=context.font,
    )
    frame = Frame(
        document.leftMargin,
        document.bottomMargin,
        document.width,
        document.height,
        id="main",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    document.addPageTemplates(
        [
            PageTemplate("cover", frames=[frame], onPage=lambda c, d: _cover(c, d, context)),
            PageTemplate("body", frames=[frame], onPage=lambda c, d: _footer(c, d, context)),
        ]
    )
    return document


def _styles(font: str, cjk: bool = True) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body",
        fontName=font,
        fontSize=9.5,
        leading=15,
        wordWrap="CJK" if cjk else None,
        alignment=TA_LEFT,
    )
    return {
        "body": base,
        "h1": ParagraphStyle(
            "h1", parent=base, fontSize=14, leading=20, textColor=NAVY, spaceBefore=8, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontSize=10.5,
            leading=15,
            textColor=NAVY,
            spaceBefore=6,
            spaceAfter=3,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "cell_right": ParagraphStyle(
            "cell_right", parent=base, fontSize=8, leading=10.5, alignment=TA_RIGHT
        ),
        "head": ParagraphStyle(
            "head",
            parent=base,
            fontSize=8,
            leading=10.5,
            textColor=colors.white,
            alignment=TA_CENTER,
        ),
        "note": ParagraphStyle("note", parent=base, fontSize=8, leading=12, textColor=GREY),
        "alert": ParagraphStyle("alert", parent=base, textColor=RED),
    }


# --- page furniture ---------------------------------------------------------------------------


def _cover(canvas: Canvas, _document: BaseDocTemplate, context: ReportContext) -> None:
    canvas.saveState()
    font = context.font
    canvas.setFillColor(NAVY)
    canvas.rect(0, PAGE_HEIGHT - 105 * mm, PAGE_WIDTH, 105 * mm, stroke=0, fill=1)
    canvas.setFillColor(TEAL)
    canvas.rect(0, PAGE_HEIGHT - 109 * mm, PAGE_WIDTH, 4 * mm, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont(font, 30)
    canvas.drawString(MARGIN, PAGE_HEIGHT - 45 * mm, str(PLATFORM))
    canvas.setFont(font, 12)
    canvas.drawString(MARGIN, PAGE_HEIGHT - 54 * mm, str(PLATFORM_LONG))
    canvas.setFont(font, _fitting(context.title, font, 26, CONTENT_WIDTH))
    canvas.drawString(MARGIN, PAGE_HEIGHT - 84 * mm, context.title)

    canvas.setFillColor(NAVY)
    canvas.setFont(font, 22)
    canvas.drawString(MARGIN, PAGE_HEIGHT - 140 * mm, period_label(context.period))
    canvas.setFont(font, 13)
    canvas.setFillColor(colors.black)
    local = context.generated_at.astimezone(SHANGHAI)
    rows = (
        (_("报告范围"), context.scope_label),
        (_("统计期间"), _period_range(context.period)),
        (_("生成时间"), local.strftime("%Y-%m-%d %H:%M")),
    )
    # Values line up after the longest label (English labels are wider than Chinese ones).
    indent = max(28 * mm, max(stringWidth(label, font, 13) for label, _v in rows) + 6 * mm)
    y = PAGE_HEIGHT - 158 * mm
    for label, value in rows:
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, y, label)
        canvas.setFillColor(colors.black)
        canvas.drawString(MARGIN + indent, y, value)
        y -= 10 * mm
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, 40 * mm, PAGE_WIDTH - MARGIN, 40 * mm)
    canvas.setFont(font, 9)
    canvas.setFillColor(GREY)
    notes = (
        _("本报告由平台根据各机构报送的放款与贷后数据自动生成，供监管与政府部门内部使用。"),
        _("金额单位除特别注明外为万元；时间为北京时间。"),
    )
    y = 33 * mm
    for note in notes:
        for line in simpleSplit(note, font, 9, CONTENT_WIDTH):
            canvas.drawString(MARGIN, y, line)
            y -= 5 * mm
    canvas.restoreState()
    _page_number(canvas, context)


def _fitting(text: str, font: str, size: float, width: float) -> float:
    """The font size, at most `size`, at which the text fits the width on one line."""
    return min(size, size * width / max(stringWidth(text, font, size), 1))


def _period_range(period: dt.date) -> str:
    return _("%(start)s 至 %(end)s", start=period.isoformat(), end=month_end(period).isoformat())


def _footer(canvas: Canvas, _document: BaseDocTemplate, context: ReportContext) -> None:
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.line(
        MARGIN, PAGE_HEIGHT - MARGIN + 2 * mm, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN + 2 * mm
    )
    canvas.setFont(context.font, 8)
    canvas.setFillColor(GREY)
    canvas.drawString(MARGIN, PAGE_HEIGHT - MARGIN + 4 * mm, context.running_title)
    canvas.line(MARGIN, MARGIN + 2 * mm, PAGE_WIDTH - MARGIN, MARGIN + 2 * mm)
    canvas.restoreState()
    _page_number(canvas, context)


def _page_number(canvas: Canvas, context: ReportContext) -> None:
    canvas.saveState()
    canvas.setFont(context.font, 8)
    canvas.setFillColor(GREY)
    canvas.drawCentredString(
        PAGE_WIDTH / 2, MARGIN - 3 * mm, _("第 %(page)s 页", page=canvas.getPageNumber())
    )
    if context.edition is not None:
        # On every page, so that no page taken out of a provisional report reads as final.
        canvas.setFillColor(RED if context.edition.provisional else GREY)
        canvas.drawString(MARGIN, MARGIN - 8 * mm, context.edition.page_note())
    canvas.restoreState()


# --- sections ---------------------------------------------------------------------------------


def _overview(
    now: Figures,
    previous_month: Figures,
    previous_year: Figures,
    context: ReportContext,
    styles: dict[str, ParagraphStyle],
) -> list[Flowable]:
    s, month, scope = now.summary, period_label(context.period), context.scope_label
    if s.loans:
        parts = [
            _(
                "%(month)s，%(scope)s通过平台新增放款 %(loans)s 笔，金额 %(yi)s 亿元"
                "（%(wan)s 万元），环比%(mom)s，同比%(yoy)s；%(average_name)s %(average)s 万元。",
                month=month,
                scope=scope,
                loans=count(s.loans),
                yi=yi(s.amount),
                wan=wan(s.amount),
                mom=_described(percent_change(s.amount, previous_month.summary.amount)),
                yoy=_described(percent_change(s.amount, previous_year.summary.amount)),
                average_name=figure_name("average"),
                average=wan(s.average),
            )
        ]
    else:
        parts = [_("%(month)s，%(scope)s没有通过平台新增的放款。", month=month, scope=scope)]
    if s.weighted_rate is not None:
        parts.append(_rates_sentence(s.weighted_rate, s.adjusted_rate, _spread(now)))
    if s.loans:
        parts.append(
            _(
                "%(inclusive_name)s %(inclusive)s，%(approval_name)s %(approval)s，"
                "%(same_day_name)s %(same_day)s。",
                inclusive_name=figure_name("inclusive_share_amount"),
                inclusive=share(s.inclusive_share_amount),
                approval_name=figure_name("approval_rate"),
                approval=share(s.approval_rate),
                same_day_name=figure_name("same_day_rate"),
                same_day=share(s.same_day_rate),
            )
        )
    npl = figure_name("npl_ratio")
    if s.npl_ratio is None:
        parts.append(
            _(
                "本月贷后数据尚未报送（各机构于次月10日前报送），%(npl)s暂无法计算；"
                "报送后可重新生成本报告。",
                npl=npl,
            )
        )
    else:
        change = point_change(s.npl_ratio, previous_month.summary.npl_ratio, scale=100)
        parts.append(
            _(
                "月末%(npl)s %(ratio)s，较上月%(change)s。",
                npl=npl,
                ratio=share(s.npl_ratio),
                change=_described(change),
            )
        )
    return [paragraph(_("一、总体情况"), styles["h1"]), paragraph(_joined(parts), styles["body"])]


def _rates_sentence(weighted: Decimal, adjusted: Decimal | None, spread: Decimal | None) -> str:
    names = {
        "weighted_name": figure_name("weighted_rate"),
        "weighted": rate(weighted),
        "adjusted_name": figure_name("adjusted_rate"),
        "adjusted": rate(adjusted),
    }
    if spread is None:
        return _("%(weighted_name)s %(weighted)s，%(adjusted_name)s %(adjusted)s。", **names)
    return _(
        "%(weighted_name)s %(weighted)s，%(adjusted_name)s %(adjusted)s，"
        "%(spread_name)s %(spread)s 个百分点。",
        spread_name=figure_name("lpr_spread"),
        spread=_fixed(spread),
        **names,
    )


def _described(change: str) -> str:
    if change == "—":
        return _("无可比基数")
    if change.startswith("+"):
        rise = change.removeprefix("+")
        return (
            _("增长 %(change)s", change=rise)
            if change.endswith("%")
            else _("上升 %(change)s", change=rise)
        )
    if change.startswith("−"):
        return _("下降 %(change)s", change=change.removeprefix("−"))
    return _("持平")


def _key_figures(
    now: Figures,
    previous_month: Figures,
    previous_year: Figures,
    styles: dict[str, ParagraphStyle],
) -> list[Flowable]:
    header = [_("指标"), _("本月"), _("上月"), _("环比"), _("去年同月"), _("同比")]
    rows = []
    for figure in KEY_FIGURES:
        value, last, year_ago = (figure.read(f) for f in (now, previous_month, previous_year))
        rows.append(
            [
                figure.label,
                figure.show(value),  # type: ignore[arg-type]
                figure.show(last),  # type: ignore[arg-type]
                _change(figure, value, last),
                figure.show(year_ago),  # type: ignore[arg-type]
                _change(figure, value, year_ago),
            ]
        )
    widths = [0.28, 0.13, 0.13, 0.16, 0.13, 0.17]
    table = _table(header, rows, widths, styles, numeric_from=1)
    note = paragraph(
        _(
            "环比与上月比较，同比与去年同月比较；金额、笔数、时长为变动百分比，"
            "利率与占比类指标为变动的百分点；“—”表示无可比基数。"
        ),
        styles["note"],
    )
    return [paragraph(_("二、核心指标"), styles["h1"]), table, Spacer(1, 2 * mm), note]


def _edition_notes(edition: Edition | None, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The coverage behind the status figures, the banks still short, and what a revision
    changed: printed under the key figures, next to the NPL ratio they qualify."""
    if edition is None:
        return []
    cover = edition.coverage
    story: list[Flowable] = [
        Spacer(1, 2 * mm),
        paragraph(
            _(
                "%(npl)s等贷后指标按已报送的贷款计算。%(coverage)s。",
                npl=figure_name("npl_ratio"),
                coverage=edition.coverage_text(),
            ),
            styles["alert" if not cover.complete else "body"],
        ),
    ]
    if edition.provisional:
        story.append(
            paragraph(
                _(
                    "本版为临时版：各机构报送截止日为 %(deadline)s，"
                    "截止后将生成正式版，数据可能与本版不同。",
                    deadline=edition.deadline.isoformat(),
                ),
                styles["alert"],
            )
        )
    if edition.changes:
        story += [
            Spacer(1, 2 * mm),
            paragraph(
                _(
                    "修订说明：与第 %(version)s 版相比，以下指标有变动。",
                    version=edition.version - 1,
                ),
                styles["h2"],
            ),
            _table(
                [_("指标"), _("上一版"), _("本版")],
                [[change_label(c), c["before"], c["after"]] for c in edition.changes],
                [0.5, 0.25, 0.25],
                styles,
                numeric_from=1,
            ),
        ]
    return story


def _charts(
    months: list[MonthFigures], font: str, styles: dict[str, ParagraphStyle], npl_alert: Decimal
) -> list[Flowable]:
    if not months:
        return []
    first, last = period_label(months[0].month), period_label(months[-1].month)
    return [
        CondPageBreak(90 * mm),
        paragraph(_("三、近12个月趋势"), styles["h1"]),
        paragraph(_("统计区间：%(first)s 至 %(last)s。", first=first, last=last), styles["note"]),
        KeepTogether([paragraph(_("图1 月度放款金额"), styles["h2"]), _amount_chart(months, font)]),
        KeepTogether(
            [
                paragraph(
                    _(
                        "图2 %(weighted)s、%(adjusted)s与%(lpr)s（%%）",
                        weighted=figure_name("weighted_rate"),
                        adjusted=figure_name("adjusted_rate"),
                        lpr=figure_name("lpr"),
                    ),
                    styles["h2"],
                ),
                _rate_chart(months, font)
                if any(m.weighted_rate is not None or m.lpr is not None for m in months)
                else paragraph(_("近12个月无放款利率与LPR数据。"), styles["note"]),
            ]
        ),
        KeepTogether(
            [
                paragraph(
                    _(
                        "图3 月末%(npl)s（%%，红色为高于%(threshold)s）",
                        npl=figure_name("npl_ratio"),
                        threshold=share(npl_alert),
                    ),
                    styles["h2"],
                ),
                _npl_chart(months, font, npl_alert)
                if any(m.npl_ratio is not None for m in months)
                else paragraph(_("近12个月无贷后报送数据。"), styles["note"]),
            ]
        ),
    ]


def _month_names(months: list[MonthFigures]) -> list[str]:
    """Short month names under the charts: 26年10月, or Oct 26 in English."""
    if chinese():
        return [f"{m.month.year % 100:02d}年{m.month.month}月" for m in months]
    return [format_date(m.month, "MMM yy", locale=get_locale()) for m in months]


def _drawing(height: float, font: str) -> Drawing:
    drawing = Drawing(CONTENT_WIDTH, height)
    drawing.initialFontName = font  # the renderer's default would be Times-Roman
    return drawing


def _style_axes(chart: VerticalBarChart | HorizontalLineChart, font: str) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = font
        axis.labels.fontSize = 7
        axis.strokeColor = GREY
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.gridStrokeWidth = 0.5
    chart.valueAxis.forceZero = True


def _amount_chart(months: list[MonthFigures], font: str) -> Drawing:
    largest = max((m.amount for m in months), default=Decimal(0))
    unit, divisor = (UNIT_YI, YI) if largest >= YI else (UNIT_WAN, WAN)
    drawing = _drawing(62 * mm, font)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 42, 22, CONTENT_WIDTH - 52, 62 * mm - 38
    chart.data = [[float(m.amount / divisor) for m in months]]
    chart.categoryAxis.categoryNames = _month_names(months)
    chart.bars[0].fillColor = NAVY
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = lambda v: f"{v:,.2f}" if v else ""
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 6
    chart.barLabels.nudge = 5
    _style_axes(chart, font)
    chart.valueAxis.labelTextFormat = (
        lambda v: f"{v:,.0f}" if largest >= 10 * divisor else f"{v:,.1f}"
    )
    drawing.add(chart)
    drawing.add(String(2, 62 * mm - 10, str(unit), fontName=font, fontSize=7, fillColor=GREY))
    return drawing


def _floats(values: Sequence[Decimal | None], scale: int = 1) -> list[float | None]:
    return [None if v is None else float(v) * scale for v in values]


def _rate_chart(months: list[MonthFigures], font: str) -> Drawing:
    drawing = _drawing(62 * mm, font)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 42, 30, CONTENT_WIDTH - 52, 62 * mm - 44
    series = (
        (figure_name("weighted_rate"), [m.weighted_rate for m in months], NAVY),
        (figure_name("adjusted_rate"), [m.adjusted_rate for m in months], TEAL),
        (figure_name("lpr"), [m.lpr for m in months], AMBER),
    )
    chart.data = [_floats(values) for _name, values, _color in series]
    chart.categoryAxis.categoryNames = _month_names(months)
    # Points are marked; only a series with two or more points is joined (a lone point would
    # make ReportLab draw a one-point line, which it refuses).
    chart.joinedLines = 0
    for index, (_name, values, color) in enumerate(series):
        chart.lines[index].strokeColor = color
        chart.lines[index].strokeWidth = 1.5
        chart.lines[index].symbol = makeMarker("FilledCircle", size=3, fillColor=color)
        if sum(v is not None for v in values) >= 2:
            chart.lines[index].lineStyle = "joinedLine"
    _style_axes(chart, font)
    # Rates move by tenths of a point: start the axis near the data, not at zero.
    known = [v for row in chart.data for v in row if v is not None]
    chart.valueAxis.forceZero = False
    chart.valueAxis.valueMin = max(0.0, math.floor(min(known) * 2 - 1) / 2)
    chart.valueAxis.valueMax = math.ceil(max(known) * 2 + 1) / 2
    chart.valueAxis.valueStep = (
        0.5 if chart.valueAxis.valueMax - chart.valueAxis.valueMin <= 4 else 1
    )
    chart.valueAxis.labelTextFormat = lambda v: f"{v:.2f}"
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 42, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontName, legend.fontSize = font, 7
    legend.deltax = 80
    legend.colorNamePairs = [(color, name) for name, _values, color in series]
    drawing.add(legend)
    return drawing


def _npl_chart(months: list[MonthFigures], font: str, npl_alert: Decimal) -> Drawing:
    drawing = _drawing(55 * mm, font)
    chart = VerticalBarChart()
    # The plot stops short of the right edge to leave room for the alert line's label.
    chart.x, chart.y, chart.width, chart.height = 42, 22, CONTENT_WIDTH - 80, 55 * mm - 34
    values = [m.npl_ratio for m in months]
    # A month without loan status reports has no ratio: no bar, not a zero bar.
    chart.data = [[None if v is None else float(v) * 100 for v in values]]
    chart.categoryAxis.categoryNames = _month_names(months)
    chart.bars[0].fillColor = TEAL
    chart.bars[0].strokeColor = None
    for index, value in enumerate(values):
        if above_threshold(value, npl_alert):
            chart.bars[(0, index)].fillColor = RED
    chart.barLabelFormat = lambda v: f"{v:.2f}"
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 6
    chart.barLabels.nudge = 5
    _style_axes(chart, font)
    chart.valueAxis.valueMin = 0
    top = max([float(npl_alert) * 100 * 1.5, *(v for v in chart.data[0] if v is not None)])
    chart.categoryAxis.labels.fontSize = 6.5
    chart.valueAxis.valueMax = top * 1.15
    chart.valueAxis.labelTextFormat = lambda v: f"{v:.1f}"
    drawing.add(chart)
    y = chart.y + chart.height * float(npl_alert) * 100 / chart.valueAxis.valueMax
    drawing.add(
        Line(
            chart.x,
            y,
            chart.x + chart.width,
            y,
            strokeColor=RED,
            strokeWidth=0.6,
            strokeDashArray=[3, 2],
        )
    )
    drawing.add(
        String(
            chart.x + chart.width + 4,
            y - 2,
            _("警戒线 %(threshold)s", threshold=share(npl_alert)),
            fontName=font,
            fontSize=6.5,
            fillColor=RED,
        )
    )
    return drawing


def _group_rows(rows: list[GroupRow], total_amount: Decimal, name: Callable[[str], str]) -> list:
    return [
        [
            name(row.key),
            count(row.loans),
            wan(row.amount),
            share(row.amount / total_amount) if total_amount else "—",
            wan(row.amount / row.loans) if row.loans else "—",
        ]
        for row in rows
    ]


def _total_row(figures: Figures) -> list[str]:
    s = figures.summary
    whole = "100.00%" if s.amount else "—"
    return [_("合计"), count(s.loans), wan(s.amount), whole, wan(s.average)]


def _group_header(first: str) -> list[str]:
    return [
        first,
        figure_name("loans"),
        figure_name("amount", UNIT_WAN),
        _("金额占比"),
        figure_name("average", UNIT_WAN),
    ]


GROUP_WIDTHS = [0.36, 0.14, 0.2, 0.14, 0.16]


def _region_name(code: str) -> str:
    try:
        return standards.region_label(code)
    except KeyError:
        return code


def _industry_name(division: str) -> str:
    try:
        return standards.industry_label(division)
    except (KeyError, ValueError):
        return division


def _region_table(figures: Figures, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    heading = paragraph(_("四、分地区放款情况"), styles["h1"])
    if not figures.by_region:
        return [heading, paragraph(_("本月无放款。"), styles["body"])]
    rows = _group_rows(figures.by_region, figures.summary.amount, _region_name)
    header = _group_header(_("地区"))
    table = _table(header, [*rows, _total_row(figures)], GROUP_WIDTHS, styles, total=True)
    sizes = _group_rows(figures.by_size, figures.summary.amount, _size_name)
    by_size = _table(
        _group_header(_("企业规模")),
        [*sizes, _total_row(figures)],
        GROUP_WIDTHS,
        styles,
        total=True,
    )
    return [
        CondPageBreak(60 * mm),
        heading,
        table,
        CondPageBreak(40 * mm),
        paragraph(_("按企业规模"), styles["h2"]),
        by_size,
    ]


def _size_name(size_class: str) -> str:
    return str(SIZE_CLASS_LABELS.get(size_class, size_class))


def _industry_table(figures: Figures, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    heading = paragraph(_("五、分行业放款情况"), styles["h1"])
    if not figures.by_industry:
        return [heading, paragraph(_("本月无放款。"), styles["body"])]
    top, rest = figures.by_industry[:TOP_INDUSTRIES], figures.by_industry[TOP_INDUSTRIES:]
    rows = _group_rows(top, figures.summary.amount, _industry_name)
    if rest:
        others = GroupRow(
            _("其他 %(n)s 个行业", n=len(rest)),
            sum(r.loans for r in rest),
            sum((r.amount for r in rest), Decimal(0)),
        )
        rows += _group_rows([others], figures.summary.amount, str)
    header = _group_header(_("行业（国民经济行业分类大类）"))
    table = _table(header, [*rows, _total_row(figures)], GROUP_WIDTHS, styles, total=True)
    return [CondPageBreak(60 * mm), heading, table]


def _bank_table(
    banks: list[BankFigures], styles: dict[str, ParagraphStyle], npl_alert: Decimal
) -> list[Flowable]:
    rank = figure_name("rank")
    heading = paragraph(
        _("六、%(rank)s", rank=rank) if len(banks) != 1 else _("六、机构情况"), styles["h1"]
    )
    if not banks:
        return [heading, paragraph(_("本月无机构数据。"), styles["body"])]
    note = paragraph(
        _(
            "按%(amount)s排序，金额相同时依次比较%(hours)s、%(approval)s和%(npl)s。",
            amount=figure_name("amount"),
            hours=figure_name("median_response_hours"),
            approval=figure_name("approval_rate"),
            npl=figure_name("npl_ratio"),
        ),
        styles["note"],
    )
    header = [
        rank,
        _("机构"),
        figure_name("loans"),
        figure_name("amount", UNIT_WAN),
        figure_name("approval_rate"),
        figure_name("median_response_hours", UNIT_HOURS),
        figure_name("sla_breaches", UNIT_LOANS),
        figure_name("npl_ratio"),
    ]
    rows = [
        [
            str(b.rank),
            b.name,
            count(b.loans),
            wan(b.amount),
            share(b.approval_rate),
            number(b.median_response_hours),
            count(b.sla_breaches),
            share(b.npl_ratio),
        ]
        for b in banks
    ]
    # 机构排名 on one line; its English name needs a wider column to break between words.
    widths = [0.09 if chinese() else 0.12, 0.2 if chinese() else 0.17, 0.1, 0.15, 0.12, 0.13]
    widths += [0.09, 0.12]
    flagged = [i + 1 for i, b in enumerate(banks) if above_threshold(b.npl_ratio, npl_alert)]
    table = _table(header, rows, widths, styles, numeric_from=2, red_rows=flagged, text_cols=(1,))
    return [CondPageBreak(60 * mm), heading, note, Spacer(1, 1.5 * mm), table]


def _guarantee_header(first: str) -> list[str]:
    return [
        first,
        _("担保笔数"),
        _("担保金额（万元）"),
        _("在保余额（万元）"),
        _("平均费率"),
        _("代偿（万元）"),
        _("代偿率"),
        _("回收率"),
    ]


GUARANTEE_WIDTHS = [0.22, 0.1, 0.13, 0.13, 0.1, 0.12, 0.1, 0.1]
# English headings are longer words ("Compensation"), which must not break inside a word.
GUARANTEE_WIDTHS_EN = [0.18, 0.08, 0.12, 0.12, 0.1, 0.14, 0.14, 0.12]


def _guarantee_row(group: GuaranteeGroup, name: str) -> list[str]:
    return [
        name,
        count(group.letters),
        wan(group.amount),
        wan(group.balance),
        rate(group.average_fee_rate),
        wan(group.compensated),
        share(group.compensation_rate),
        share(group.recovery_rate),
    ]


def _guarantee_tables(
    guarantees: GuaranteeFigures | None, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    """Guarantee business of the month, by guarantor and by bank, with the total."""
    heading = paragraph(_("七、融资担保"), styles["h1"])
    if guarantees is None or not guarantees.cuts.get("guarantors"):
        return [CondPageBreak(40 * mm), heading, paragraph(_("本月无担保贷款。"), styles["body"])]
    story: list[Flowable] = [CondPageBreak(60 * mm), heading]
    total = _guarantee_row(guarantees.total, _("合计"))
    for cut, first in (("guarantors", _("担保机构")), ("banks", _("银行"))):
        rows = [_guarantee_row(g, g.label or g.key) for g in guarantees.cuts[cut]]
        story += [
            Spacer(1, 1.5 * mm),
            _table(
                _guarantee_header(first),
                [*rows, total],
                GUARANTEE_WIDTHS if chinese() else GUARANTEE_WIDTHS_EN,
                styles,
                total=True,
            ),
        ]
    return story


ALERT_KINDS = (NPL_MONTH, NPL_BANK, SLA, CONTRADICTION, MISSING)


def _alerts(
    banks: list[BankFigures],
    alerts: Sequence[Alert],
    threshold: Decimal,
    styles: dict[str, ParagraphStyle],
) -> list[Flowable]:
    """The alerts given, by kind; the bank figures only add balances and approval rates."""
    found = {kind: [a for a in alerts if a.kind == kind] for kind in ALERT_KINDS}
    figures_of = {b.institution_id: b for b in banks}
    story: list[Flowable] = [CondPageBreak(50 * mm), paragraph(_("八、风险提示"), styles["h1"])]
    story += _npl_alerts(found[NPL_MONTH], found[NPL_BANK], figures_of, threshold, styles)
    story += _sla_alerts(found[SLA], figures_of, styles)
    story += _contradiction_alerts(found[CONTRADICTION], styles)
    story += _missing_report_alerts(found[MISSING], styles)
    return story


def _npl_alerts(
    months: list[Alert],
    banks: list[Alert],
    figures_of: dict[int | None, BankFigures],
    threshold: Decimal,
    styles: dict[str, ParagraphStyle],
) -> list[Flowable]:
    story: list[Flowable] = [
        paragraph(
            _(
                "1. %(npl)s高于 %(threshold)s 的机构：%(n)s 家。",
                npl=figure_name("npl_ratio"),
                threshold=share(threshold),
                n=len(banks),
            ),
            styles["alert" if banks else "body"],
        )
    ]
    story += [
        paragraph(
            _(
                "全部贷款合计：%(month)s末%(npl)s %(ratio)s，高于 %(threshold)s。",
                month=period_label(a.month),  # type: ignore[arg-type]
                npl=figure_name("npl_ratio"),
                ratio=share(a.ratio),
                threshold=share(threshold),
            ),
            styles["alert"],
        )
        for a in months
    ]
    if banks:
        rows = []
        for alert in sorted(banks, key=lambda a: a.ratio or 0, reverse=True):
            bank = figures_of.get(alert.institution_id)
            rows.append(
                [
                    alert.bank or "",
                    share(alert.ratio),
                    wan(bank.npl_balance if bank else None),
                    wan(bank.reported_balance if bank else None),
                ]
            )
        header = [_("机构"), figure_name("npl_ratio"), _("不良余额（万元）"), _("报送余额（万元）")]
        story += [_table(header, rows, [0.4, 0.18, 0.21, 0.21], styles), Spacer(1, 2 * mm)]
    return story


def _sla_alerts(
    late: list[Alert], figures_of: dict[int | None, BankFigures], styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    breaches = sum(a.count for a in late)
    story: list[Flowable] = [
        paragraph(
            _(
                "2. %(sla)s：超过响应时限未答复的线索 %(n)s 笔。",
                sla=figure_name("sla_breaches"),
                n=count(breaches),
            ),
            styles["alert" if breaches else "body"],
        )
    ]
    if not late:
        return story
    late = sorted(late, key=lambda a: -a.count)
    if len(late) > TOP_LATE:
        story.append(
            paragraph(
                _("共 %(n)s 家机构有超时，列出最多的 %(top)s 家：", n=len(late), top=TOP_LATE),
                styles["note"],
            )
        )
    rows = []
    for alert in late[:TOP_LATE]:
        bank = figures_of.get(alert.institution_id)
        rows.append(
            [alert.bank or "", count(alert.count), share(bank.approval_rate if bank else None)]
        )
    header = [_("机构"), figure_name("sla_breaches", UNIT_LOANS), figure_name("approval_rate")]
    return [*story, _table(header, rows, [0.5, 0.25, 0.25], styles), Spacer(1, 2 * mm)]


def _contradiction_alerts(found: list[Alert], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    reports = sum(a.count for a in found)
    story: list[Flowable] = [
        paragraph(
            _(
                "3. 五级分类与逾期天数不符的贷后报送：%(n)s 笔"
                "（逾期90天以上应至少为次级，270天以上至少为可疑，360天以上为损失）。",
                n=count(reports),
            ),
            styles["alert" if reports else "body"],
        )
    ]
    if found:
        rows = [[a.bank or "", count(a.count)] for a in found]
        header = [_("机构"), _("不符报送（笔）")]
        story += [_table(header, rows, [0.6, 0.4], styles), Spacer(1, 2 * mm)]
    return story


def _missing_report_alerts(found: list[Alert], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [
        paragraph(
            _("4. 贷后月报缺报的机构：%(n)s 家。", n=len(found)),
            styles["alert" if found else "body"],
        )
    ]
    if not found:
        return story
    rows = [
        [
            a.bank or "",
            period_label(a.month),  # type: ignore[arg-type]
            count(a.due),
            count(a.reported),
            count(a.missing),
        ]
        for a in found
    ]
    header = [_("机构"), _("报送月份"), _("应报（笔）"), _("已报（笔）"), _("缺报（笔）")]
    widths = [0.32, 0.17, 0.17, 0.17, 0.17]
    note = paragraph(
        _("贷后月报于次月报送截止日前报送；截止日前生成的报告，缺报名单含仍在报送期内的贷款。"),
        styles["note"],
    )
    return [*story, _table(header, rows, widths, styles, numeric_from=2), note, Spacer(1, 2 * mm)]


def _notes(styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    names = {key: figure_name(key) for key in FIGURE_NAMES}
    lines = (
        _(
            "%(loans)s、%(amount)s：按放款日期计入当月；%(average)s = %(amount)s ÷ %(loans)s。",
            **names,
        ),
        _(
            "%(weighted_rate)s = Σ(金额×利率) ÷ Σ金额；"
            "%(adjusted_rate)s：每笔贷款的利率 − 贴息点数 + 担保费率 − 担保费补贴，"
            "同样按金额加权；"
            "%(lpr)s：各笔贷款放款日适用的1年期LPR，按金额加权；"
            "%(lpr_spread)s = %(weighted_rate)s − %(lpr)s。",
            **names,
        ),
        _("%(npl_ratio)s = 次级、可疑、损失类贷款余额 ÷ 当月报送的全部贷款余额。", **names),
        _(
            "%(inclusive_share_count)s、%(inclusive_share_amount)s："
            "普惠型小微企业贷款的笔数、金额占全部放款的比例；普惠型小微企业贷款指发放给小型、"
            "微型企业且放款日该企业在该机构的授信总额（未到期贷款本金合计，含本笔）"
            "不超过1000万元（含）的贷款。",
            **names,
        ),
        _(
            "%(approval_rate)s = 获批线索 ÷ 已决策线索；"
            "%(same_day_rate)s = 融资需求提交当日即获批的比例；"
            "%(median_response_hours)s：线索创建至银行首次响应的小时数的中位数；"
            "%(sla_breaches)s：超过响应期限的线索数；"
            "%(median_claim_days)s：按放款日期计入当月，自线索创建日起算。",
            **names,
        ),
        _(
            "融资担保：担保金额按当月放款的担保贷款计；在保余额为月末仍在保的担保贷款余额；"
            "代偿率 = 当月代偿金额 ÷ 当月解除担保金额（到期或代偿）；"
            "回收率 = 累计追偿回收 ÷ 累计代偿。"
        ),
    )
    heading = paragraph(_("统计口径"), styles["h2"])
    heading.keepWithNext = True  # never alone at the foot of a page
    story: list[Flowable] = [Spacer(1, 4 * mm), heading]
    story += [paragraph(f"· {line}", styles["note"]) for line in lines]
    return story


# --- tables -----------------------------------------------------------------------------------


def _table(
    header: list[str],
    rows: list[list[str]],
    widths: list[float],
    styles: dict[str, ParagraphStyle],
    *,
    numeric_from: int = 1,
    total: bool = False,
    red_rows: Sequence[int] = (),
    text_cols: Sequence[int] = (0,),
) -> Table:
    """A styled table: a navy header repeated on every page, zebra rows, numbers right-aligned."""

    def cell(text: str, column: int) -> Paragraph:
        numeric = column >= numeric_from and column not in text_cols
        return paragraph(text, styles["cell_right" if numeric else "cell"])

    data = [[paragraph(h, styles["head"]) for h in header]]
    data += [[cell(text, column) for column, text in enumerate(row)] for row in rows]
    table = Table(data, colWidths=[w * CONTENT_WIDTH for w in widths], repeatRows=1)
    commands: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), styles["cell"].fontName),  # else Helvetica, unembedded
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    commands += [("BACKGROUND", (0, i), (-1, i), ZEBRA) for i in range(2, len(data), 2)]
    commands += [("BACKGROUND", (0, i), (-1, i), colors.HexColor("#fbeaea")) for i in red_rows]
    if total:
        commands += [
            ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#e4eaf1")),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, NAVY),
        ]
    table.setStyle(TableStyle(commands))
    return table
