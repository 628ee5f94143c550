"""What a refused registration tells the registrant: what is wrong and what to do about it."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext as _

from portal.accounts import services
from portal.accounts.forms import RegistrationForm
from portal.datasources import registration
from portal.firms import standards

_STATUSES = ("cancelled", "revoked")


def registration_refused(form: RegistrationForm, error: Exception) -> None:
    """Put the refusal's message beside the field it concerns (or in the banner)."""
    if isinstance(error, services.EmailTaken):
        form.email.errors.append(_("该邮箱已注册，请直接登录或换一个邮箱"))
    elif isinstance(error, services.CreditCodeTaken):
        form.credit_code.errors.append(
            _("该统一社会信用代码已注册。如是本企业，请联系已注册的同事添加您")
        )
    elif isinstance(error, registration.ExchangeDown):
        flash(
            _(
                "政务数据共享服务暂时无法访问，无法核验企业登记信息。本次未保存任何内容，"
                "请过几分钟后重新提交。"
            ),
            "error",
        )
    elif isinstance(error, registration.NotInRegistry):
        form.credit_code.errors.append(_not_in_registry())
    elif isinstance(error, registration.NotActive):
        form.credit_code.errors.append(_not_active(error.status))
    elif isinstance(error, registration.OutsideProvince):
        form.credit_code.errors.append(
            _(
                "市场监管登记显示该企业所在地区代码为 %(region)s，不在福建省内。"
                "本平台目前仅服务福建省内登记的企业。",
                region=error.region_code,
            )
        )
    elif isinstance(error, registration.RegionMismatch):
        form.credit_code.errors.append(
            _(
                "统一社会信用代码第 3–8 位的登记机关代码为 %(authority)s，"
                "而市场监管登记的企业所在地为%(region)s（%(code)s），两者不一致。"
                "请核对营业执照，确认代码属于本企业。",
                authority=error.check.authority,
                region=_region_name(error.check.registry),
                code=error.check.registry,
            )
        )
    elif isinstance(error, registration.IdentityMismatch):
        _identity_mismatch(form, error.reason)
    elif isinstance(error, registration.MissingDeclared):
        _missing_declared(form, error.fields)
    else:  # pragma: no cover - every refusal above has its message
        raise error


def _not_in_registry() -> str:
    return _(
        "市场监管登记中查不到该统一社会信用代码。请核对营业执照上的代码；"
        "新设立的企业请在完成登记 %(days)s 个工作日后再试。",
        days=registration.REGISTRY_DELAY_DAYS,
    )


def _not_active(status: str) -> str:
    if status in _STATUSES:
        return _(
            "市场监管登记显示该企业已%(status)s，已%(status)s的企业不能在平台注册。"
            "如登记状态有误，请先向登记机关核实更正。",
            status=_status_label(status),
        )
    return _("市场监管登记显示该企业不是存续状态，不能注册。请先向登记机关核实。")


def _status_label(status: str) -> str:
    return _("注销") if status == "cancelled" else _("吊销")


def _region_name(code: str) -> str:
    try:
        return standards.region_label(code)
    except KeyError:
        return code


def _identity_mismatch(form: RegistrationForm, reason: str) -> None:
    if reason == "id_number":
        form.legal_rep_id_number.errors.append(
            _(
                "该身份证号码与市场监管登记的法定代表人不一致，请核对。"
                "如您不是法定代表人，请勾选“我不是法定代表人，上传授权委托书”并上传授权委托书。"
            )
        )
    elif reason == "not_found":
        form.credit_code.errors.append(_not_in_registry())
    else:
        form.legal_rep_name.errors.append(
            _(
                "法定代表人姓名与市场监管登记不一致，请按营业执照填写。"
                "如您不是法定代表人，请勾选“我不是法定代表人，上传授权委托书”并上传授权委托书。"
            )
        )


def _missing_declared(form: RegistrationForm, fields: list[str]) -> None:
    messages = {
        "employees": (
            form.employees,
            _("社保部门暂无贵企业的参保记录，请填写从业人员数（企业自报）"),
        ),
        "revenue": (
            form.revenue_wan,
            _(
                "税务部门暂无贵企业的纳税申报记录（新设立企业常见），"
                "请填写上年营业收入（企业自报），尚无收入填 0"
            ),
        ),
        "tax_credit_grade": (
            form.tax_credit_grade,
            _("税务部门暂无贵企业的纳税信用评价，请选择纳税信用等级（新设立企业选 M 级）"),
        ),
    }
    for name in fields:
        field, message = messages[name]
        field.errors.append(message)
