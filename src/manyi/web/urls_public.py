"""The public complaint form, a customer's form link, notifications, the
feedback inbox and the SLA settings: see manyi.web.views.public."""

from django.urls import path

from manyi.web.views import public

urlpatterns = [
    path("c/<str:token>/", public.public_complaint, name="public_complaint"),
    path("c/<str:token>/thanks/", public.public_complaint_thanks, name="public_complaint_thanks"),
    path("customers/<int:pk>/complaint-link/", public.complaint_link_create, name="complaint_link_create"),
    path("notifications/", public.notification_list, name="notification_list"),
    path("notifications/read/", public.notification_read, name="notification_read"),
    path("feedback/", public.feedback_list, name="feedback_list"),
    path("service/sla/", public.sla_settings, name="sla_settings"),
    path("service/sla/<int:pk>/", public.sla_policy_edit, name="sla_policy_edit"),
    path("service/sla/hours/<int:team_id>/", public.team_hours_edit, name="team_hours_edit"),
]
