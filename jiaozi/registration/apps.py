from django.apps import AppConfig


class RegistrationConfig(AppConfig):
    name = "jiaozi.registration"
    label = "registration"
