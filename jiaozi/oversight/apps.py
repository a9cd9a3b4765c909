from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "jiaozi.oversight"
    label = "oversight"
    verbose_name = _("监督")

    def ready(self) -> None:
        from . import hooks

        hooks.register()
