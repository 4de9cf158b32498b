from django.shortcuts import render

from manyi.care import selectors as care
from manyi.customers import access, selectors
from manyi.interactions.selectors import STREAK, customers_at_risk, recent_interactions
from manyi.web.errors import page


@page
def home(request):
    return render(request, "web/home.html", {
        "at_risk": customers_at_risk(user=request.user),
        "streak": STREAK,
        "customers": selectors.home_customers(user=request.user),
        "interactions": recent_interactions(user=request.user, limit=8),
        "can_create": access.can_create_customers(request.user),
        "tasks_due": care.open_count(user=request.user),
    })  # fmt: skip
