from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "jiaozi.workspace"
    label = "workspace"
