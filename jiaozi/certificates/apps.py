from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "jiaozi.certificates"
    label = "certificates"
