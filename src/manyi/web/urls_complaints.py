"""Pages of complaints: see manyi.web.views.complaints."""

from django.urls import path

from manyi.web.views import complaints

urlpatterns = [
    path("complaints/", complaints.complaint_list, name="complaint_list"),
    path("complaints/new/", complaints.complaint_new, name="complaint_new"),
    path("complaints/new/customers/", complaints.complaint_customer_options, name="complaint_customer_options"),
    path("complaints/new/contacts/", complaints.complaint_contact_options, name="complaint_contact_options"),
    path("complaints/files/<int:pk>/", complaints.complaint_attachment, name="complaint_attachment"),
    path("complaints/feedback/<int:pk>/acknowledge/", complaints.complaint_feedback_acknowledge, name="complaint_feedback_acknowledge"),
    path("complaints/feedback/<int:pk>/close/", complaints.complaint_feedback_close, name="complaint_feedback_close"),
    path("complaints/<int:pk>/", complaints.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/step/", complaints.complaint_step, name="complaint_step"),
    path("complaints/<int:pk>/reply/", complaints.complaint_reply, name="complaint_reply"),
    path("complaints/<int:pk>/reply/check/", complaints.complaint_reply_check, name="complaint_reply_check"),
    path("complaints/<int:pk>/message/", complaints.complaint_message, name="complaint_message"),
    path("complaints/<int:pk>/note/", complaints.complaint_note, name="complaint_note"),
    path("complaints/<int:pk>/pause/", complaints.complaint_pause, name="complaint_pause"),
    path("complaints/<int:pk>/resume/", complaints.complaint_resume, name="complaint_resume"),
    path("complaints/<int:pk>/escalate/", complaints.complaint_escalate, name="complaint_escalate"),
    path("complaints/<int:pk>/reopen/", complaints.complaint_reopen, name="complaint_reopen"),
    path("complaints/<int:pk>/assign/", complaints.complaint_assign, name="complaint_assign"),
    path("complaints/<int:pk>/feedback/", complaints.complaint_feedback_new, name="complaint_feedback_new"),
]
