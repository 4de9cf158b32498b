from django.urls import path

from manyi.web.views import campaign_public

# --- public: no login (unsubscribe links, the SMS provider's webhooks) ---
urlpatterns: list = [
    path("u/<str:token>/", campaign_public.unsubscribe, name="unsubscribe"),
    path("hooks/sms/receipt/", campaign_public.sms_receipt, name="sms_receipt"),
    path("hooks/sms/inbound/", campaign_public.sms_inbound, name="sms_inbound"),
]
