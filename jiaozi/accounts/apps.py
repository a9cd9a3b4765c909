from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jiaozi.accounts"
    label = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from . import hooks, signals  # noqa: F401  (signals connects the sign-in hooks)

        hooks.register()
