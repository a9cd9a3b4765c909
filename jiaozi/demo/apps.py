from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo seed: Anhui's demo institutions, the named personas and generated
    teachers (``seed_demo``), and the sign-in sheet (``demo_signins``). The top layer:
    it may import every domain app, none imports it."""

    name = "jiaozi.demo"
    label = "demo"
    verbose_name = "演示数据"
