from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "jiaozi.orgs"
    label = "orgs"
    verbose_name = "机构"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
