from django.contrib.auth import views as auth_views
from django.shortcuts import render

from manyi.web.errors import page


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@page
def me(request):
    return render(request, "web/me.html")
