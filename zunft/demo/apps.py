from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "zunft.demo"
    label = "demo"
    verbose_name = "Demo data"
