"""The session store reads with one plain query; logging out and expiry must
still end a session."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_logged_out_session_no_longer_opens_pages(client, rep, password):
    assert client.post(reverse("web:login"), {"username": "rep", "password": password}).status_code == 302
    assert client.get(reverse("web:me")).status_code == 200
    cookie = client.cookies["sessionid"].value
    client.post(reverse("web:logout"))
    client.cookies["sessionid"] = cookie  # a stolen copy of the old cookie
    assert client.get(reverse("web:me")).status_code == 302


def test_expired_session_is_not_loaded(client, rep, password):
    client.post(reverse("web:login"), {"username": "rep", "password": password})
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(reverse("web:me")).status_code == 302


def test_unknown_session_key_is_anonymous(client, rep):
    client.cookies["sessionid"] = "x" * 32
    assert client.get(reverse("web:me")).status_code == 302
