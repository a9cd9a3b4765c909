from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "jiaozi.workspace"
    label = "workspace"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
