"""Chinese labels of the recorded actions and object types, for the audit search page.

Every action the code records has a label here; a test reads the source and fails on a new
action without one.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS: dict[str, object] = {
    # Accounts and sign-in
    "auth.login": _l("登录成功"),
    "auth.login_failed": _l("登录失败"),
    "auth.login_locked": _l("登录尝试过多被暂停"),
    "auth.logout": _l("退出登录"),
    "auth.permission_refused": _l("访问被拒绝"),
    "auth.two_factor": _l("通过两步验证"),
    "auth.two_factor_enrolled": _l("绑定身份验证器"),
    "auth.recovery_codes_regenerated": _l("重新生成恢复码"),
    "auth.password_changed": _l("修改密码"),
    "user.two_factor_reset": _l("重置用户的两步验证"),
    "firm.register": _l("企业注册"),
    "user.create": _l("创建用户"),
    "user.activate": _l("启用用户"),
    "user.deactivate": _l("停用用户"),
    "user.locale": _l("切换界面语言"),
    "notifications.read_all": _l("通知全部标为已读"),
    # Firms and their needs
    "firm.profile_update": _l("修改企业信息"),
    "firm.verify": _l("从政务数据核验企业信息"),
    "need.instant_granted": _l("数据核验后补发秒批预授信"),
    "firm.reverify": _l("定期复核企业政务数据"),
    "firm.profile_view": _l("金融机构查看企业信息"),
    "identity.letter_submit": _l("提交授权委托书"),
    "identity.letter_approved": _l("授权委托书审核通过"),
    "identity.letter_rejected": _l("授权委托书审核未通过"),
    "fact.dispute_open": _l("对核验数据提出异议"),
    "fact.dispute_upheld": _l("数据异议成立并重新核验"),
    "fact.dispute_rejected": _l("数据异议不成立"),
    "data.authorise": _l("授权银行查询政务数据"),
    "data.revoke": _l("撤回政务数据授权"),
    "data.query": _l("银行查询政务数据"),
    "need.submit": _l("提交融资需求"),
    "need.apply": _l("申请产品"),
    "need.route_best": _l("平台推荐推送"),
    "need.pool": _l("放入抢单池"),
    "need.withdraw": _l("撤回融资需求"),
    # Leads and loans
    "lead.claim": _l("领取线索"),
    "lead.accept": _l("受理线索"),
    "lead.decline": _l("拒绝线索"),
    "lead.decide": _l("授信批复"),
    "lead.offer_taken": _l("企业接受授信方案"),
    "lead.expire": _l("线索超时"),
    "lead.offer_expire": _l("授信方案过期关闭"),
    "lead.close": _l("授信方案因无担保关闭"),
    "guarantee_request.create": _l("向担保机构申请担保"),
    "guarantee_request.accept": _l("担保机构受理担保申请"),
    "guarantee_request.issue": _l("出具担保函"),
    "guarantee_request.decline": _l("担保机构拒绝担保申请"),
    "guarantee_request.expire": _l("担保申请超时"),
    "guarantee_product.create": _l("新建担保产品"),
    "guarantee_product.update": _l("修改担保产品"),
    "guarantee_product.publish": _l("发布担保产品"),
    "guarantee_product.archive": _l("下架担保产品"),
    "guarantee_product.agreement_add": _l("新增银担合作产品"),
    "guarantee_product.agreement_remove": _l("解除银担合作产品"),
    "guarantee_product.risk_share": _l("约定风险分担比例"),
    "compensation.file": _l("银行申请代偿"),
    "compensation.pay": _l("担保机构代偿"),
    "compensation.reject": _l("担保机构拒绝代偿"),
    "compensation.recover": _l("登记代偿后追偿回收"),
    "compensation.share_approve": _l("同意拨付代偿分担"),
    "compensation.share_reject": _l("不予拨付代偿分担"),
    "loan.disburse": _l("登记放款"),
    # Interest-subsidy settlement
    "subsidy.settlement.compute": _l("测算贴息批次"),
    "subsidy.settlement.adjust": _l("调整贴息金额"),
    "subsidy.settlement.approve": _l("审核通过贴息批次"),
    "subsidy.settlement.paid": _l("贴息批次标记已拨付"),
    # Risk compensation claims
    "claim.file": _l("提交风险补偿申请"),
    "claim.approve": _l("批准风险补偿申请"),
    "claim.reject": _l("驳回风险补偿申请"),
    "claim.recovery": _l("登记风险补偿追回款"),
    # Bank products and government policies
    "product.create": _l("创建产品"),
    "product.update": _l("修改产品"),
    "product.publish": _l("发布产品"),
    "product.archive": _l("下架产品"),
    "policy.create": _l("起草政策"),
    "policy.update": _l("修改政策"),
    "policy.publish": _l("发布政策"),
    "policy.close": _l("关闭政策"),
    "policy.load": _l("从文件加载政策"),
    # Bank onboarding
    "institution.apply": _l("机构申请入驻"),
    "institution.update": _l("修改入驻申请"),
    "institution.resubmit": _l("重新提交入驻申请"),
    "institution.approve": _l("批准入驻"),
    "institution.reject": _l("驳回入驻申请"),
    "institution.suspend": _l("暂停机构"),
    "institution.reinstate": _l("恢复机构"),
    # Supervision and administration
    "loan_report.submit": _l("逐笔报送贷款月报"),
    "loan_reports.apply": _l("整月报送贷款月报"),
    "loan_reports.upload": _l("上传贷款月报文件"),
    "loan_reports.upload_refused": _l("贷款月报文件被拒收"),
    "monthly_report.generate": _l("生成月度报告"),
    "monthly_report.regenerate": _l("重新生成月度报告"),
    "monthly_report.revise": _l("修订月度报告（补报或更正后）"),
    "monthly_report.download": _l("下载月度报告"),
    "dashboard.export": _l("导出监管看板数据"),
    "lpr.save": _l("维护 LPR"),
    "setting.save": _l("修改系统设置"),
    "audit.export": _l("导出审计日志"),
}

OBJECT_LABELS: dict[str, object] = {
    "User": _l("用户"),
    "Firm": _l("企业"),
    "GuaranteeProduct": _l("担保产品"),
    "GuaranteeRequest": _l("担保申请"),
    "Compensation": _l("代偿"),
    "IdentityLetter": _l("授权委托书"),
    "FactDispute": _l("数据异议"),
    "DataAuthorisation": _l("政务数据授权"),
    "DataQuery": _l("政务数据查询"),
    "FinancingNeed": _l("融资需求"),
    "Lead": _l("线索"),
    "Loan": _l("贷款"),
    "BankProduct": _l("银行产品"),
    "PolicyProduct": _l("政策产品"),
    "FinancialInstitution": _l("金融机构"),
    "LoanStatusReport": _l("贷款月报"),
    "LoanReportUpload": _l("月报文件"),
    "MonthlyReport": _l("月度报告"),
    "LprRate": _l("LPR"),
    "CompensationClaim": _l("风险补偿申请"),
    "SettlementBatch": _l("贴息批次"),
    "SettlementLine": _l("贴息明细"),
}


def action_label(action: str) -> str:
    """The action's Chinese label, or its code when it has none."""
    return str(ACTION_LABELS.get(action, action))


def object_label(object_type: str | None) -> str:
    """The object type's Chinese label, or its name when it has none."""
    if object_type is None:
        return ""
    return str(OBJECT_LABELS.get(object_type, object_type))
