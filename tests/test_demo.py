"""The demo data: loaded once for this module, rolled back after it."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.conf import global_settings
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from manyi.accounts.models import Role, Team, User
from manyi.core.errors import ApplicationError
from manyi.core.text import normalize_phone
from manyi.customers.access import visible_customers
from manyi.customers.models import AccessKind, Contact, Customer, CustomerAccess
from manyi.demo.loader import DEMO_PASSWORD, DEMO_USERS, credit_code, demo_load
from manyi.interactions.models import Interaction

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-mail")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, mail_dir):
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(mail_dir=mail_dir)
        transaction.set_rollback(True)


# One group for pytest-django's ordering (it runs database tests first), so the
# data is loaded once.
ENTERED_TWICE = ("展会名片录入", "重复录入：换了公司类型")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def test_volumes(demo):
    assert demo.customers == Customer.objects.count() == 202
    assert Customer.objects.filter(kind="individual").count() >= 60
    assert 2000 <= demo.interactions == Interaction.objects.count() <= 5000
    # Apart from the two companies entered a second time (for the duplicates page):
    enterprises = Customer.objects.filter(kind="enterprise").exclude(notes__in=ENTERED_TWICE)
    per_enterprise = enterprises.annotate(n=Count("contacts")).values_list("n", flat=True)
    assert set(per_enterprise) <= {2, 3, 4, 5}
    assert not enterprises.exclude(contacts__is_key_person=True).exists()
    assert Contact.objects.filter(is_key_person=True).exclude(key_role="").exclude(influence="").count() >= 126


def test_a_demo_user_for_every_role_in_two_teams(settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    users = User.objects.filter(is_demo=True)
    assert sorted(users.values_list("username", flat=True)) == sorted(u.username for u in DEMO_USERS)
    assert set(users.values_list("role", flat=True)) == set(Role.values)
    assert set(Team.objects.values_list("name", flat=True)) == {"华东销售一组", "华南销售二组"}
    for team in Team.objects.all():
        assert team.members.filter(role=Role.MANAGER).count() == 1
        assert team.members.filter(role=Role.SALES).count() >= 2
    assert all(check_password(DEMO_PASSWORD, u.password) for u in users)


def test_every_record_passes_model_validation():
    for customer in Customer.objects.all():
        customer.full_clean()
    for contact in Contact.objects.all():
        contact.full_clean()
    for item in Interaction.objects.order_by("?")[:300]:
        item.full_clean()


def test_phones_are_valid_and_stored_in_e164():
    numbers = list(Customer.objects.values_list("phone", "mobile", "fax")) + list(Contact.objects.values_list("phone", "mobile"))
    stored = [n for row in numbers for n in row if n]
    assert len(stored) > 600
    for number in stored:
        assert normalize_phone(number) == number
    mobiles = [m for m in Customer.objects.values_list("mobile", flat=True) if m]
    mobiles += list(Contact.objects.values_list("mobile", flat=True))
    assert len(mobiles) > 400 and all(m[3:5] in ("13", "15", "18") and len(m) == 14 for m in mobiles)


def _credit_code_is_valid(code: str) -> bool:
    if len(code) != 18 or any(c not in CREDIT_CHARSET for c in code):
        return False
    org = code[8:17]
    total = sum(w * (int(c) if c.isdigit() else ord(c) - 55) for w, c in zip((3, 7, 9, 10, 5, 8, 4, 2), org[:8]))
    expected_org = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
    weights = [pow(3, i, 31) for i in range(17)]
    expected = CREDIT_CHARSET[(31 - sum(CREDIT_CHARSET.index(c) * w for c, w in zip(code, weights)) % 31) % 31]
    return org[8] == expected_org and code[17] == expected


def test_credit_codes_carry_valid_check_characters():
    rng = random.Random(7)
    assert all(_credit_code_is_valid(credit_code(rng, "330106")) for _ in range(500))


def test_enterprise_profiles_are_realistic():
    companies = Customer.objects.filter(kind="enterprise").exclude(category="internal").exclude(notes__in=ENTERED_TWICE)
    assert companies.count() >= 120
    for company in companies:
        assert company.name.endswith("有限公司") and company.name.startswith(company.city)
        assert _credit_code_is_valid(company.credit_code), company.credit_code
        assert company.leader_name and company.industry and company.province
    assert Customer.objects.filter(category="internal").exists()
    assert len(set(companies.values_list("credit_code", flat=True))) == companies.count()


def test_grades_follow_the_20_80_rule():
    total = Customer.objects.aggregate(s=Sum("business_volume"))["s"]
    top = Customer.objects.filter(grade__in=["A", "B"]).aggregate(s=Sum("business_volume"))["s"]
    share = Customer.objects.filter(grade__in=["A", "B"]).count() / Customer.objects.count()
    assert 0.15 <= share <= 0.25
    assert top / total >= Decimal("0.6")
    assert set(Customer.objects.values_list("grade", flat=True)) == {"A", "B", "C", "D"}
    assert Customer.objects.filter(tags__name="VIP").exists() and Customer.objects.filter(tags__name="华东区").exists()


def test_individual_profiles():
    people = Customer.objects.filter(kind="individual")
    assert not people.filter(birthday__isnull=True).exists()
    assert not people.filter(preferences="").exists()
    assert people.exclude(health_notes="").exists() and people.exclude(purchase_story="").exists()


def test_interactions_span_two_years_in_every_kind_and_both_directions():
    now = timezone.now()
    span = Interaction.objects.order_by("occurred_at").values_list("occurred_at", flat=True)
    assert now - span.first() > dt.timedelta(days=600) and span.last() <= now
    assert set(Interaction.objects.values_list("kind", flat=True)) == {"visit", "call", "email", "chat", "meeting", "note"}
    assert set(Interaction.objects.values_list("direction", flat=True)) == {"inbound", "outbound"}
    assert Interaction.objects.filter(text__contains="失望").exists() and Interaction.objects.filter(text__contains="满意").exists()
    assert not Interaction.objects.filter(text__contains="{").exists()


def test_some_customers_are_shared_and_some_served():
    shared = CustomerAccess.objects.filter(kind=AccessKind.SHARED).select_related("customer__owner", "user")
    assert shared.exists()
    for grant in shared:
        assert grant.user.role == Role.SALES and grant.user.team_id is not None
        assert grant.user.team_id == grant.customer.owner.team_id
    agent = User.objects.get(is_demo=True, role=Role.SERVICE)
    served = visible_customers(agent)
    assert served.exists() and served.count() == CustomerAccess.objects.filter(kind=AccessKind.SERVICE).count()
    assert Interaction.objects.filter(created_by=agent).exists()
    rep = shared.first().user
    assert visible_customers(rep).filter(pk=shared.first().customer_id).exists()


def test_loading_twice_is_refused():
    with pytest.raises(ApplicationError):
        demo_load()


def test_history_begins_before_the_first_interaction(demo):
    from django.db.models import Min

    from manyi.customers.models import ChangeRecord, Customer

    for customer in Customer.objects.annotate(first=Min("interactions__occurred_at")).exclude(first=None)[:50]:
        assert customer.created_at < customer.first
        assert not ChangeRecord.objects.filter(customer=customer, at__gt=customer.first).exists()


def test_every_rep_has_customers_at_risk_this_week():
    from manyi.interactions.selectors import customers_at_risk

    for rep in User.objects.filter(role=Role.SALES):
        at_risk = customers_at_risk(user=rep)
        assert at_risk and any(entry.high for entry in at_risk), rep.username


def test_two_companies_entered_twice_are_offered_as_duplicates():
    from manyi.customers.models import DuplicatePair

    pairs = list(DuplicatePair.objects.filter(status="open"))
    twice = Customer.objects.filter(notes__in=ENTERED_TWICE).values_list("pk", flat=True)
    assert len(twice) == 2
    for pk in twice:
        assert any(pk in (p.customer_a_id, p.customer_b_id) for p in pairs)
    assert {"credit_code"} <= {r for p in pairs for r in p.reasons}


def test_keeping_customers_has_something_to_show(demo):
    """Members whose balances are their ledgers, survey answers over the year,
    lunar birthdays, consent, and a today agenda for each rep with a birthday
    and a task on it."""
    from manyi.campaigns.models import ConsentEvent
    from manyi.care.selectors import agenda
    from manyi.customers.models import DepthChange
    from manyi.loyalty.models import LedgerEntry, Member
    from manyi.satisfaction.models import SurveyResponse

    assert demo.members == Member.objects.count() >= 20
    for member in Member.objects.all():
        ledger = LedgerEntry.objects.filter(member=member).aggregate(total=Sum("points"))["total"] or 0
        assert member.balance == ledger >= 0
    assert LedgerEntry.objects.filter(kind="redeem").exists()
    assert demo.survey_answers == SurveyResponse.objects.count() >= 100
    months = {r.answered_at.strftime("%Y-%m") for r in SurveyResponse.objects.all()}
    assert len(months) >= 8
    assert set(SurveyResponse.objects.values_list("verdict", flat=True)) == {"satisfied", "basically_satisfied", "dissatisfied"}
    assert Customer.objects.filter(birthday_calendar="lunar").count() >= 10
    assert ConsentEvent.objects.filter(granted=True).count() >= 100 and ConsentEvent.objects.filter(granted=False).exists()
    assert not DepthChange.objects.filter(at__gt=timezone.now() - dt.timedelta(days=1), evidence="first_interaction").count() > 20
    for rep in User.objects.filter(role=Role.SALES):
        today = agenda(user=rep)
        assert today.tasks and today.birthdays, rep.username


def test_a_sent_winback_campaign_and_a_draft(demo, mail_dir):
    from manyi.campaigns.models import Campaign, Recipient

    assert demo.campaigns == Campaign.objects.count() == 2
    sent = Campaign.objects.get(kind="winback")
    assert sent.status == "done"
    groups = set(Recipient.objects.filter(campaign=sent).values_list("group", "status"))
    assert {("treatment", "sent"), ("control", "skipped")} <= groups
    assert Campaign.objects.get(kind="marketing").status == "draft"
    mail = "".join(path.read_text() for path in mail_dir.iterdir())
    assert mail.count("Message-ID: <campaign") == Recipient.objects.filter(campaign=sent, status="sent").count()
