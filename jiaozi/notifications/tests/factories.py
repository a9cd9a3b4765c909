"""Factories for the notifications tests: applicants with a phone (encrypted at rest),
and notifications for them."""

from __future__ import annotations

from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from jiaozi.accounts.models import User
from jiaozi.notifications.models import Notification


class ApplicantFactory(DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"applicant{n}")
    kind = User.Kind.APPLICANT
    real_name = factory.Sequence(lambda n: f"申请人{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    email = factory.Sequence(lambda n: f"applicant{n}@example.cn")
    password = factory.django.Password("Jiaozi@2024")


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(ApplicantFactory)
    kind = "registration.returned"
    title = "注册申请被退回"
    body = "请按学校审查意见补充年度考核材料后重新提交。"
    link = "/registration/"


def make_applicant(**kw: Any) -> User:
    return cast(User, ApplicantFactory(**kw))


def make_notification(**kw: Any) -> Notification:
    return cast(Notification, NotificationFactory(**kw))
