from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "manyi.web"
    label = "web"
