"""Pages of sales work (visits): see manyi.web.views.visits."""

from django.urls import path

from manyi.web.views import visits

urlpatterns = [
    path("visits/", visits.visit_plan, name="visit_plan"),
    path("visits/make/", visits.visit_plan_make, name="visit_plan_make"),
    path("visits/<int:pk>/check-in/", visits.visit_check_in, name="visit_check_in"),
    path("visits/workload/", visits.visit_workload, name="visit_workload"),
    path("visits/report/", visits.visit_report, name="visit_report"),
    path("visits/feed/reset/", visits.visit_feed_reset, name="visit_feed_reset"),
    path("visits/feed/<str:token>.ics", visits.visit_feed, name="visit_feed"),
]
