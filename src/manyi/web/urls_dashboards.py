"""Pages of complaints: see manyi.web.views.dashboards."""

urlpatterns: list = []
