"""Announcements (公告, PRODUCT §8): drafted by the admins of an education bureau at
province, city or county level, published on the portal at a chosen time, withdrawn when
no longer valid. An announcement belongs to the institution that publishes it; the
portal lists it under that institution's level.

State: ``draft`` → ``published`` (``publish_at`` now or later: a later time is a
scheduled publication, shown on the portal from that moment by the publish-time filter)
→ ``withdrawn`` (off the portal; may be edited and published again). Every change is a
compare-and-set on ``version``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiaozi.core.models import TimeStampedModel
from jiaozi.orgs.models import Level


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Category(models.TextChoices):
    REGISTRATION = "registration", _("定期注册")
    CERTIFICATION = "certification", _("资格认定")
    GENERAL = "general", _("综合")


class Announcement(TimeStampedModel):
    institution = models.ForeignKey(
        "orgs.Institution", on_delete=models.PROTECT, related_name="announcements", verbose_name=_("发布机构")
    )
    # The publishing institution's level when written: the portal lists by it.
    level = models.CharField(_("发布层级"), max_length=16, choices=Level.choices)
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices, default=Category.GENERAL)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    # Where the text comes from when it restates another document (e.g. 皖教秘〔2024〕263号).
    source = models.CharField(_("文号或来源"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.CharField(_("撤回原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-publish_at", "-pk"]
        verbose_name = _("公告")
        verbose_name_plural = _("公告")
        indexes = [
            models.Index(fields=["status", "publish_at"], name="announce_public_idx"),
            models.Index(fields=["level", "status", "publish_at"], name="announce_level_idx"),
        ]

    def __str__(self) -> str:
        return self.title


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # Random names, never the uploader's.
    return f"announcements/attachments/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file attached to an announcement, checked by content at upload, stored under a
    random name outside the web root and served by the app."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(max_length=128)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("公告附件")
        verbose_name_plural = _("公告附件")

    def __str__(self) -> str:
        return self.original_name
