from django.urls import path

from manyi.web.views import campaign_public, campaigns

# --- public: no login (unsubscribe links, the SMS provider's webhooks) ---
urlpatterns: list = [
    path("u/<str:token>/", campaign_public.unsubscribe, name="unsubscribe"),
    path("hooks/sms/receipt/", campaign_public.sms_receipt, name="sms_receipt"),
    path("hooks/sms/inbound/", campaign_public.sms_inbound, name="sms_inbound"),
]
# --- staff pages ---
urlpatterns += [
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path("campaigns/audience/", campaigns.campaign_audience_preview, name="campaign_audience_preview"),
    path("campaigns/template-options/", campaigns.campaign_template_options, name="campaign_template_options"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/progress/", campaigns.campaign_progress, name="campaign_progress"),
    path("campaigns/<int:pk>/launch/", campaigns.campaign_launch, name="campaign_launch"),
    path("campaigns/<int:pk>/pause/", campaigns.campaign_pause, name="campaign_pause"),
    path("campaigns/<int:pk>/resume/", campaigns.campaign_resume, name="campaign_resume"),
    path("campaigns/<int:pk>/cancel/", campaigns.campaign_cancel, name="campaign_cancel"),
    path("campaigns/recipients/<int:pk>/resend/", campaigns.campaign_recipient_resend, name="campaign_recipient_resend"),
    path("campaigns/templates/", campaigns.campaign_template_list, name="campaign_template_list"),
    path("campaigns/templates/new/", campaigns.campaign_template_new, name="campaign_template_new"),
    path("campaigns/templates/preview/", campaigns.campaign_template_preview, name="campaign_template_preview"),
    path("campaigns/templates/<int:pk>/edit/", campaigns.campaign_template_edit, name="campaign_template_edit"),
    path("customers/<int:pk>/consent/", campaigns.customer_consent, name="customer_consent"),
]
