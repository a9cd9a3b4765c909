from django.apps import AppConfig


class TeachersConfig(AppConfig):
    name = "jiaozi.teachers"
    label = "teachers"
