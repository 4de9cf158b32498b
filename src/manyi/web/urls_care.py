"""Care pages: see manyi.web.views.care."""

from django.urls import path

from manyi.web.views import care

urlpatterns = [
    path("today/", care.today, name="today"),
    path("today/log/", care.care_log, name="care_log"),
    path("follow-ups/", care.followup_list, name="followup_list"),
    path("follow-ups/new/", care.followup_new, name="followup_new"),
    path("follow-ups/<int:pk>/done/", care.followup_done, name="followup_done"),
]
