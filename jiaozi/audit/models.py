"""Append-only, hash-chained audit log (§9).

Rows are chained per *chain key* (the institution that acted, or a shard for public and
applicant actions), so writers in different institutions never wait for each other.
``AuditChain`` holds each chain's head; advancing it by compare-and-set serialises the
writers of one chain and lets the verifier notice a removed tail row.
See docs/decisions/0004-audit-chain-per-institution.md.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditKind(models.IntegerChoices):
    # Sign-in and sessions 1xx
    LOGIN_SUCCEEDED = 101, _("登录成功")
    LOGIN_FAILED = 102, _("登录失败")
    LOGOUT = 103, _("退出登录")
    LOGIN_LOCKED = 104, _("账号锁定")
    OTP_ENROLLED = 105, _("绑定动态口令")
    OTP_FAILED = 106, _("动态口令错误")
    PASSWORD_CHANGED = 107, _("修改密码")
    ACCESS_DENIED = 110, _("拒绝访问")
    # Staff filing 2xx
    STAFF_CREATED = 201, _("工作人员备案")
    STAFF_UPDATED = 202, _("工作人员信息变更")
    STAFF_DISABLED = 203, _("工作人员停用")
    STAFF_ENABLED = 204, _("工作人员启用")
    STAFF_PASSWORD_RESET = 205, _("重置工作人员密码")
    STAFF_DISABLED_INACTIVE = 206, _("长期未登录停用")
    SERVICE_TOKEN_CREATED = 210, _("创建接口令牌")
    SERVICE_TOKEN_REVOKED = 211, _("吊销接口令牌")
    # Institutions 3xx
    INSTITUTION_CREATED = 301, _("新增机构")
    INSTITUTION_UPDATED = 302, _("机构信息变更")
    # Data access 4xx
    UNMASKED_VIEW = 401, _("查看完整个人信息")
    EXPORT = 402, _("导出数据")
    # Teacher records 5xx
    TEACHER_IMPORTED = 501, _("导入教师数据")
    TEACHER_CREATED = 502, _("新增教师")
    TEACHER_UPDATED = 503, _("修改教师信息")
    # Campaigns 6xx
    CAMPAIGN_CREATED = 601, _("创建注册工作")
    CAMPAIGN_UPDATED = 602, _("修改注册工作")
    # The audit log itself 9xx
    AUDIT_PRUNED = 901, _("清理过期审计记录")
    AUDIT_LOG_VIEWED = 902, _("查阅审计日志")
    KEYS_ROTATED = 903, _("个人信息加密密钥轮换")
    # Accounts: the second sign-in step, and the periodic re-confirmation.
    OTP_VERIFIED = 108, _("动态口令验证通过")
    STAFF_CONFIRMED = 207, _("确认在岗")
    # Applicants: self-service accounts 23x, application materials 75x.
    APPLICANT_SIGNED_UP = 230, _("申请人注册账号")
    APPLICANT_LINKED = 231, _("申请人关联教师信息")
    APPLICANT_PASSWORD_RESET = 232, _("申请人找回密码")
    APPLICANT_IDENTITY_RECLAIMED = 233, _("冒用身份证号的申请人账号被停用")
    MATERIAL_UPLOADED = 750, _("上传申请材料")
    MATERIAL_DELETED = 751, _("删除申请材料")
    MATERIAL_DOWNLOADED = 752, _("下载申请材料")
    # Public notices (公示) and objections 76x.
    NOTICE_PUBLISHED = 760, _("发布注册结果公示")
    NOTICE_CLOSED = 761, _("公示期满结束公示")
    OBJECTION_SUBMITTED = 762, _("提出公示异议")
    OBJECTION_RESOLVED = 763, _("处理公示异议")
    # Registration applications 70x–71x, one per action
    # (registration/transitions.py maps each workflow Action to its kind).
    APPLICATION_STARTED = 701, _("创建定期注册申请")
    APPLICATION_DRAFT_UPDATED = 702, _("修改定期注册申请")
    APPLICATION_SUBMITTED = 703, _("提交定期注册申请")
    APPLICATION_RESUBMITTED = 704, _("重新提交定期注册申请")
    APPLICATION_WITHDRAWN = 705, _("撤回定期注册申请")
    APPLICATION_SCHOOL_APPROVED = 706, _("学校审查通过")
    APPLICATION_CONCLUDED = 707, _("作出注册结论")
    APPLICATION_CONCLUSION_REVISED = 708, _("修改注册结论")
    APPLICATION_NOTICE_PUBLISHED = 709, _("注册结论进入公示")
    APPLICATION_OBJECTED = 710, _("公示异议暂停办理")
    APPLICATION_OBJECTION_UPHELD = 711, _("异议成立")
    APPLICATION_OBJECTION_DISMISSED = 712, _("异议不成立")
    APPLICATION_NOTICE_ENDED = 713, _("公示期满")
    APPLICATION_CITY_APPROVED = 714, _("市级复核通过")
    APPLICATION_PROVINCE_APPROVED = 715, _("省级终审通过并备案")
    APPLICATION_RETURNED_TO_APPLICANT = 716, _("退回申请人")
    APPLICATION_RETURNED_DOWN = 717, _("退回下一级")
    # Completion: the filed registration written into the certificate 77x.
    CERTIFICATE_REGISTRATION_RECORDED = 770, _("更新证书注册记录（备案）")
    # Each wing adds its kinds under its own heading, inside its own range.
    # Registration rules, deadlines, review of a conclusion, the filed form: 718–749.
    APPLICATION_SUGGESTION_RECOMPUTED = 718, _("教师档案变化，重新计算系统建议")
    REGISTRATION_WINDOW_EXTENDED = 719, _("延长机构定期注册办理时间")
    REGISTRATION_WINDOW_EXTENSION_REVOKED = 720, _("撤销机构定期注册办理时间延长")
    APPLICATION_REVIEW_REQUESTED = 721, _("申请复核注册结论")
    APPLICATION_REVIEW_UPHELD = 722, _("复核维持注册结论")
    APPLICATION_REVIEW_SENT_BACK = 723, _("复核发回重新作出结论")
    REGISTRATION_FORM_DOWNLOADED_BY_STAFF = 724, _("工作人员下载定期注册申请表")
    REGISTRATION_FORM_SNAPSHOT_TAKEN = 725, _("申请表快照归档")
    #
    # Certification (batches, applications, decisions, issuing): 800–849.
    # (certification kinds go here)
    CERTIFICATION_BATCH_CREATED = 800, _("创建认定批次")
    CERTIFICATION_BATCH_UPDATED = 801, _("修改认定批次")
    CERTIFICATION_STARTED = 802, _("创建认定申请")
    CERTIFICATION_DRAFT_UPDATED = 803, _("修改认定申请")
    CERTIFICATION_SUBMITTED = 804, _("提交认定申请")
    CERTIFICATION_RESUBMITTED = 805, _("修改后重新提交认定申请")
    CERTIFICATION_WITHDRAWN = 806, _("撤回认定申请")
    CERTIFICATION_CONFIRMED = 807, _("现场确认通过")
    CERTIFICATION_CONFIRM_REFUSED = 808, _("现场确认不通过")
    CERTIFICATION_DECIDED = 809, _("作出认定结论")
    CERTIFICATION_HEALTH_RECORDED = 810, _("登记体检结论")
    CERTIFICATION_PHOTO_UPLOADED = 811, _("上传认定申请照片")
    CERTIFICATION_MATERIAL_UPLOADED = 812, _("上传认定申请材料")
    CERTIFICATION_MATERIAL_DELETED = 813, _("删除认定申请材料")
    CERTIFICATION_CERTIFICATE_ISSUED = 814, _("颁发教师资格证书")
    CERTIFICATION_CERTIFICATE_DOWNLOADED = 815, _("下载教师资格证书")
    CERTIFICATION_PRECHECK_RUN = 816, _("认定条件批量预审")
    AUTHORITY_CODES_LOADED = 817, _("导入认定机构代码")
    #
    # Confirmation points and bookings: 850–879.
    CONFIRMATION_POINT_CREATED = 850, _("新增确认点")
    CONFIRMATION_POINT_UPDATED = 851, _("修改确认点")
    CONFIRMATION_DAY_ADDED = 852, _("新增确认点开放日")
    CONFIRMATION_DAY_REMOVED = 853, _("删除确认点开放日")
    CONFIRMATION_SLOT_ADDED = 854, _("新增预约时段")
    CONFIRMATION_SLOT_CHANGED = 855, _("修改预约时段容量")
    CONFIRMATION_SLOT_REMOVED = 856, _("删除预约时段")
    BOOKING_CREATED = 860, _("预约现场确认")
    BOOKING_MOVED = 861, _("改约现场确认")
    BOOKING_CANCELLED = 862, _("取消现场确认预约")
    BOOKING_CHECKED_IN = 863, _("现场确认签到")
    BOOKING_NO_SHOW = 864, _("标记未到场")
    BOOKING_LOOKED_UP_BY_ID = 865, _("按身份证号查找预约")
    #
    # Certificate services (correction, reissue, replacement, authenticity, verification): 1100–1149.
    CERTSVC_REQUEST_SUBMITTED = 1100, _("提交证书更正、补发或换发申请")
    CERTSVC_REQUEST_RESUBMITTED = 1101, _("补正后重新提交证书申请")
    CERTSVC_REQUEST_WITHDRAWN = 1102, _("撤回证书申请")
    CERTSVC_REQUEST_RETURNED = 1103, _("证书申请退回补正")
    CERTSVC_REQUEST_APPROVED = 1104, _("证书申请办结")
    CERTSVC_REQUEST_REJECTED = 1105, _("证书申请不予办理")
    CERTSVC_MATERIAL_UPLOADED = 1106, _("上传证书申请材料")
    CERTSVC_MATERIAL_DOWNLOADED = 1107, _("下载证书申请材料")
    CERTSVC_OLD_CERTIFICATE_RECEIVED = 1108, _("收回原证书")
    CERTSVC_SETTINGS_UPDATED = 1109, _("修改证书服务办理时限")
    CERTIFICATE_CORRECTED = 1110, _("证书更正")
    CERTIFICATE_REISSUED = 1111, _("证书补发")
    CERTIFICATE_REPLACED = 1112, _("证书换发")
    CERTIFICATE_PAPER_ISSUED = 1113, _("生成证书电子文本")
    AUTHENTICITY_CHECK_OPENED = 1120, _("发起证书真伪核验")
    AUTHENTICITY_CHECK_ANSWERED = 1121, _("记录证书真伪核验结果")
    AUTHENTICITY_CHECK_FORGED = 1122, _("证书核验为伪造")
    AUTHENTICITY_CHECK_WITHDRAWN = 1123, _("撤回证书真伪核验")
    VERIFICATION_LOOKUP = 1130, _("公众证书查验")
    SHARE_LINK_CREATED = 1131, _("创建证书分享链接")
    SHARE_LINK_REVOKED = 1132, _("撤销证书分享链接")
    #
    # Announcements and the directory of institutions: 1200–1249.
    # (portal kinds go here)
    ANNOUNCEMENT_CREATED = 1200, _("创建公告")
    ANNOUNCEMENT_UPDATED = 1201, _("修改公告")
    ANNOUNCEMENT_PUBLISHED = 1202, _("发布公告")
    ANNOUNCEMENT_SCHEDULED = 1203, _("定时发布公告")
    ANNOUNCEMENT_WITHDRAWN = 1204, _("撤回公告")
    ANNOUNCEMENT_DELETED = 1205, _("删除公告草稿")
    ANNOUNCEMENT_ATTACHMENT_ADDED = 1206, _("上传公告附件")
    ANNOUNCEMENT_ATTACHMENT_REMOVED = 1207, _("删除公告附件")
    REGISTRATION_PLAN_SAVED = 1220, _("保存注册计划")
    SETUP_REMINDER_SENT = 1221, _("催办机构信息填报")
    #
    # Oversight (spot checks, revocation, data audit, statistics, exports): 1300–1349.
    # (oversight kinds go here)
    SPOT_CHECK_DRAWN = 1300, _("抽取定期注册抽查样本")
    SPOT_CHECK_ASSIGNED = 1301, _("分配抽查核查人")
    SPOT_CHECK_FINDING_RECORDED = 1302, _("记录抽查核查结果")
    SPOT_CHECK_CLOSED = 1303, _("结束抽查")
    REGISTRATION_REVOKED = 1310, _("撤销定期注册")
    CERTIFICATE_REVOKED = 1311, _("撤销教师资格证书")
    CERTIFICATE_REGISTRATION_REVOKED = 1312, _("撤销证书的注册记录")
    DATA_AUDIT_REMINDED = 1320, _("发送数据核查提醒")
    STATISTICS_REFRESHED = 1325, _("刷新统计汇总")
    STATISTICS_DOWNLOADED = 1326, _("下载统计表")
    EXPORT_REQUESTED = 1330, _("申请导出数据")
    EXPORT_APPROVED = 1331, _("批准导出数据")
    EXPORT_REJECTED = 1332, _("驳回导出数据")
    EXPORT_DOWNLOADED = 1333, _("下载导出数据")
    OVERSIGHT_SETTINGS_CHANGED = 1340, _("修改监督设置")
    #
    # Operations (jobs, cluster, load): 1400–1419.
    # (operations kinds go here)
    #
    # The demo and the screens people meet (sign-in steps, the demo's date): 1420–1439.
    DEMO_DATE_MOVED = 1420, _("调整演示日期")
    LOGIN_PASSWORD_ACCEPTED = 1421, _("密码正确，待验证动态口令")


class AuditChain(models.Model):
    """The head of one chain. ``last_seq``/``last_hash`` name its newest row, so a
    removed tail is noticed; ``pruned_seq``/``pruned_hash`` name the newest row that
    ``audit_prune`` removed, so the oldest surviving row still has something to link to.
    Database triggers refuse to move the head backwards or the pruned boundary outside
    ``audit_prune`` (see ``jiaozi.audit.guard``)."""

    key = models.CharField(max_length=64, primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")
    pruned_seq = models.BigIntegerField(default=0)
    pruned_hash = models.CharField(max_length=64, default="")
    pruned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("审计链")
        verbose_name_plural = _("审计链")

    def __str__(self) -> str:
        return f"{self.key}@{self.last_seq}"


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")
        DENIED = "denied", _("拒绝")

    chain_key = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    # No ``choices`` on purpose: every app appends kinds to ``AuditKind``, and a choices
    # list would make each of them a migration of this app. ``kind_label`` displays it.
    kind = models.PositiveIntegerField(_("事件"))
    # Plain ids, no foreign keys: the log outlives what it describes and is never
    # updated by a cascade.
    actor_id = models.BigIntegerField(_("操作人"), null=True, blank=True)
    actor_label = models.CharField(_("操作人姓名"), max_length=128, blank=True)
    institution_id = models.BigIntegerField(_("机构"), null=True, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["chain_key", "seq"], name="audit_event_chain_seq")]
        indexes = [
            models.Index(fields=["institution_id", "at"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_id", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.chain_key}#{self.seq} {self.kind_label}"

    @property
    def kind_label(self) -> str:
        try:
            return str(AuditKind(self.kind).label)
        except ValueError:
            return str(self.kind)

    def get_kind_display(self) -> str:
        return self.kind_label
