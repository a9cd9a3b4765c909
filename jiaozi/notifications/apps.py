from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "jiaozi.notifications"
    label = "notifications"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
