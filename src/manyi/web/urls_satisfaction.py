"""Survey pages: the customer's personal link (no login) and the staff
pages; see manyi.web.views.survey_public and manyi.web.views.surveys."""

from django.urls import path

from manyi.web.views import survey_public, surveys

urlpatterns = [
    path("s/<str:token>/", survey_public.survey_public, name="survey_public"),
    path("s/<str:token>/thanks/", survey_public.survey_public_thanks, name="survey_public_thanks"),
    path("surveys/", surveys.survey_list, name="survey_list"),
    path("surveys/results/", surveys.survey_results, name="survey_results"),
    path("surveys/invite/", surveys.survey_invite, name="survey_invite"),
    path("surveys/enter/", surveys.survey_enter, name="survey_enter"),
    path("surveys/<int:pk>/", surveys.survey_detail, name="survey_detail"),
]
