"""Forms of platform product review: return a product with a reason, trust an institution."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.catalog.product_review import REASON_MAX
from portal.forms import ChoiceField, Form


class ReturnForm(Form):
    """Why the product goes back to its bank; the bank reads this on its product page."""

    reason = TextAreaField(
        _l("退回理由"),
        validators=[
            DataRequired(_l("请写明退回理由")),
            Length(max=REASON_MAX, message=_l("退回理由不超过 500 个字")),
        ],
        description=_l("银行会看到这段说明，例如“准入规则未排除失信被执行企业，请补充”"),
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )


class TrustForm(Form):
    """Whether an institution's products go live without review."""

    trusted = ChoiceField(
        _l("产品免审"),
        choices=[("1", _l("免审，提交即上线")), ("0", _l("须经平台审核"))],
        validators=[DataRequired(_l("请选择是否免审"))],
    )
