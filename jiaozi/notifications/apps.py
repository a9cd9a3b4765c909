from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "jiaozi.notifications"
    label = "notifications"
