from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "jiaozi.audit"
    label = "audit"
    verbose_name = "审计"
