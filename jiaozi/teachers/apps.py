from django.apps import AppConfig


class TeachersConfig(AppConfig):
    name = "jiaozi.teachers"
    label = "teachers"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
