from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jiaozi.accounts"
    label = "accounts"
    verbose_name = "账号"
