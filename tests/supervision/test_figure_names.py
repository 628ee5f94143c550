"""Each supervision figure has one name (definitions.FIGURE_NAMES): page, exports, PDF and docs."""

from __future__ import annotations

import contextvars
import re

from flask import has_app_context
from flask_babel import force_locale

from portal.config import PROJECT_ROOT
from portal.dashboard import services as dashboard
from portal.figures.definitions import FIGURE_NAMES
from portal.monthly import pdf

NAMES = {
    "loans": "放款笔数",
    "amount": "放款金额",
    "average": "笔均放款",
    "weighted_rate": "加权平均利率",
    "adjusted_rate": "贴息后加权利率",
    "lpr": "1年期LPR",
    "lpr_spread": "较1年期LPR利差",
    "npl_ratio": "不良贷款率",
    "inclusive_share_count": "普惠型小微企业贷款占比（笔数）",
    "inclusive_share_amount": "普惠型小微企业贷款占比（金额）",
    "approval_rate": "审批通过率",
    "same_day_rate": "当日获批率",
    "median_response_hours": "首次响应时长中位数",
    "sla_breaches": "响应超时（SLA）",
    "median_claim_days": "对接至放款天数中位数",
    "rank": "机构排名",
}


def _read_all() -> tuple[bool, dict[str, str]]:
    return has_app_context(), {key: str(name) for key, name in FIGURE_NAMES.items()}


def test_names_outside_any_context_are_the_chinese_source():
    """With no app or request (a fresh context), a lazy name reads as its Chinese msgid."""
    in_app, names = contextvars.Context().run(_read_all)
    assert not in_app
    assert names == NAMES


def test_names_in_an_app_context_are_chinese(app):
    """The scheduler makes reports in an app context without a request: Chinese names."""
    with app.app_context():
        assert {key: str(name) for key, name in FIGURE_NAMES.items()} == NAMES
        assert pdf.figure_name("median_claim_days", "天") == "对接至放款天数中位数（天）"


def test_the_pdf_names_figures_in_the_locale_it_is_rendered_under(app):
    """The Chinese edition is rendered under the Chinese locale whoever makes it, the English
    one under English: an English reader's request changes neither."""
    with app.test_request_context(), force_locale("en"):
        assert str(FIGURE_NAMES["loans"]) == "Loans disbursed"  # the page is English
        with force_locale(pdf.SOURCE_LOCALE):
            assert pdf.figure_name("loans") == "放款笔数"
            assert pdf.figure_name("sla_breaches", "笔") == "响应超时（SLA）（笔）"
        assert pdf.figure_name("loans") == "Loans disbursed"


def test_pdf_key_figures_are_named_as_defined():
    """Every key figure of the PDF prints its defined name, with a unit at most."""
    for figure in pdf.KEY_FIGURES:
        name = NAMES[figure.key]
        assert figure.label == name or re.fullmatch(rf"{re.escape(name)}（[^（）]+）", figure.label)


def test_dashboard_tables_and_key_figures_use_the_names(app):
    """The month and bank tables (page and exports share them) head their columns by name."""
    with app.test_request_context():
        months = [str(column.header) for column in dashboard.MONTH_COLUMNS]
        banks = [str(column.header) for column in dashboard.BANK_COLUMNS]
    assert months[1:] == [
        "放款笔数",
        "放款金额（万元）",
        "笔均放款（万元）",
        "加权平均利率（%）",
        "贴息后加权利率（%）",
        "1年期LPR（%）",
        "较1年期LPR利差（%）",
        "不良贷款率（%）",
    ]
    assert banks == [
        "机构排名",
        "银行",
        "放款笔数",
        "放款金额（万元）",
        "审批通过率（%）",
        "首次响应时长中位数（小时）",
        "不良贷款率（%）",
        "响应超时（SLA）（条）",
    ]


def test_the_docs_table_lists_exactly_the_names():
    """docs/supervision.md's 统计口径 table names each figure as FIGURE_NAMES does, no other."""
    text = (PROJECT_ROOT / "docs" / "supervision.md").read_text(encoding="utf-8")
    table = text.split("## 统计口径", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]  # past the header
    listed = [name for row in rows for name in row.split("|")[1].strip().split("、")]
    assert sorted(listed) == sorted(NAMES.values())
