"""The inbox pages: one's own messages only; anonymous visitors go to sign-in."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from jiaozi.notifications.models import Notification

from .factories import make_applicant, make_notification

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_inbox_lists_own_messages_only(client: Client) -> None:
    user = make_applicant()
    make_notification(recipient=user, title="我的注册申请被退回")
    make_notification(title="别人的消息")
    make_notification(recipient=user, title="仅短信", in_inbox=False)
    client.force_login(user)
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "我的注册申请被退回" in body
    assert "别人的消息" not in body
    assert "仅短信" not in body
    assert 'data-unread="1"' in body
    assert "no-store" in response["Cache-Control"]


def test_the_unread_filter(client: Client) -> None:
    user = make_applicant()
    make_notification(recipient=user, title="未读消息")
    read = make_notification(recipient=user, title="已读消息")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    client.force_login(user)
    body = client.get(reverse("notifications:inbox") + "?show=unread").content.decode()
    assert "未读消息" in body
    assert "已读消息" not in body


def test_opening_a_message_marks_it_read_and_follows_its_link(client: Client) -> None:
    notification = make_notification(link="/registration/applications/9/")
    client.force_login(notification.recipient)
    response = client.post(reverse("notifications:mark_read", args=[notification.pk]), {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/registration/applications/9/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_read_without_opening_returns_to_the_inbox(client: Client) -> None:
    notification = make_notification()
    client.force_login(notification.recipient)
    response = client.post(reverse("notifications:mark_read", args=[notification.pk]))
    assert response["Location"] == reverse("notifications:inbox")


def test_someone_elses_message_is_not_found(client: Client) -> None:
    notification = make_notification()
    client.force_login(make_applicant())
    response = client.post(reverse("notifications:mark_read", args=[notification.pk]), {"open": "1"})
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_read_needs_post(client: Client) -> None:
    notification = make_notification()
    client.force_login(notification.recipient)
    assert client.get(reverse("notifications:mark_read", args=[notification.pk])).status_code == 405


def test_mark_all_read(client: Client) -> None:
    user = make_applicant()
    make_notification(recipient=user)
    make_notification(recipient=user)
    client.force_login(user)
    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_mark_all_read_refuses_anonymous(client: Client) -> None:
    make_notification()
    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_the_unread_count_tag(rf: RequestFactory) -> None:
    user = make_applicant()
    make_notification(recipient=user)
    make_notification(recipient=user)
    request = rf.get("/")
    request.user = user
    template = Template("{% load jiaozi_notifications %}{% unread_notification_count as n %}[{{ n }}]")
    assert template.render(Context({"request": request})) == "[2]"
    request.user = make_applicant()
    assert template.render(Context({"request": request})) == "[0]"
