"""Pages of the loyalty programme: see manyi.web.views.loyalty."""

from django.urls import path

from manyi.web.views import loyalty

urlpatterns = [
    path("loyalty/members/", loyalty.loyalty_members, name="loyalty_members"),
    path("loyalty/members/<int:pk>/", loyalty.loyalty_member, name="loyalty_member"),
    path("loyalty/members/<int:pk>/redeem/", loyalty.loyalty_redeem, name="loyalty_redeem"),
    path("loyalty/members/<int:pk>/adjust/", loyalty.loyalty_adjust, name="loyalty_adjust"),
    path("loyalty/entries/<int:pk>/reverse/", loyalty.loyalty_reverse, name="loyalty_reverse"),
    path("loyalty/enroll/<int:customer_pk>/", loyalty.loyalty_enroll, name="loyalty_enroll"),
    path("loyalty/referrals/new/", loyalty.loyalty_referral, name="loyalty_referral"),
    path("loyalty/settings/", loyalty.loyalty_settings, name="loyalty_settings"),
]
