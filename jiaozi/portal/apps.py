from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "jiaozi.portal"
    label = "portal"
