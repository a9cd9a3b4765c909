from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfirmationConfig(AppConfig):
    name = "jiaozi.confirmation"
    label = "confirmation"
    verbose_name = _("确认点")

    def ready(self) -> None:
        from . import hooks

        hooks.register()
