from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jiaozi.accounts"
    label = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from jiaozi.core.boundary import register_forbidden

        from . import hooks, signals  # noqa: F401  (signals connects the sign-in hooks)
        from .decorators import forbidden

        hooks.register()
        # A PermissionDenied from a service answers with the audited 403 page.
        register_forbidden(forbidden)
