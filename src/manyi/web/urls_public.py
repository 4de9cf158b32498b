"""Pages of complaints: see manyi.web.views.public."""

urlpatterns: list = []
