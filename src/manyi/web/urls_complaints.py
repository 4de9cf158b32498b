"""Pages of complaints: see manyi.web.views.complaints."""

urlpatterns: list = []
