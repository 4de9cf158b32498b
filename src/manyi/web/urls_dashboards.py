"""The complaint dashboards: see manyi.web.views.dashboards."""

from django.urls import path

from manyi.web.views import dashboards

urlpatterns = [
    path("complaints/dashboard/", dashboards.complaint_dashboard, name="complaint_dashboard"),
    path("complaints/dashboard/misses/<slug:kind>/", dashboards.complaint_misses, name="complaint_misses"),
    path("complaints/load/", dashboards.agent_load, name="agent_load"),
]
