from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "jiaozi.registration"
    label = "registration"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
