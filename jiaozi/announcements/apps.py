from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnouncementsConfig(AppConfig):
    name = "jiaozi.announcements"
    label = "announcements"
    verbose_name = _("公告")

    def ready(self) -> None:
        from . import hooks

        hooks.register()
