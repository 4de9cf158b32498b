from django.apps import AppConfig


class ManyiConfig(AppConfig):
    """Holds the `manyi` management commands (demo, serve, createuser)."""

    name = "manyi"
    verbose_name = "Manyi"
