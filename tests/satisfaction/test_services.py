"""Survey links and answers: verdicts, the follow-up task a dissatisfied
answer opens (once), the complaint a furious comment files, the relationship
depth an answer moves, one answer per link and expiry."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from manyi.care.models import FollowUp, FollowUpKind
from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.customers.models import DepthChange
from manyi.satisfaction import selectors, services
from manyi.satisfaction.models import SurveyInvitation, SurveyResponse
from manyi.service.models import Complaint
from tests.factories import buy

pytestmark = pytest.mark.django_db

SLOW = "送货太慢了，等了两个星期，太失望了！"


def test_a_link_keeps_only_the_digest_and_opens_by_its_token(invite, customer):
    invitation, token = invite(customer, "nps", language="en")
    assert token not in invitation.digest and len(invitation.digest) == 64
    assert selectors.invitation_by_token(token) == invitation
    assert selectors.invitation_by_token(token + "x") is None and selectors.invitation_by_token("") is None
    assert invitation.language == "en" and invitation.expires_at > timezone.now() + dt.timedelta(days=13)


def test_one_link_per_trigger_and_source(invite, customer):
    invite(customer, trigger="complaint_closed", source="complaint:12")
    with pytest.raises(services.AlreadyInvited) as exc:
        invite(customer, trigger="complaint_closed", source="complaint:12")
    assert exc.value.code == "survey_already_invited"
    invite(customer, trigger="purchase", source="complaint:12")
    invite(customer), invite(customer)  # manual links without a source: as many as wanted
    assert SurveyInvitation.objects.count() == 4


def test_invite_checks_its_fields_and_who_asks(invite, customer, outsider, analyst):
    with pytest.raises(ValidationFailed) as exc:
        invite(customer, "stars", trigger="whenever", language="fr", expires_in_days=0)
    assert set(exc.value.fields) == {"kind", "trigger", "language", "expires_in_days"}
    for user in (outsider, analyst):
        with pytest.raises(PermissionDenied):
            invite(customer, by=user)


def test_a_purchase_survey_is_about_the_orders_main_product(invite, customer, rep, products):
    [order] = buy(customer, rep, [products["filter"], products["purifier"]], [3])
    invitation, _token = invite(customer, trigger="purchase", source=f"order:{order.pk}", by=None)
    assert invitation.product == products["purifier"] and invitation.created_by is None


def test_a_satisfied_csat_answer_moves_depth_and_opens_no_task(invite, customer):
    invitation, _token = invite(customer, "csat")
    response = services.survey_answer(invitation=invitation, data={"score": "5", "comment": "很满意，谢谢"})
    assert response.verdict == "satisfied" and response.score == 5 and response.emotion_polarity == "positive"
    assert response.owner == customer.owner and response.team_id == customer.team_id
    customer.refresh_from_db()
    assert customer.depth == "satisfaction"
    assert DepthChange.objects.get(customer=customer).evidence == "survey_satisfied"
    assert not FollowUp.objects.exists() and response.follow_up is None


def test_a_dissatisfied_spe_answer_opens_one_task_for_the_owner_due_today(invite, person, rep):
    customer = person
    customer.depth = "satisfaction"
    customer.save()
    invitation, _token = invite(customer, "spe")
    data = {"expectation_product_quality": "5", "perception_product_quality": "2", "expectation_staff_attitude": 4, "perception_staff_attitude": 5, "comment": SLOW}
    response = services.survey_answer(invitation=invitation, data=data)
    assert response.verdict == "dissatisfied" and response.mean_gap == -1.0 and response.score is None
    assert sorted((a.driver, a.gap) for a in response.answers.all()) == [("product_quality", -3), ("staff_attitude", 1)]
    task = FollowUp.objects.get()
    assert response.follow_up == task and task.source == f"survey-response:{response.pk}"
    assert (task.assignee, task.kind, task.due_on) == (rep, FollowUpKind.SURVEY, timezone.localdate())
    assert "Product quality: expected 5, got 2 (-3)" in task.detail and SLOW in task.detail and "mean gap -1.00" in task.title
    assert response.emotion_escalation == "low" and response.complaint is None and not Complaint.objects.exists()
    customer.refresh_from_db()
    assert customer.depth == "contact" and DepthChange.objects.get().evidence == "survey_dissatisfied"


def test_a_furious_comment_also_files_a_complaint(invite, customer):
    invitation, _token = invite(customer, "nps")
    response = services.survey_answer(invitation=invitation, data={"score": 1, "comment": "送货太慢了，我要去消费者协会投诉，还要找媒体曝光！"})
    assert response.emotion_escalation == "high" and response.follow_up is not None
    complaint = Complaint.objects.get()
    assert response.complaint == complaint and complaint.customer == customer and complaint.channel == "web"
    assert "NPS 1/10" in complaint.subject


def test_one_answer_per_link(invite, customer):
    invitation, _token = invite(customer, "csat")
    stale = SurveyInvitation.objects.get(pk=invitation.pk)
    services.survey_answer(invitation=invitation, data={"score": 1})
    with pytest.raises(services.SurveyAnswered):
        services.survey_answer(invitation=stale, data={"score": 5})
    assert SurveyResponse.objects.count() == 1 and FollowUp.objects.count() == 1


def test_the_database_refuses_a_second_response_for_a_link_even_past_the_check(invite, customer):
    """A submit that raced past the answered check meets the one-to-one constraint."""
    invitation, _token = invite(customer, "csat")
    SurveyResponse.objects.create(invitation=invitation, customer=customer, kind="csat", score=4, verdict="satisfied")
    with pytest.raises(services.SurveyAnswered):
        services.survey_answer(invitation=invitation, data={"score": 2})
    assert SurveyResponse.objects.count() == 1 and not FollowUp.objects.exists()
    invitation.refresh_from_db()
    assert invitation.answered_at is None
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(invitation=invitation, customer=customer, kind="csat", score=2, verdict="dissatisfied")


def test_an_expired_link_takes_no_answer(invite, customer):
    invitation, _token = invite(customer, "csat")
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(services.SurveyExpired) as exc:
        services.survey_answer(invitation=invitation, data={"score": 5})
    assert exc.value.status == 410 and not SurveyResponse.objects.exists()


def test_every_field_error_is_named(invite, customer, person):
    csat, _t = invite(customer, "csat")
    with pytest.raises(ValidationFailed) as exc:
        services.survey_answer(invitation=csat, data={"score": "6", "comment": "x" * 2001})
    assert set(exc.value.fields) == {"score", "comment"} and "from 1 to 5" in exc.value.fields["score"][0]
    nps, _t = invite(customer, "nps")
    with pytest.raises(ValidationFailed) as exc:
        services.survey_answer(invitation=nps, data={"score": True})
    assert "from 0 to 10" in exc.value.fields["score"][0]
    spe, _t = invite(person, "spe")
    with pytest.raises(ValidationFailed) as exc:
        services.survey_answer(invitation=spe, data={})
    assert "answers" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.survey_answer(invitation=spe, data={"expectation_product_quality": "4", "expectation_ease_of_use": "9", "perception_ease_of_use": "2",
                                                     "expectation_professional": "3", "perception_professional": "3"})  # fmt: skip
    assert exc.value.fields == {
        "perception_product_quality": ["Rate what you got as well."],
        "expectation_ease_of_use": ["Choose from 1 to 5."],
        "expectation_professional": ["This survey does not ask about that."],
        "perception_professional": ["This survey does not ask about that."],
    }
    # an enterprise is asked the four business dimensions
    b2b, _t = invite(customer, "spe")
    response = services.survey_answer(invitation=b2b, data={"expectation_professional": "3", "perception_professional": "3"})
    assert response.verdict == "basically_satisfied"
    assert not SurveyResponse.objects.exclude(pk=response.pk).exists()


def test_staff_enter_an_answer(rep, customer, outsider, analyst):
    response = services.survey_enter(by=rep, customer=customer, kind="csat", data={"score": 2, "comment": "安装师傅迟到了"})
    assert response.entered_by == rep and response.invitation is None and response.verdict == "dissatisfied"
    assert FollowUp.objects.get().source == f"survey-response:{response.pk}"
    for user in (outsider, analyst):
        with pytest.raises(PermissionDenied):
            services.survey_enter(by=user, customer=customer, kind="csat", data={"score": 5})
    with pytest.raises(ValidationFailed):
        services.survey_enter(by=rep, customer=customer, kind="stars", data={"score": 5})


def test_public_posts_are_rate_limited(db):
    for _ in range(services.RATE_LIMIT):
        services.survey_rate_check(client_address="10.0.0.1")
    with pytest.raises(services.RateLimited):
        services.survey_rate_check(client_address="10.0.0.1")
    services.survey_rate_check(client_address="10.0.0.2")

