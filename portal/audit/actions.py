"""Every action the audit log records: one enumeration, each with its label for people.

An entry stores the code (`need.submit`); `audit.record` takes only a member, so an action
without a label cannot be recorded.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class AuditAction(StrEnum):
    # Accounts and sign-in
    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGIN_LOCKED = "auth.login_locked"
    AUTH_LOGOUT = "auth.logout"
    AUTH_PERMISSION_REFUSED = "auth.permission_refused"
    AUTH_TWO_FACTOR = "auth.two_factor"
    AUTH_TWO_FACTOR_ENROLLED = "auth.two_factor_enrolled"
    AUTH_RECOVERY_CODES_REGENERATED = "auth.recovery_codes_regenerated"
    AUTH_PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105  (an action code, not a secret)
    AUTH_PASSWORD_RESET_REQUESTED = "auth.password_reset_requested"  # noqa: S105
    AUTH_PASSWORD_RESET = "auth.password_reset"  # noqa: S105
    EMAIL_CONFIRMATION_SENT = "email.confirmation_sent"
    EMAIL_CONFIRMED = "email.confirmed"
    EMAIL_PREFERENCES_SAVE = "email.preferences_save"
    USER_TWO_FACTOR_RESET = "user.two_factor_reset"
    FIRM_REGISTER = "firm.register"
    USER_CREATE = "user.create"
    USER_UPDATE = "user.update"
    USER_PASSWORD_RESET_SENT = "user.password_reset_sent"  # noqa: S105
    USER_ACTIVATE = "user.activate"
    USER_DEACTIVATE = "user.deactivate"
    USER_ANONYMISE = "user.anonymise"
    # Invitations by e-mail (portal/team/invitations.py)
    TEAM_INVITE = "team.invite"
    TEAM_INVITATION_RESEND = "team.invitation_resend"
    TEAM_INVITATION_ACCEPT = "team.invitation_accept"
    # A firm's own account: its owners change who owns it and download its data
    FIRM_ROLE_CHANGE = "firm.role_change"
    FIRM_OWNERSHIP_TRANSFER = "firm.ownership_transfer"
    FIRM_DATA_EXPORT = "firm.data_export"
    FIRM_CLOSURE_REQUEST = "firm.closure_request"
    FIRM_CLOSURE_CANCEL = "firm.closure_cancel"
    FIRM_CLOSURE_REFUSE = "firm.closure_refuse"
    FIRM_CLOSE = "firm.close"
    USER_LOCALE = "user.locale"
    LEGAL_CONSENT = "legal.consent"
    NOTIFICATIONS_READ_ALL = "notifications.read_all"
    # Firms and their needs
    FIRM_PROFILE_UPDATE = "firm.profile_update"
    FIRM_VERIFY = "firm.verify"
    NEED_INSTANT_GRANTED = "need.instant_granted"
    FIRM_REVERIFY = "firm.reverify"
    FIRM_PROFILE_VIEW = "firm.profile_view"
    IDENTITY_LETTER_SUBMIT = "identity.letter_submit"
    IDENTITY_LETTER_APPROVED = "identity.letter_approved"
    IDENTITY_LETTER_REJECTED = "identity.letter_rejected"
    FACT_DISPUTE_OPEN = "fact.dispute_open"
    FACT_DISPUTE_UPHELD = "fact.dispute_upheld"
    FACT_DISPUTE_REJECTED = "fact.dispute_rejected"
    DATA_AUTHORISE = "data.authorise"
    DATA_REVOKE = "data.revoke"
    DATA_QUERY = "data.query"
    NEED_SUBMIT = "need.submit"
    NEED_APPLY = "need.apply"
    NEED_ROUTE_BEST = "need.route_best"
    NEED_POOL = "need.pool"
    NEED_WITHDRAW = "need.withdraw"
    # Leads and loans
    LEAD_CLAIM = "lead.claim"
    LEAD_ACCEPT = "lead.accept"
    LEAD_DECLINE = "lead.decline"
    LEAD_DECIDE = "lead.decide"
    LEAD_OFFER_TAKEN = "lead.offer_taken"
    LEAD_EXPIRE = "lead.expire"
    LEAD_OFFER_EXPIRE = "lead.offer_expire"
    LEAD_CLOSE = "lead.close"
    LEAD_CONTACT_SET = "lead.contact_set"
    LEAD_MESSAGE = "lead.message"
    LEAD_DOCUMENT_REQUEST = "lead.document_request"
    LEAD_DOCUMENT_REQUEST_CANCEL = "lead.document_request_cancel"
    LEAD_DOCUMENT_UPLOAD = "lead.document_upload"
    FIRM_DOCUMENT_DOWNLOAD = "firm.document_download"
    GUARANTEE_REQUEST_CREATE = "guarantee_request.create"
    GUARANTEE_REQUEST_ACCEPT = "guarantee_request.accept"
    GUARANTEE_REQUEST_ISSUE = "guarantee_request.issue"
    GUARANTEE_REQUEST_DECLINE = "guarantee_request.decline"
    GUARANTEE_REQUEST_EXPIRE = "guarantee_request.expire"
    GUARANTEE_PRODUCT_CREATE = "guarantee_product.create"
    GUARANTEE_PRODUCT_UPDATE = "guarantee_product.update"
    GUARANTEE_PRODUCT_PUBLISH = "guarantee_product.publish"
    GUARANTEE_PRODUCT_ARCHIVE = "guarantee_product.archive"
    GUARANTEE_PRODUCT_AGREEMENT_ADD = "guarantee_product.agreement_add"
    GUARANTEE_PRODUCT_AGREEMENT_REMOVE = "guarantee_product.agreement_remove"
    GUARANTEE_PRODUCT_RISK_SHARE = "guarantee_product.risk_share"
    COMPENSATION_FILE = "compensation.file"
    COMPENSATION_PAY = "compensation.pay"
    COMPENSATION_REJECT = "compensation.reject"
    COMPENSATION_RECOVER = "compensation.recover"
    COMPENSATION_SHARE_APPROVE = "compensation.share_approve"
    COMPENSATION_SHARE_REJECT = "compensation.share_reject"
    LOAN_DISBURSE = "loan.disburse"
    # Interest-subsidy settlement
    SUBSIDY_SETTLEMENT_COMPUTE = "subsidy.settlement.compute"
    SUBSIDY_SETTLEMENT_ADJUST = "subsidy.settlement.adjust"
    SUBSIDY_SETTLEMENT_APPROVE = "subsidy.settlement.approve"
    SUBSIDY_SETTLEMENT_PAID = "subsidy.settlement.paid"
    # Risk compensation claims
    CLAIM_FILE = "claim.file"
    CLAIM_APPROVE = "claim.approve"
    CLAIM_REJECT = "claim.reject"
    CLAIM_RECOVERY = "claim.recovery"
    # Bank products and government policies
    PRODUCT_CREATE = "product.create"
    PRODUCT_UPDATE = "product.update"
    # Recorded when a bank published directly, before products went through platform review.
    PRODUCT_PUBLISH = "product.publish"
    PRODUCT_ARCHIVE = "product.archive"
    PRODUCT_SUBMIT = "product.submit"
    PRODUCT_APPROVE = "product.approve"
    PRODUCT_RETURN = "product.return"
    PRODUCT_DELETE = "product.delete"
    INSTITUTION_PRODUCTS_TRUST = "institution.products_trust"
    POLICY_CREATE = "policy.create"
    POLICY_UPDATE = "policy.update"
    POLICY_PUBLISH = "policy.publish"
    POLICY_CLOSE = "policy.close"
    POLICY_DELETE = "policy.delete"
    POLICY_LOAD = "policy.load"
    # Bank onboarding
    INSTITUTION_APPLY = "institution.apply"
    INSTITUTION_UPDATE = "institution.update"
    INSTITUTION_RESUBMIT = "institution.resubmit"
    INSTITUTION_DOCUMENT_UPLOAD = "institution.document_upload"
    INSTITUTION_DOCUMENT_REMOVE = "institution.document_remove"
    INSTITUTION_DOCUMENT_VIEW = "institution.document_view"
    INSTITUTION_APPROVE = "institution.approve"
    INSTITUTION_REJECT = "institution.reject"
    INSTITUTION_SUSPEND = "institution.suspend"
    INSTITUTION_REINSTATE = "institution.reinstate"
    INSTITUTION_SETTINGS_SAVE = "institution.settings_save"
    # Supervision and administration
    LOAN_REPORT_SUBMIT = "loan_report.submit"
    LOAN_REPORTS_APPLY = "loan_reports.apply"
    LOAN_REPORTS_UPLOAD = "loan_reports.upload"
    LOAN_REPORTS_UPLOAD_REFUSED = "loan_reports.upload_refused"
    MONTHLY_REPORT_GENERATE = "monthly_report.generate"
    MONTHLY_REPORT_REGENERATE = "monthly_report.regenerate"
    MONTHLY_REPORT_REVISE = "monthly_report.revise"
    MONTHLY_REPORT_DOWNLOAD = "monthly_report.download"
    DASHBOARD_EXPORT = "dashboard.export"
    LPR_SAVE = "lpr.save"
    LPR_WITHDRAW = "lpr.withdraw"
    CALENDAR_NOTICE_ENTER = "calendar.notice_enter"
    CALENDAR_NOTICE_CORRECT = "calendar.notice_correct"
    SETTING_SAVE = "setting.save"
    AUDIT_EXPORT = "audit.export"
    # API clients of an institution's own systems (portal/api)
    API_CLIENT_CREATE = "api_client.create"
    API_CLIENT_SECRET_ROTATE = "api_client.secret_rotate"  # noqa: S105 (an action name)
    API_CLIENT_SECRET_REVOKE = "api_client.secret_revoke"  # noqa: S105 (an action name)
    API_CLIENT_REVOKE = "api_client.revoke"
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_DISABLE = "webhook.disable"
    WEBHOOK_SECRET_ROTATE = "webhook.secret_rotate"  # noqa: S105 (an action name)
    WEBHOOK_REDELIVER = "webhook.redeliver"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS: dict[AuditAction, object] = {
    # Accounts and sign-in
    AuditAction.AUTH_LOGIN: _l("登录成功"),
    AuditAction.AUTH_LOGIN_FAILED: _l("登录失败"),
    AuditAction.AUTH_LOGIN_LOCKED: _l("登录尝试过多被暂停"),
    AuditAction.AUTH_LOGOUT: _l("退出登录"),
    AuditAction.AUTH_PERMISSION_REFUSED: _l("访问被拒绝"),
    AuditAction.AUTH_TWO_FACTOR: _l("通过两步验证"),
    AuditAction.AUTH_TWO_FACTOR_ENROLLED: _l("绑定身份验证器"),
    AuditAction.AUTH_RECOVERY_CODES_REGENERATED: _l("重新生成恢复码"),
    AuditAction.AUTH_PASSWORD_CHANGED: _l("修改密码"),
    AuditAction.AUTH_PASSWORD_RESET_REQUESTED: _l("申请通过邮件重置密码"),
    AuditAction.AUTH_PASSWORD_RESET: _l("通过邮件链接重置密码"),
    AuditAction.EMAIL_CONFIRMATION_SENT: _l("重新发送邮箱确认邮件"),
    AuditAction.EMAIL_CONFIRMED: _l("确认邮箱"),
    AuditAction.EMAIL_PREFERENCES_SAVE: _l("修改邮件通知设置"),
    AuditAction.USER_TWO_FACTOR_RESET: _l("重置用户的两步验证"),
    AuditAction.FIRM_REGISTER: _l("企业注册"),
    AuditAction.USER_CREATE: _l("创建用户"),
    AuditAction.USER_UPDATE: _l("修改用户信息"),
    AuditAction.USER_PASSWORD_RESET_SENT: _l("管理员发送重置密码邮件"),
    AuditAction.USER_ACTIVATE: _l("启用用户"),
    AuditAction.USER_DEACTIVATE: _l("停用用户"),
    AuditAction.USER_ANONYMISE: _l("删除注销企业用户的个人信息"),
    AuditAction.TEAM_INVITE: _l("邀请用户加入"),
    AuditAction.TEAM_INVITATION_RESEND: _l("重新发送邀请"),
    AuditAction.TEAM_INVITATION_ACCEPT: _l("接受邀请并设置密码"),
    AuditAction.FIRM_ROLE_CHANGE: _l("变更企业用户角色"),
    AuditAction.FIRM_OWNERSHIP_TRANSFER: _l("移交企业账号负责人"),
    AuditAction.FIRM_DATA_EXPORT: _l("导出企业全部数据"),
    AuditAction.FIRM_CLOSURE_REQUEST: _l("申请注销企业账号"),
    AuditAction.FIRM_CLOSURE_CANCEL: _l("撤回注销企业账号申请"),
    AuditAction.FIRM_CLOSURE_REFUSE: _l("拒绝注销企业账号申请"),
    AuditAction.FIRM_CLOSE: _l("注销企业账号"),
    AuditAction.USER_LOCALE: _l("切换界面语言"),
    AuditAction.LEGAL_CONSENT: _l("同意现行的用户服务协议与隐私政策"),
    AuditAction.NOTIFICATIONS_READ_ALL: _l("通知全部标为已读"),
    # Firms and their needs
    AuditAction.FIRM_PROFILE_UPDATE: _l("修改企业信息"),
    AuditAction.FIRM_VERIFY: _l("从政务数据核验企业信息"),
    AuditAction.NEED_INSTANT_GRANTED: _l("数据核验后补发秒批预授信"),
    AuditAction.FIRM_REVERIFY: _l("定期复核企业政务数据"),
    AuditAction.FIRM_PROFILE_VIEW: _l("金融机构查看企业信息"),
    AuditAction.IDENTITY_LETTER_SUBMIT: _l("提交授权委托书"),
    AuditAction.IDENTITY_LETTER_APPROVED: _l("授权委托书审核通过"),
    AuditAction.IDENTITY_LETTER_REJECTED: _l("授权委托书审核未通过"),
    AuditAction.FACT_DISPUTE_OPEN: _l("对核验数据提出异议"),
    AuditAction.FACT_DISPUTE_UPHELD: _l("数据异议成立并重新核验"),
    AuditAction.FACT_DISPUTE_REJECTED: _l("数据异议不成立"),
    AuditAction.DATA_AUTHORISE: _l("授权银行查询政务数据"),
    AuditAction.DATA_REVOKE: _l("撤回政务数据授权"),
    AuditAction.DATA_QUERY: _l("银行查询政务数据"),
    AuditAction.NEED_SUBMIT: _l("提交融资需求"),
    AuditAction.NEED_APPLY: _l("申请产品"),
    AuditAction.NEED_ROUTE_BEST: _l("平台推荐推送"),
    AuditAction.NEED_POOL: _l("放入抢单池"),
    AuditAction.NEED_WITHDRAW: _l("撤回融资需求"),
    # Leads and loans
    AuditAction.LEAD_CLAIM: _l("领取线索"),
    AuditAction.LEAD_ACCEPT: _l("受理线索"),
    AuditAction.LEAD_DECLINE: _l("拒绝线索"),
    AuditAction.LEAD_DECIDE: _l("授信批复"),
    AuditAction.LEAD_OFFER_TAKEN: _l("企业接受授信方案"),
    AuditAction.LEAD_EXPIRE: _l("线索超时"),
    AuditAction.LEAD_OFFER_EXPIRE: _l("授信方案过期关闭"),
    AuditAction.LEAD_CLOSE: _l("授信方案因无担保关闭"),
    AuditAction.LEAD_CONTACT_SET: _l("设置线索联系人"),
    AuditAction.LEAD_MESSAGE: _l("线索留言"),
    AuditAction.LEAD_DOCUMENT_REQUEST: _l("请企业提供材料"),
    AuditAction.LEAD_DOCUMENT_REQUEST_CANCEL: _l("撤销材料请求"),
    AuditAction.LEAD_DOCUMENT_UPLOAD: _l("企业上传材料"),
    AuditAction.FIRM_DOCUMENT_DOWNLOAD: _l("金融机构下载企业材料"),
    AuditAction.GUARANTEE_REQUEST_CREATE: _l("向担保机构申请担保"),
    AuditAction.GUARANTEE_REQUEST_ACCEPT: _l("担保机构受理担保申请"),
    AuditAction.GUARANTEE_REQUEST_ISSUE: _l("出具担保函"),
    AuditAction.GUARANTEE_REQUEST_DECLINE: _l("担保机构拒绝担保申请"),
    AuditAction.GUARANTEE_REQUEST_EXPIRE: _l("担保申请超时"),
    AuditAction.GUARANTEE_PRODUCT_CREATE: _l("新建担保产品"),
    AuditAction.GUARANTEE_PRODUCT_UPDATE: _l("修改担保产品"),
    AuditAction.GUARANTEE_PRODUCT_PUBLISH: _l("发布担保产品"),
    AuditAction.GUARANTEE_PRODUCT_ARCHIVE: _l("下架担保产品"),
    AuditAction.GUARANTEE_PRODUCT_AGREEMENT_ADD: _l("新增银担合作产品"),
    AuditAction.GUARANTEE_PRODUCT_AGREEMENT_REMOVE: _l("解除银担合作产品"),
    AuditAction.GUARANTEE_PRODUCT_RISK_SHARE: _l("约定风险分担比例"),
    AuditAction.COMPENSATION_FILE: _l("银行申请代偿"),
    AuditAction.COMPENSATION_PAY: _l("担保机构代偿"),
    AuditAction.COMPENSATION_REJECT: _l("担保机构拒绝代偿"),
    AuditAction.COMPENSATION_RECOVER: _l("登记代偿后追偿回收"),
    AuditAction.COMPENSATION_SHARE_APPROVE: _l("同意拨付代偿分担"),
    AuditAction.COMPENSATION_SHARE_REJECT: _l("不予拨付代偿分担"),
    AuditAction.LOAN_DISBURSE: _l("登记放款"),
    # Interest-subsidy settlement
    AuditAction.SUBSIDY_SETTLEMENT_COMPUTE: _l("测算贴息批次"),
    AuditAction.SUBSIDY_SETTLEMENT_ADJUST: _l("调整贴息金额"),
    AuditAction.SUBSIDY_SETTLEMENT_APPROVE: _l("审核通过贴息批次"),
    AuditAction.SUBSIDY_SETTLEMENT_PAID: _l("贴息批次标记已拨付"),
    # Risk compensation claims
    AuditAction.CLAIM_FILE: _l("提交风险补偿申请"),
    AuditAction.CLAIM_APPROVE: _l("批准风险补偿申请"),
    AuditAction.CLAIM_REJECT: _l("驳回风险补偿申请"),
    AuditAction.CLAIM_RECOVERY: _l("登记风险补偿追回款"),
    # Bank products and government policies
    AuditAction.PRODUCT_CREATE: _l("创建产品"),
    AuditAction.PRODUCT_UPDATE: _l("修改产品"),
    AuditAction.PRODUCT_PUBLISH: _l("发布产品"),
    AuditAction.PRODUCT_ARCHIVE: _l("下架产品"),
    AuditAction.PRODUCT_SUBMIT: _l("提交产品审核"),
    AuditAction.PRODUCT_APPROVE: _l("产品审核通过"),
    AuditAction.PRODUCT_RETURN: _l("退回产品"),
    AuditAction.PRODUCT_DELETE: _l("删除产品草稿"),
    AuditAction.INSTITUTION_PRODUCTS_TRUST: _l("设置产品免审"),
    AuditAction.POLICY_CREATE: _l("起草政策"),
    AuditAction.POLICY_UPDATE: _l("修改政策"),
    AuditAction.POLICY_PUBLISH: _l("发布政策"),
    AuditAction.POLICY_CLOSE: _l("关闭政策"),
    AuditAction.POLICY_DELETE: _l("删除政策草稿"),
    AuditAction.POLICY_LOAD: _l("从文件加载政策"),
    # Bank onboarding
    AuditAction.INSTITUTION_APPLY: _l("机构申请入驻"),
    AuditAction.INSTITUTION_UPDATE: _l("修改入驻申请"),
    AuditAction.INSTITUTION_DOCUMENT_UPLOAD: _l("上传入驻申请材料"),
    AuditAction.INSTITUTION_DOCUMENT_REMOVE: _l("删除入驻申请材料"),
    AuditAction.INSTITUTION_DOCUMENT_VIEW: _l("查看入驻申请材料"),
    AuditAction.INSTITUTION_RESUBMIT: _l("重新提交入驻申请"),
    AuditAction.INSTITUTION_APPROVE: _l("批准入驻"),
    AuditAction.INSTITUTION_REJECT: _l("驳回入驻申请"),
    AuditAction.INSTITUTION_SUSPEND: _l("暂停机构"),
    AuditAction.INSTITUTION_REINSTATE: _l("恢复机构"),
    AuditAction.INSTITUTION_SETTINGS_SAVE: _l("修改机构设置"),
    # Supervision and administration
    AuditAction.LOAN_REPORT_SUBMIT: _l("逐笔报送贷款月报"),
    AuditAction.LOAN_REPORTS_APPLY: _l("整月报送贷款月报"),
    AuditAction.LOAN_REPORTS_UPLOAD: _l("上传贷款月报文件"),
    AuditAction.LOAN_REPORTS_UPLOAD_REFUSED: _l("贷款月报文件被拒收"),
    AuditAction.MONTHLY_REPORT_GENERATE: _l("生成月度报告"),
    AuditAction.MONTHLY_REPORT_REGENERATE: _l("重新生成月度报告"),
    AuditAction.MONTHLY_REPORT_REVISE: _l("修订月度报告（补报或更正后）"),
    AuditAction.MONTHLY_REPORT_DOWNLOAD: _l("下载月度报告"),
    AuditAction.DASHBOARD_EXPORT: _l("导出监管看板数据"),
    AuditAction.LPR_SAVE: _l("维护 LPR"),
    AuditAction.LPR_WITHDRAW: _l("撤回 LPR 记录"),
    AuditAction.CALENDAR_NOTICE_ENTER: _l("录入节假日安排通知"),
    AuditAction.CALENDAR_NOTICE_CORRECT: _l("更正节假日安排通知"),
    AuditAction.SETTING_SAVE: _l("修改系统设置"),
    AuditAction.AUDIT_EXPORT: _l("导出审计日志"),
    AuditAction.API_CLIENT_CREATE: _l("创建 API 客户端"),
    AuditAction.API_CLIENT_SECRET_ROTATE: _l("轮换 API 客户端密钥"),
    AuditAction.API_CLIENT_SECRET_REVOKE: _l("作废 API 客户端旧密钥"),
    AuditAction.API_CLIENT_REVOKE: _l("停用 API 客户端"),
    AuditAction.WEBHOOK_CREATE: _l("创建事件通知订阅"),
    AuditAction.WEBHOOK_DISABLE: _l("停用事件通知订阅"),
    AuditAction.WEBHOOK_SECRET_ROTATE: _l("更换事件通知签名密钥"),
    AuditAction.WEBHOOK_REDELIVER: _l("重新投递事件通知"),
}
