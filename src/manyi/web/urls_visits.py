"""Pages of sales work (visits): see manyi.web.views.visits."""

urlpatterns: list = []
