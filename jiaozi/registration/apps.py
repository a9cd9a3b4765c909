from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "jiaozi.registration"
    label = "registration"

    def ready(self) -> None:
        from jiaozi.accounts.actor import register_levels

        from . import hooks
        from .review.selectors import LEVELS

        hooks.register()
        # actor.level_in("registration") → "school", "registration", "city", "province".
        register_levels("registration", {role: level.actor for role, level in LEVELS.items()})
