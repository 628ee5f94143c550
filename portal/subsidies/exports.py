"""An approved settlement batch as its payment list (拨付清单), written by the shared exporter,
which keeps numbers numeric and neutralises formulas in text cells."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask_babel import gettext as _

from portal.exports import ExportTable
from portal.subsidies.models import SettlementBatch
from portal.subsidies.settlement import NOTE_LABELS, LineRow

ZERO = Decimal(0)


def payment_list(batch: SettlementBatch, bank: str, rows: Sequence[LineRow]) -> ExportTable:
    """One row per loan, in yuan to the fen, then the total."""
    table = ExportTable(
        title=_("贴息拨付清单 %(month)s", month=f"{batch.period:%Y-%m}"),
        headers=[
            _("序号"),
            _("企业名称"),
            _("统一社会信用代码"),
            _("贷款合同编号"),
            _("贷款银行"),
            _("政策"),
            _("结算月份"),
            _("月末贷款余额（元）"),
            _("计息天数"),
            _("贴息（百分点）"),
            _("测算金额（元）"),
            _("调整后金额（元）"),
            _("拨付金额（元）"),
            _("说明"),
        ],
    )
    for number, row in enumerate(rows, start=1):
        line = row.line
        table.rows.append(
            [
                number,
                row.firm_name,
                row.credit_code,
                row.contract_no,
                bank,
                batch.policy.title,
                f"{batch.period:%Y-%m}",
                line.balance,
                line.days,
                line.points,
                line.computed_amount,
                line.adjusted_amount,
                line.amount,
                _note(line.note, line.adjustment_reason),
            ]
        )
    total = sum((row.line.amount for row in rows), ZERO)
    table.rows.append([None, _("合计"), *([None] * 10), total, None])
    return table


def _note(note: str | None, reason: str | None) -> str | None:
    parts = [str(NOTE_LABELS[note])] if note in NOTE_LABELS else []
    if reason:
        parts.append(_("调整原因：%(reason)s", reason=reason))
    return "；".join(parts) or None
