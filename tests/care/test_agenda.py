"""The "today" agenda (care.selectors.agenda): each section, as the shared cast sees it."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from manyi.care import greetings, selectors, services
from manyi.care.models import FollowUpKind
from manyi.sales.models import PlannedVisit
from manyi.service.models import Complaint, ComplaintEvent, EventKind, Step
from tests.factories import ContactFactory, CustomerFactory, InteractionFactory

DAY = dt.date(2026, 9, 20)  # Mid-Autumn is on the 25th, National Day on 1 October


def aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


@pytest.fixture
def wang(rep):
    """An individual, grade A, born on 1986-09-22 (solar): forty on the 22nd."""
    return CustomerFactory(name="王建国", kind="individual", gender="male", grade="A", owner=rep, birthday=dt.date(1986, 9, 22))


def test_tasks_due_today_and_overdue_are_the_assignees_only(rep, rep2, customer):
    due = services.followup_open(customer=customer, title="回电报价", due_on=DAY)
    late = services.followup_open(customer=customer, title="寄样品", due_on=DAY - dt.timedelta(days=3))
    services.followup_open(customer=customer, title="Later", due_on=DAY + dt.timedelta(days=1))
    done = services.followup_open(customer=customer, title="Done", due_on=DAY)
    services.followup_done(follow_up=done, by=rep)
    tasks = selectors.agenda(user=rep, day=DAY).tasks
    assert [(t.follow_up.pk, t.overdue, t.overdue_days) for t in tasks] == [(late.pk, True, 3), (due.pk, False, 0)]
    assert tasks[1].greeting == "张三, hello! I am following up on “回电报价”."
    assert selectors.agenda(user=rep2, day=DAY).tasks == []


def test_birthdays_of_the_next_seven_days_with_age_and_lunar_date(rep, rep2, wang, enterprise):
    lunar_born = CustomerFactory(name="李梅", kind="individual", gender="female", owner=rep, birthday=dt.date(1980, 10, 8), birthday_calendar="lunar")
    key = ContactFactory(customer=enterprise, name="赵总", gender="male", is_key_person=True, birthday=dt.date(1975, 9, 26))
    ContactFactory(customer=enterprise, name="钱秘书", is_key_person=False, birthday=dt.date(1990, 9, 21))
    CustomerFactory(name="Far", kind="individual", owner=rep, birthday=dt.date(1990, 9, 27))  # seven days on: outside
    CustomerFactory(name="Other", kind="individual", owner=rep2, birthday=dt.date(1990, 9, 21))
    birthdays = selectors.agenda(user=rep, day=DAY).birthdays
    assert [(b.name, b.day, b.age, b.milestone) for b in birthdays] == [
        ("王建国", dt.date(2026, 9, 22), 40, True),
        ("赵总", dt.date(2026, 9, 26), 51, False),
    ]
    assert birthdays[0].greeting.startswith("Mr Wang, happy 40th birthday!")
    assert birthdays[1].contact == key and birthdays[1].customer == enterprise
    # 李梅 keeps lunar 八月三十; in 2026 the eighth month has 29 days: 八月廿九 = 9 October.
    later = selectors.agenda(user=rep, day=dt.date(2026, 10, 5)).birthdays
    assert [(b.name, b.day, b.calendar, b.lunar) for b in later] == [("李梅", dt.date(2026, 10, 9), "lunar", "lunar 8/29")]
    assert lunar_born.pk == later[0].customer.pk


def test_festivals_list_the_important_customers_and_western_ones_only_for_those_who_want_them(rep, wang, enterprise):
    ContactFactory(customer=enterprise, name="赵总", gender="male", is_key_person=True)
    enterprise.importance = "key"
    enterprise.save()
    CustomerFactory(name="Small", grade="C", importance="ordinary", owner=rep)
    festivals = selectors.agenda(user=rep, day=DAY).festivals
    assert [(f.code, f.day, f.in_days) for f in festivals] == [("mid_autumn", dt.date(2026, 9, 25), 5), ("national_day", dt.date(2026, 10, 1), 11)]
    mid = festivals[0]
    assert mid.lunar == "lunar 8/15"
    assert {c.customer.name: c.greeting.split(",")[0] for c in mid.customers} == {"王建国": "Mr Wang", "北京华为科技有限公司": "Mr Zhao"}
    christmas = dt.date(2026, 12, 20)
    assert "christmas" not in [f.code for f in selectors.agenda(user=rep, day=christmas).festivals]
    wang.western_festivals = True
    wang.save()
    xmas = [f for f in selectors.agenda(user=rep, day=christmas).festivals if f.code == "christmas"]
    assert [c.customer.name for c in xmas[0].customers] == ["王建国"]


def test_qingming_is_no_occasion_for_a_greeting(rep, wang):
    codes = [f.code for f in selectors.agenda(user=rep, day=dt.date(2026, 4, 1)).festivals]
    assert "qingming" not in codes


def test_a_logged_greeting_marks_the_customer_greeted_once(rep, wang):
    source = selectors.festival_source(customer_id=wang.pk, code="mid_autumn", day=dt.date(2026, 9, 25))
    services.greeting_log(by=rep, customer=wang, text="王先生，中秋快乐！", subject="Mid-Autumn greeting", source=source)
    mid = selectors.agenda(user=rep, day=DAY).festivals[0]
    assert [c.greeted for c in mid.customers] == [True]
    assert wang.interactions.get().text == "王先生，中秋快乐！"
    with pytest.raises(services.ApplicationError) as caught:
        services.greeting_log(by=rep, customer=wang, text="again", source=source)
    assert caught.value.code == "greeting_logged"


def test_regular_follow_ups_by_grade(rep, rep2):
    today = timezone.localdate()
    a_due = CustomerFactory(name="A due", grade="A", owner=rep)
    a_fresh = CustomerFactory(name="A fresh", grade="A", owner=rep)
    d_quiet = CustomerFactory(name="D quiet", grade="D", owner=rep)
    never = CustomerFactory(name="Never", grade="B", owner=rep)
    type(never).objects.filter(pk__in=[a_due.pk, a_fresh.pk, d_quiet.pk, never.pk]).update(created_at=aware(today - dt.timedelta(days=400)))
    InteractionFactory(customer=a_due, occurred_at=aware(today - dt.timedelta(days=31)))
    InteractionFactory(customer=a_due, kind="note", occurred_at=aware(today - dt.timedelta(days=1)))  # a note is no contact
    InteractionFactory(customer=a_fresh, occurred_at=aware(today - dt.timedelta(days=29)))
    InteractionFactory(customer=d_quiet, occurred_at=aware(today - dt.timedelta(days=100)))
    agenda = selectors.agenda(user=rep, day=today)
    assert [(p.customer.name, p.days_since, p.interval_days) for p in agenda.periodic] == [("Never", 400, 60), ("A due", 31, 30)]
    assert agenda.periodic_total == 2
    assert agenda.periodic[1].greeting.startswith("A due, hello!")
    assert selectors.agenda(user=rep2, day=today).periodic == []


def test_complaint_rechecks_awaiting_and_overdue(rep, rep2, agent, customer):
    now = timezone.now()

    def complaint(subject, status, carried_days_ago):
        c = Complaint.objects.create(customer=customer, assignee=rep, team=rep.team, channel="phone", status=status, subject=subject, description="坏了", received_at=now)
        ComplaintEvent.objects.create(complaint=c, kind=EventKind.STEP, step=Step.CARRIED_OUT, by=rep, at=now - dt.timedelta(days=carried_days_ago))
        return c

    late = complaint("滤芯漏水", Step.CARRIED_OUT, 9)
    fresh = complaint("安装慢", Step.CARRIED_OUT, 1)
    complaint("已回访", Step.RECHECKED, 9)
    rechecks = selectors.agenda(user=rep, day=timezone.localdate()).rechecks
    assert [(r.complaint.pk, r.overdue) for r in rechecks] == [(late.pk, True), (fresh.pk, False)]
    assert "“滤芯漏水”" in rechecks[0].greeting
    assert selectors.agenda(user=rep2, day=timezone.localdate()).rechecks == []


def test_planned_visits_of_the_day(rep, rep2, customer, wang):
    PlannedVisit.objects.create(rep=rep, customer=wang, day=DAY, stop=2)
    PlannedVisit.objects.create(rep=rep, customer=customer, day=DAY, stop=1)
    PlannedVisit.objects.create(rep=rep, customer=customer, day=DAY + dt.timedelta(days=1), stop=1)
    assert [v.customer.name for v in selectors.agenda(user=rep, day=DAY).visits] == ["张三", "王建国"]
    assert selectors.agenda(user=rep2, day=DAY).visits == []


def test_a_manager_sees_the_team_counts_but_their_own_list(rep, rep2, manager, outsider, customer):
    services.followup_open(customer=customer, title="Late", due_on=DAY - dt.timedelta(days=1))
    services.followup_open(customer=customer, title="Due", due_on=DAY)
    PlannedVisit.objects.create(rep=rep, customer=customer, day=DAY, stop=1)
    agenda = selectors.agenda(user=manager, day=DAY)
    assert agenda.tasks == [] and agenda.visits == []
    rows = {row.user.username: row for row in agenda.team}
    assert "outsider" not in rows
    assert (rows["rep"].tasks_due, rows["rep"].tasks_overdue, rows["rep"].visits) == (2, 1, 1)
    assert (rows["rep2"].tasks_due, rows["rep2"].visits) == (0, 0)
    assert selectors.agenda(user=rep, day=DAY).team is None


def test_the_outsider_sees_nothing(rep, outsider, customer, wang):
    services.followup_open(customer=customer, title="Due", due_on=DAY)
    PlannedVisit.objects.create(rep=rep, customer=customer, day=DAY, stop=1)
    agenda = selectors.agenda(user=outsider, day=DAY)
    assert agenda.empty and agenda.team is None
    assert list(selectors.followup_list(user=outsider, filters=selectors.FollowUpFilters(status="all"))) == []


def test_follow_up_list_filters_and_scope(rep, rep2, manager, admin, customer):
    mine = services.followup_open(customer=customer, title="Mine", due_on=DAY, kind=FollowUpKind.CARE)
    other = CustomerFactory(owner=rep2)
    theirs = services.followup_open(customer=other, title="Theirs", due_on=DAY - dt.timedelta(days=1))
    today = DAY
    listed = lambda user, **f: [t.title for t in selectors.followup_list(user=user, filters=selectors.FollowUpFilters(**f), today=today)]  # noqa: E731
    assert listed(rep) == ["Mine"]
    assert listed(manager) == ["Theirs", "Mine"] and listed(admin, sort="-due") == ["Mine", "Theirs"]
    assert listed(manager, status="overdue") == ["Theirs"]
    assert listed(manager, kind="care") == ["Mine"]
    assert listed(manager, assignee=rep2.pk) == ["Theirs"]
    services.followup_done(follow_up=mine, by=rep, outcome="ok")
    assert listed(rep) == [] and listed(rep, status="done") == ["Mine"]
    with pytest.raises(selectors.NotFound):
        selectors.followup_get(user=rep, pk=theirs.pk)


def test_greeting_drafts_in_chinese_and_english(rep, customer, enterprise):
    woman = CustomerFactory(name="欧阳娜娜", kind="individual", gender="female", owner=rep)
    with translation.override("zh-hans"):
        assert greetings.addressee(woman) == "欧阳女士"
        assert greetings.honorific("王建国", "male") == "王先生"
        assert greetings.honorific("张三", "") == "张三"
        assert greetings.addressee(enterprise) == "北京华为科技有限公司"
        assert greetings.lunar_text(dt.date(2026, 9, 25)) == "农历八月十五"
        assert greetings.birthday("王先生").startswith("王先生")
    key = ContactFactory(customer=enterprise, name="赵敏", gender="female", is_key_person=True)
    assert greetings.addressee(enterprise, key) == "Ms Zhao"
    assert greetings.addressee(woman) == "Ms Ouyang"
    assert greetings.honorific("John Smith", "male") == "Mr Smith"
    assert greetings.festival("Ms Zhao", "spring_festival").startswith("Ms Zhao, happy Spring Festival!")
    assert greetings.birthday("Mr Wang", age=60, milestone=True).startswith("Mr Wang, happy 60th birthday!")
    with pytest.raises(ValueError):
        greetings.festival("Ms Zhao", "qingming")
