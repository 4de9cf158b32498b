"""Pages of sales work (deals and the pipeline): see manyi.web.views.deals."""

from django.urls import path

from manyi.web.views import deals

urlpatterns = [
    path("sales/pipeline/", deals.deal_board, name="deal_board"),
    path("sales/deals/", deals.deal_list, name="deal_list"),
    path("sales/deals/new/", deals.deal_new, name="deal_new"),
    path("sales/deals/<int:pk>/", deals.deal_detail, name="deal_detail"),
    path("sales/deals/<int:pk>/edit/", deals.deal_edit, name="deal_edit"),
    path("sales/deals/<int:pk>/move/", deals.deal_move, name="deal_move"),
    path("sales/deals/<int:pk>/win/", deals.deal_win, name="deal_win"),
    path("sales/deals/<int:pk>/lose/", deals.deal_lose, name="deal_lose"),
    path("sales/deals/<int:pk>/reopen/", deals.deal_reopen, name="deal_reopen"),
    path("sales/analysis/", deals.sales_analysis, name="sales_analysis"),
    path("sales/settings/", deals.sales_settings, name="sales_settings"),
    path("sales/prepare/<int:pk>/", deals.sales_prepare, name="sales_prepare"),
]
