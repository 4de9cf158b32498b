from django.contrib.auth.views import LogoutView
from django.urls import path

from manyi.web.views import accounts, analytics, contacts, customers, home, interactions, orders

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("me/", accounts.me, name="me"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/new/", customers.customer_new, name="customer_new"),
    path("customers/owners/", customers.customer_owner_options, name="customer_owner_options"),
    path("customers/deleted/", customers.customer_deleted, name="customer_deleted"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/timeline/", customers.customer_timeline_older, name="customer_timeline"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/delete/", customers.customer_delete, name="customer_delete"),
    path("customers/<int:pk>/restore/", customers.customer_restore, name="customer_restore"),
    path("customers/<int:pk>/access/", customers.grant_add, name="grant_add"),
    path("customers/<int:pk>/access/remove/", customers.grant_remove, name="grant_remove"),
    path("customers/<int:pk>/interactions/new/", interactions.interaction_new, name="interaction_new"),
    path("customers/<int:pk>/interactions/form/", interactions.interaction_form, name="interaction_form"),
    path("customers/<int:pk>/contacts/new/", contacts.contact_new, name="contact_new"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", contacts.contact_delete, name="contact_delete"),
    path("customers/<int:pk>/orders/new/", orders.order_new, name="order_new"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/status/", orders.order_status, name="order_status"),
    path("products/", orders.product_list, name="product_list"),
    path("analytics/", analytics.dashboard, name="analytics"),
    path("analytics/refresh/", analytics.refresh, name="analytics_refresh"),
    path("analytics/winback/", analytics.winback, name="analytics_winback"),
    path("analytics/grades/", analytics.grades, name="analytics_grades"),
    path("analytics/grades/apply/", analytics.grades_apply, name="analytics_grades_apply"),
    path("analytics/grades/<int:pk>/release/", analytics.grade_release, name="analytics_grade_release"),
]
