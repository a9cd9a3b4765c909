from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "jiaozi.certification"
    label = "certification"
    verbose_name = _("认定")

    def ready(self) -> None:
        from jiaozi.accounts.actor import register_levels

        from . import hooks
        from .workflow import REVIEW_LEVELS

        hooks.register()
        # actor.level_in("certification") → "confirmation_point", "authority".
        register_levels("certification", {r.role: str(r.level) for r in REVIEW_LEVELS})
