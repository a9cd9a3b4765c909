from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertservicesConfig(AppConfig):
    name = "jiaozi.certservices"
    label = "certservices"
    verbose_name = _("证书服务")

    def ready(self) -> None:
        from . import hooks

        hooks.register()
