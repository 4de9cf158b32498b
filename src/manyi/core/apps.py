from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "manyi.core"
    label = "core"

    def ready(self) -> None:
        from manyi.core import lookups  # noqa: F401  registers the `prefix` lookup
