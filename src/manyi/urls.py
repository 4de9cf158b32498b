from django.urls import include, path

from manyi.api.api import api

urlpatterns = [
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("manyi.web.urls")),
]
