from django.apps import AppConfig


class YpaConfig(AppConfig):
    name = "ypa_django"
    label = "ypa"
    verbose_name = "ypa pipeline"
