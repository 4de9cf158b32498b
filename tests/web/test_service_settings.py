"""The staff side around complaints: a customer's public form link, the
notifications inbox and its bell, the SLA settings (targets and working hours)
and the feedback inbox. Each page shows only what the person may see, and an
outsider sees nothing."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from manyi.core.errors import PermissionDenied
from manyi.service import deadlines, intake, services, settings_services
from manyi.service.models import ComplaintLink, Notification, SlaPolicy, TeamHours
from manyi.web.context_service import unread_notifications
from manyi.web.views.public import link_panel
from tests.factories import CustomerFactory, UserFactory
from tests.service.helpers import close_properly, file_complaint

pytestmark = pytest.mark.django_db


# --- the complaint form link on a customer --------------------------------------------


def test_the_owner_makes_a_link_and_sees_its_full_address(as_user, rep, customer):
    client = as_user(rep)
    response = client.post(reverse("web:complaint_link_create", args=[customer.pk]))
    link = ComplaintLink.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == reverse("web:customer_detail", args=[customer.pk]) + "#complaint-link"
    page = client.get(response["Location"]).content.decode()
    assert f"http://testserver/c/{link.token}/" in page
    assert client.get(reverse("web:complaint_link_create", args=[customer.pk])).status_code == 405


def test_a_new_link_revokes_the_old_one(as_user, rep, customer, client):
    as_user(rep)
    client.post(reverse("web:complaint_link_create", args=[customer.pk]))
    client.post(reverse("web:complaint_link_create", args=[customer.pk]))
    old, new = ComplaintLink.objects.filter(customer=customer).order_by("pk")
    assert old.revoked_at is not None and new.revoked_at is None
    client.logout()
    assert client.get(reverse("web:public_complaint", args=[old.token])).status_code == 404
    assert client.get(reverse("web:public_complaint", args=[new.token])).status_code == 200


def test_an_outsider_gets_404_and_an_analyst_403(as_user, outsider, analyst, customer):
    assert as_user(outsider).post(reverse("web:complaint_link_create", args=[customer.pk])).status_code == 404
    assert as_user(analyst).post(reverse("web:complaint_link_create", args=[customer.pk])).status_code == 403
    assert not ComplaintLink.objects.exists()


def test_the_link_panel_shows_the_link_to_those_who_may_manage_it(rep, analyst, customer):
    link = intake.complaint_link_create(customer=customer, by=rep)
    request = RequestFactory().get(f"/customers/{customer.pk}/")
    context = link_panel(rep, customer)
    assert context == {"complaint_link": link, "can_manage_complaint_link": True}
    html = render_to_string("web/service/_link_panel.html", {"customer": customer, "link": link, "can_manage": True}, request=request)
    assert f'value="http://testserver/c/{link.token}/"' in html and "data-copy-target" in html and "Make a new link" in html
    assert link_panel(analyst, customer) == {"complaint_link": None, "can_manage_complaint_link": False}
    assert render_to_string("web/service/_link_panel.html", {"customer": customer, "link": None, "can_manage": False}, request=request).strip() == ""


# --- notifications ---------------------------------------------------------------------


@pytest.fixture
def notes(customer, rep, rep2):
    complaint = file_complaint(customer, by=None)  # notifies rep, the owner
    theirs = services.notify(user_id=rep2.pk, kind="warning", complaint=complaint, message="赵丽的提醒", params={})
    mine = Notification.objects.get(user=rep)
    return complaint, mine, theirs


def test_a_user_sees_only_their_own_notifications(as_user, rep, outsider, notes):
    complaint, mine, _theirs = notes
    page = as_user(rep).get(reverse("web:notification_list")).content.decode()
    assert mine.text in page and "赵丽的提醒" not in page
    assert '<div class="fw-bold text-break">' in page and f'value="/complaints/{complaint.pk}/"' in page
    assert "1 unread" in page
    page = as_user(outsider).get(reverse("web:notification_list")).content.decode()
    assert mine.text not in page and "No notifications yet." in page


def test_marking_read_ignores_other_peoples_ids(as_user, rep, rep2, notes):
    complaint, mine, theirs = notes
    client = as_user(rep)
    response = client.post(reverse("web:notification_read"), {"ids": [str(mine.pk), str(theirs.pk), "x"], "next": f"/complaints/{complaint.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/complaints/{complaint.pk}/"
    mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    page = client.get(reverse("web:notification_list")).content.decode()
    assert '<div class="fw-bold text-break">' not in page and f'href="/complaints/{complaint.pk}/"' in page
    assert "Nothing unread." in client.get(reverse("web:notification_list") + "?unread=1").content.decode()


def test_mark_all_read_is_only_the_users_own_and_next_stays_on_the_site(as_user, rep, notes):
    *_others, theirs = notes
    services.notify(user_id=rep.pk, kind="replied", complaint=None, message="第二条", params={})
    response = as_user(rep).post(reverse("web:notification_read"), {"all": "1", "next": "https://evil.example/"})
    assert response["Location"] == reverse("web:notification_list")
    assert not Notification.objects.filter(user=rep, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_bell_counts_the_users_unread_notifications(rep, rep2, notes):
    request = RequestFactory().get("/")
    request.user = rep
    count = unread_notifications(request)["unread_notifications"]
    assert count == 1
    html = render_to_string("web/service/_nav_bell.html", {"unread_notifications": count}, request=request)
    assert "bi-bell-fill" in html and ">1</span>" in html and "Notifications: 1 unread" in html
    request.user = AnonymousUser()
    assert unread_notifications(request)["unread_notifications"] == 0
    assert "data-unread-badge" not in render_to_string("web/service/_nav_bell.html", unread_notifications(request), request=request)


def test_the_notification_pages_ask_for_a_login(client):
    assert client.get(reverse("web:notification_list")).status_code == 302
    assert client.post(reverse("web:notification_read"), {"all": "1"}).status_code == 302


# --- SLA settings -----------------------------------------------------------------------


def policy_form(**fields) -> dict:
    return {
        "name": "华东一组标准", "severity": "", "channel": "", "mode": "calendar",
        "first_response_hours": "8", "resolution_hours": "48", "warn_before_hours": "1.5", "is_active": "on", **fields,
    }  # fmt: skip


@pytest.fixture
def global_policy(db):
    return SlaPolicy.objects.create(name="海尔星级服务标准", first_response_minutes=24 * 60, resolution_minutes=72 * 60, warn_before_minutes=240)


@pytest.fixture
def other_policy(other_team):
    return SlaPolicy.objects.create(name="华南二组标准", team=other_team, first_response_minutes=12 * 60, resolution_minutes=48 * 60)


def test_a_manager_sets_a_policy_for_their_team_in_hours(as_user, manager, team, global_policy, other_policy):
    client = as_user(manager)
    page = client.get(reverse("web:sla_settings")).content.decode()
    assert "海尔星级服务标准" in page and "华南二组标准" not in page
    assert "Changes apply only to complaints filed afterwards" in page
    assert f'href="{reverse("web:sla_policy_edit", args=[global_policy.pk])}"' not in page  # every team's policy: read-only for a manager
    response = client.post(reverse("web:sla_settings"), policy_form(team=team.pk))
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="华东一组标准")
    assert (policy.team, policy.first_response_minutes, policy.resolution_minutes, policy.warn_before_minutes, policy.is_active) == (team, 480, 2880, 90, True)
    page = client.get(reverse("web:sla_settings")).content.decode()
    assert "SLA policy “华东一组标准” saved." in page and "8 h" in page and "1.5 h" in page


def test_a_manager_edits_their_own_teams_policy_but_not_anothers(as_user, manager, team, other_team, global_policy, other_policy):
    mine = SlaPolicy.objects.create(name="华东一组标准", team=team, first_response_minutes=600, resolution_minutes=3000)
    client = as_user(manager)
    edit = reverse("web:sla_policy_edit", args=[mine.pk])
    assert 'value="10"' in client.get(edit).content.decode()
    assert client.post(edit, policy_form(team=team.pk, first_response_hours="4")).status_code == 302
    mine.refresh_from_db()
    assert mine.first_response_minutes == 240
    assert client.get(reverse("web:sla_policy_edit", args=[other_policy.pk])).status_code == 404
    assert client.post(reverse("web:sla_policy_edit", args=[other_policy.pk]), policy_form(team=other_team.pk)).status_code == 404
    assert client.post(reverse("web:sla_policy_edit", args=[global_policy.pk]), policy_form(team=team.pk)).status_code == 403
    # a new policy for another team is not among the manager's choices
    page = client.post(reverse("web:sla_settings"), policy_form(name="越权", team=other_team.pk)).content.decode()
    assert "Select a valid choice." in page and not SlaPolicy.objects.filter(name="越权").exists()
    other_policy.refresh_from_db(), global_policy.refresh_from_db()
    assert (other_policy.first_response_minutes, global_policy.first_response_minutes) == (720, 1440)
    with pytest.raises(PermissionDenied):
        settings_services.sla_policy_save(by=manager, data={**policy_form(), "team": other_team})
    with pytest.raises(PermissionDenied):
        settings_services.sla_policy_save(by=manager, policy=other_policy, data={**policy_form(), "team": team})


@pytest.mark.parametrize("who", ["rep", "agent", "analyst", "outsider"])
def test_only_managers_and_administrators_reach_the_sla_settings(as_user, request, who, global_policy):
    client = as_user(request.getfixturevalue(who))
    assert client.get(reverse("web:sla_settings")).status_code == 403
    assert client.post(reverse("web:sla_settings"), policy_form()).status_code == 403
    assert client.get(reverse("web:sla_policy_edit", args=[global_policy.pk])).status_code == 403
    assert SlaPolicy.objects.count() == 1


def test_an_administrator_sets_the_policy_for_every_team(as_user, admin, global_policy):
    client = as_user(admin)
    response = client.post(reverse("web:sla_policy_edit", args=[global_policy.pk]), policy_form(name="海尔星级服务标准", team="", first_response_hours="24", resolution_hours="72"))
    assert response.status_code == 302
    global_policy.refresh_from_db()
    assert (global_policy.team, global_policy.resolution_minutes, global_policy.warn_before_minutes) == (None, 72 * 60, 90)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"first_response_hours": "48", "resolution_hours": "24"}, "first_response_hours", "The first response must be due before the resolution."),
        ({"first_response_hours": "0"}, "first_response_hours", "Enter a number of hours greater than zero."),
        ({"resolution_hours": "-3"}, "resolution_hours", "Enter a number of hours greater than zero."),
        ({"resolution_hours": "两天"}, "resolution_hours", "Enter a number of hours, such as 24 or 1.5."),
        ({"warn_before_hours": "60"}, "warn_before_hours", "The warning must come before the resolution is due"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_policy_mistakes_are_shown_at_their_field(as_user, manager, team, fields, field, message):
    page = as_user(manager).post(reverse("web:sla_settings"), policy_form(team=team.pk, **fields)).content.decode()
    assert "Please correct the fields marked below." in page and message in page
    assert re.search(rf'id="id_{field}".{{0,400}}?<div class="invalid-feedback d-block">{re.escape(message)}', page, re.DOTALL)
    assert not SlaPolicy.objects.exists()


def test_two_active_policies_may_not_cover_the_same_case(as_user, manager, team):
    client = as_user(manager)
    client.post(reverse("web:sla_settings"), policy_form(team=team.pk))
    page = client.post(reverse("web:sla_settings"), policy_form(team=team.pk, name="重复")).content.decode()
    assert "The active policy “华东一组标准” already covers this team, severity and channel" in page
    assert client.post(reverse("web:sla_settings"), policy_form(team=team.pk, name="备用", is_active="")).status_code == 302


def test_a_policy_change_applies_to_complaints_filed_afterwards(as_user, manager, team, customer, global_policy):
    policy = SlaPolicy.objects.create(name="华东一组标准", team=team, first_response_minutes=24 * 60, resolution_minutes=72 * 60)
    before = file_complaint(customer, by=None)
    assert before.sla["response_seconds"] == 24 * 3600
    as_user(manager).post(reverse("web:sla_policy_edit", args=[policy.pk]), policy_form(team=team.pk, first_response_hours="4", resolution_hours="24"))
    response_due, resolution_due = before.response_due, before.resolution_due
    before.refresh_from_db()
    assert (before.response_due, before.resolution_due, before.sla["response_seconds"]) == (response_due, resolution_due, 24 * 3600)
    after = file_complaint(customer, by=None)
    assert after.sla["response_seconds"] == 4 * 3600 and after.response_due - after.received_at == dt.timedelta(hours=4)


def test_the_most_specific_policy_applies(team, other_team, global_policy):
    ours = SlaPolicy.objects.create(name="华东一组", team=team, first_response_minutes=8 * 60, resolution_minutes=48 * 60)
    critical = SlaPolicy.objects.create(name="华东一组严重", team=team, severity="critical", first_response_minutes=60, resolution_minutes=8 * 60)
    SlaPolicy.objects.create(name="停用", team=team, channel="web", first_response_minutes=1, resolution_minutes=2, is_active=False)
    assert deadlines.snapshot_for(team_id=team.pk, severity="normal", channel="web")[0] == ours
    assert deadlines.snapshot_for(team_id=team.pk, severity="critical", channel="phone")[0] == critical
    assert deadlines.snapshot_for(team_id=other_team.pk, severity="critical", channel="web")[0] == global_policy


def test_a_manager_sets_their_teams_working_hours(as_user, manager, team, other_team):
    client = as_user(manager)
    page = client.get(reverse("web:sla_settings")).content.decode()
    assert f'action="{reverse("web:team_hours_edit", args=[team.pk])}"' in page and '<option value="Asia/Shanghai" selected>' in page
    data = {"hours-time_zone": "Asia/Urumqi", "hours-day_start": "10:00", "hours-day_end": "19:30", "hours-holidays": "weekends"}
    response = client.post(reverse("web:team_hours_edit", args=[team.pk]), data)
    assert response.status_code == 302 and response["Location"] == f"{reverse('web:sla_settings')}?team={team.pk}#hours"
    hours = TeamHours.objects.get(team=team)
    assert (hours.time_zone, hours.day_start, hours.day_end, hours.holidays) == ("Asia/Urumqi", dt.time(10), dt.time(19, 30), "weekends")
    assert client.post(reverse("web:team_hours_edit", args=[other_team.pk]), data).status_code == 404
    page = client.post(reverse("web:team_hours_edit", args=[team.pk]), {**data, "hours-day_end": "08:00"}).content.decode()
    assert "The working day must end after it starts." in page
    page = client.post(reverse("web:team_hours_edit", args=[team.pk]), {**data, "hours-time_zone": "Mars/Olympus"}).content.decode()
    assert "Select a valid choice." in page
    assert TeamHours.objects.get(team=team).day_end == dt.time(19, 30)
    with pytest.raises(PermissionDenied):
        settings_services.team_hours_save(by=manager, team=other_team, data={"time_zone": "Asia/Shanghai", "day_start": "09:00", "day_end": "18:00", "holidays": "cn"})


def test_an_administrator_picks_the_team_whose_hours_to_set(as_user, admin, team, other_team):
    page = as_user(admin).get(reverse("web:sla_settings") + f"?team={other_team.pk}").content.decode()
    assert f'action="{reverse("web:team_hours_edit", args=[other_team.pk])}"' in page and f'<option value="{team.pk}">' in page


# --- the feedback inbox -----------------------------------------------------------------


def test_the_feedback_inbox_by_status(as_user, rep, agent, outsider, customer):
    complaint = close_properly(file_complaint(customer, by=rep), by=rep, recipient=agent)
    client = as_user(agent)
    page = client.get(reverse("web:feedback_list")).content.decode()
    assert f'<a href="/complaints/{complaint.pk}/">{complaint.number}</a>' in page and "密封圈批次不良" in page
    assert "Nothing here." in client.get(reverse("web:feedback_list") + "?status=acknowledged").content.decode()
    item = complaint.feedback_items.get()
    services.feedback_acknowledge(item=item, by=agent)
    assert complaint.number in client.get(reverse("web:feedback_list") + "?status=acknowledged").content.decode()
    assert complaint.number not in client.get(reverse("web:feedback_list") + "?status=open").content.decode()
    page = as_user(outsider).get(reverse("web:feedback_list") + "?status=acknowledged").content.decode()
    assert complaint.number not in page and "密封圈批次不良" not in page and "Nothing here." in page


def test_someone_elses_customer_feedback_stays_hidden(as_user, rep2, admin):
    stranger_customer = CustomerFactory(name="他人客户", owner=UserFactory(username="far", role="sales"))
    complaint = close_properly(file_complaint(stranger_customer, by=admin), by=admin)
    page = as_user(rep2).get(reverse("web:feedback_list")).content.decode()
    assert complaint.number not in page
