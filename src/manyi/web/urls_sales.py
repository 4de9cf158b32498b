"""Pages of sales work (sales): see manyi.web.views.sales."""

urlpatterns: list = []
