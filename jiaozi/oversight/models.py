"""Oversight records: spot checks (抽查) of filed registrations and their items (§5).

A spot check keeps everything needed to draw the same sample again: the seed, the size
rule, the moment the population was frozen (``drawn_until``), the population's size
and a digest of its ids, and the allocation per county (``strata``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SpotCheck(models.Model):
    class Mode(models.TextChoices):
        SIZE = "size", _("按数量")
        PERCENT = "percent", _("按比例")

    class State(models.TextChoices):
        OPEN = "open", _("核查中")
        CLOSED = "closed", _("已结束")

    province = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="+", verbose_name=_("组织机构")
    )
    campaign = models.ForeignKey(
        "registration.Campaign", on_delete=models.PROTECT, related_name="+", verbose_name=_("定期注册工作")
    )
    title = models.CharField(_("名称"), max_length=128)
    mode = models.CharField(_("抽样方式"), max_length=16, choices=Mode.choices)
    size = models.PositiveIntegerField(_("抽取数量"), null=True, blank=True)
    percent = models.DecimalField(_("抽取比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    seed = models.CharField(_("随机种子"), max_length=64)
    drawn_until = models.DateTimeField(_("样本总体截止时间"))
    population = models.PositiveIntegerField(_("样本总体数"))
    population_sha256 = models.CharField(max_length=64)
    sample_count = models.PositiveIntegerField(_("样本数"))
    # [{"division": code, "name": …, "population": n, "sample": k}], in county order.
    strata = models.JSONField(_("分层情况"), default=list)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.OPEN)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(_("抽取时间"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    conclusion = models.TextField(_("抽查总结"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-drawn_at", "-pk"]
        verbose_name = _("定期注册抽查")
        verbose_name_plural = _("定期注册抽查")

    def __str__(self) -> str:
        return self.title


class SpotCheckItem(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("待核查")
        CONFIRMED = "confirmed", _("核查无误")
        CORRECTED = "corrected", _("存在问题，已整改")
        IRREGULAR = "irregular", _("存在问题，建议撤销")
        REGISTRATION_REVOKED = "registration_revoked", _("已撤销注册")
        CERTIFICATE_REVOKED = "certificate_revoked", _("已撤销证书")

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    application = models.ForeignKey(
        "registration.Application", on_delete=models.PROTECT, related_name="+", verbose_name=_("申请")
    )
    division = models.ForeignKey(
        "orgs.Division", on_delete=models.PROTECT, related_name="+", verbose_name=_("区县")
    )
    position = models.PositiveIntegerField(_("序号"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("核查人"),
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    finding = models.TextField(_("核查情况"), blank=True)
    outcome = models.CharField(_("核查结果"), max_length=32, choices=Outcome.choices, default=Outcome.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["spot_check", "position"]
        verbose_name = _("抽查样本")
        verbose_name_plural = _("抽查样本")
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "application"], name="oversight_item_once"),
            models.UniqueConstraint(fields=["spot_check", "position"], name="oversight_item_position"),
        ]
        indexes = [models.Index(fields=["assignee", "outcome"])]

    def __str__(self) -> str:
        return f"{self.spot_check_id}#{self.position}"


class OversightSetting(models.Model):
    """The province's oversight settings: which materials every submitted application
    must carry (the data audit's "missing materials" line) and the export size above
    which a second person must approve (decision 0177; empty: the deployment's
    ``EXPORT_APPROVAL_THRESHOLD``)."""

    province_code = models.CharField(_("省级区划代码"), max_length=6, unique=True)
    required_materials = models.JSONField(_("必备材料"), default=list, blank=True)
    export_approval_threshold = models.PositiveIntegerField(_("导出审批阈值（行）"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("监督设置")
        verbose_name_plural = _("监督设置")

    def __str__(self) -> str:
        return self.province_code


class StatisticsCell(models.Model):
    """One figure of the statistics summary (docs/decisions/0243): how many applications
    of a campaign (registration) or batch (certification) fall under ``key`` of
    ``dimension`` within the subtree of ``node``. Every institution holds the totals of
    its whole subtree, so a page reads one institution's rows and its children's, never
    the applications. Rewritten per source in one transaction by the refresh."""

    class Scope(models.TextChoices):
        REGISTRATION = "registration", _("定期注册")
        CERTIFICATION = "certification", _("资格认定")

    scope = models.CharField(max_length=16, choices=Scope.choices)
    # The campaign's (registration) or the batch's (certification) id.
    source_id = models.PositiveIntegerField()
    node = models.ForeignKey("orgs.Institution", on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(max_length=24)
    key = models.CharField(max_length=64, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("统计汇总")
        verbose_name_plural = _("统计汇总")
        indexes = [
            models.Index(fields=["scope", "source_id", "node", "dimension"], name="oversight_stat_node")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.source_id}:{self.node_id}:{self.dimension}:{self.key}"


class StatisticsRun(models.Model):
    """When the summary of one source was last computed, and over how many rows."""

    scope = models.CharField(max_length=16, choices=StatisticsCell.Scope.choices)
    source_id = models.PositiveIntegerField()
    computed_at = models.DateTimeField(_("统计时间"))
    applications = models.PositiveIntegerField(default=0)
    cells = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("统计刷新")
        verbose_name_plural = _("统计刷新")
        constraints = [models.UniqueConstraint(fields=["scope", "source_id"], name="oversight_stat_run_once")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.source_id}"
