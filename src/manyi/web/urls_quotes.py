"""Pages of sales work (quotes): see manyi.web.views.quotes."""

from django.urls import path

from manyi.web.views import quotes

urlpatterns = [
    path("sales/quotes/", quotes.quote_list, name="quote_list"),
    path("sales/quotes/new/", quotes.quote_new, name="quote_new"),
    path("sales/quotes/<int:pk>/", quotes.quote_detail, name="quote_detail"),
    path("sales/quotes/<int:pk>/revise/", quotes.quote_revise, name="quote_revise"),
    path("sales/quotes/<int:pk>/submit/", quotes.quote_submit, name="quote_submit"),
    path("sales/quotes/<int:pk>/approve/", quotes.quote_approve, name="quote_approve"),
    path("sales/quotes/<int:pk>/decline/", quotes.quote_decline, name="quote_decline"),
    path("sales/quotes/<int:pk>/send/", quotes.quote_send, name="quote_send"),
    path("sales/quotes/<int:pk>/accept/", quotes.quote_accept, name="quote_accept"),
    path("sales/quotes/<int:pk>/reject/", quotes.quote_reject, name="quote_reject"),
    path("sales/quotes/<int:pk>/print/", quotes.quote_print, name="quote_print"),
    path("sales/quotes/<int:pk>/quote.pdf", quotes.quote_pdf, name="quote_pdf"),
]
