from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "jiaozi.directory"
    label = "directory"
    verbose_name = _("机构信息")

    def ready(self) -> None:
        from . import hooks

        hooks.register()
