from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jiaozi.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from . import checks, hooks  # noqa: F401  (checks registers the system checks)

        hooks.register()
