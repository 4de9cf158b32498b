"""Pages of sales work (quotes): see manyi.web.views.quotes."""

urlpatterns: list = []
