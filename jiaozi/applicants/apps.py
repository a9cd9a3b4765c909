from django.apps import AppConfig


class ApplicantsConfig(AppConfig):
    name = "jiaozi.applicants"
    label = "applicants"
    verbose_name = "申请人"
