"""Administrative divisions and institutions (§2).

Institutions form one tree by ``parent`` (the superior institution): province bureau →
city bureaus → county bureaus → schools; a school's parent is the institution that
reviews it (its county bureau, or a 主管部门). The bureau of a 省直管县 hangs directly
under the province bureau. ``path`` materialises the chain of codes from the root, so
a jurisdiction is one indexed prefix match.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiaozi.core.models import TimeStampedModel


class Level(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")


class Division(models.Model):
    """GB/T 2260 administrative division."""

    code = models.CharField(_("区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_province_direct = models.BooleanField(
        _("省直管县"), default=False, help_text=_("省直管县（市）在认定和注册中按市级行事")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Institution(TimeStampedModel):
    class Kind(models.TextChoices):
        BUREAU = "bureau", _("教育行政部门")
        DEPARTMENT = "department", _("主管部门")
        SCHOOL = "school", _("学校")
        CONFIRMATION_POINT = "confirmation_point", _("确认点")

    class Ownership(models.TextChoices):
        PUBLIC = "public", _("公办")
        PRIVATE = "private", _("民办")

    class Stage(models.TextChoices):
        KINDERGARTEN = "kindergarten", _("幼儿园")
        PRIMARY = "primary", _("小学")
        JUNIOR = "junior", _("初中")
        SENIOR = "senior", _("高中")
        COMPLETE_SECONDARY = "complete_secondary", _("完全中学")
        NINE_YEAR = "nine_year", _("九年一贯制")
        VOCATIONAL = "vocational", _("中职")
        SPECIAL = "special", _("特殊教育")

    code = models.CharField(_("机构代码"), max_length=32, unique=True)
    name = models.CharField(_("机构名称"), max_length=128)
    kind = models.CharField(_("机构类型"), max_length=32, choices=Kind.choices)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="institutions")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级机构"),
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    # Schools only.
    ownership = models.CharField(_("办学性质"), max_length=16, choices=Ownership.choices, blank=True)
    stage = models.CharField(_("学段"), max_length=32, choices=Stage.choices, blank=True)
    # Public information shown in the portal's directory (注册机构联系方式).
    address = models.CharField(_("地址"), max_length=255, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=64, blank=True)
    office_hours = models.CharField(_("办公时间"), max_length=128, blank=True)
    public_info_updated_at = models.DateTimeField(null=True, blank=True)
    # Bureaus only: the three digits a certificate number carries for its certifying
    # authority (§6), "set by the province" — assigned once when the bureau is loaded.
    authority_code = models.CharField(_("认定机构代码"), max_length=3, blank=True)
    # Compare-and-set guard for edits (public info).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["path"]
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        indexes = [models.Index(fields=["kind", "level"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="school") | (models.Q(ownership="") & models.Q(stage="")),
                name="orgs_institution_school_fields_only_on_schools",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def path_for(code: str, parent: Institution | None) -> str:
        return (parent.path if parent else "/") + code + "/"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.path = self.path_for(self.code, self.parent)
        super().save(*args, **kwargs)

    def is_within(self, other: Institution) -> bool:
        """True when self is ``other`` or below it."""
        return self.path.startswith(other.path)
