from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "jiaozi.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
