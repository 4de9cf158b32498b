"""Demo data for keeping customers (domain §6, §7): birthdays on the lunar
calendar, marketing consent, the loyalty programme, survey answers over a
year, follow-up tasks, and the relationship-depth history dated as it
happened. Runs after the rest of the demo, with its own random stream so the
earlier demo data stays as it was."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Min
from django.test.utils import override_settings
from django.utils import timezone

from manyi.accounts.models import Role, User
from manyi.analytics.models import COUNTED_STATUSES, Order, Product
from manyi.analytics.services import order_create
from manyi.campaigns.models import (
    Campaign,
    CampaignKind,
    ChannelKind,
    ConsentSource,
    Group,
    Recipient,
)
from manyi.campaigns.services import (
    campaign_create,
    campaign_launch,
    campaign_send_run,
    consent_record,
    template_create,
)
from manyi.care.models import FollowUp
from manyi.care.services import followup_done, followup_open
from manyi.customers.models import Customer, DepthChange, DepthEvidence, Kind
from manyi.interactions.models import Interaction
from manyi.loyalty.models import Member, Reward, RuleCode
from manyi.loyalty.services import (
    member_enroll,
    points_for_order,
    points_redeem,
    referral_record,
    reward_save,
    rules_save,
    tiers_save,
)
from manyi.satisfaction.drivers import drivers_for
from manyi.satisfaction.models import SurveyResponse, SurveyTrigger
from manyi.satisfaction.services import survey_answer, survey_enter, survey_invite
from manyi.service.models import Complaint, Step


@dataclass(frozen=True)
class CareSummary:
    members: int
    survey_answers: int
    follow_ups: int
    campaigns: int


TIERS = (
    {"name": "普通会员", "name_en": "Member", "threshold": 0, "multiplier": "1", "benefits": "积分兑换礼品；生日积分"},
    {"name": "银卡会员", "name_en": "Silver", "threshold": 500, "multiplier": "1.2", "benefits": "积分1.2倍；免费上门保养一次/年"},
    {"name": "金卡会员", "name_en": "Gold", "threshold": 2000, "multiplier": "1.5", "benefits": "积分1.5倍；专属客服热线；新品优先体验"},
    {"name": "钻石会员", "name_en": "Diamond", "threshold": 6000, "multiplier": "2", "benefits": "积分2倍；年度答谢会邀请；延长保修一年"},
)
RULES = {
    RuleCode.SPEND: {"points": 10, "active": True},
    RuleCode.BIRTHDAY: {"points": 100, "active": True},
    RuleCode.REFERRAL: {"points": 300, "active": True},
    RuleCode.SURVEY: {"points": 20, "active": True},
}
REWARDS = (
    {"name": "品牌保温杯", "description": "316不锈钢，500毫升", "cost": 300, "stock": 120, "active": True},
    {"name": "滤芯更换券", "description": "任一型号净水器滤芯一支", "cost": 800, "stock": None, "active": True},
    {"name": "上门深度保养", "description": "工程师上门清洗保养一次", "cost": 1500, "stock": 40, "active": True},
    {"name": "年度答谢会门票", "description": "每年十二月举办，含晚宴", "cost": 5000, "stock": 10, "active": True},
)

# (score 1–5, comment) of CSAT answers; the comments are read by the emotion engine.
CSAT = (
    (5, "安装师傅很专业，准时到，还把现场收拾干净了，非常满意！"),
    (5, "客服回复很快，问题当天就解决了，谢谢。"),
    (4, "产品不错，就是说明书写得不太清楚。"),
    (4, "整体满意，送货比预计晚了一天。"),
    (3, "一般吧，价格偏高，服务还行。"),
    (2, "等了一个星期才有人上门，太慢了，希望改进。"),
    (1, "第三次报修了还是没修好，非常失望，再这样我要投诉到12315！"),
    (5, "老客户了，一直很信任你们。"),
)
NPS_COMMENTS = {
    "high": ("会推荐给朋友，售后有保障。", "用了两年没出过问题，值得推荐。"),
    "mid": ("还可以，没有特别的感觉。", "价格如果再优惠一些会更好。"),
    "low": ("客服电话总是打不通，不会推荐。", "承诺的回访一直没有，很不满意。"),
}
SPE_COMMENTS = ("希望交付周期能再短一些。", "客户经理很负责，有问题随叫随到。", "技术方案很专业，但价格比预期高。", "")
TASKS = (
    ("确认年度维保合同续签意向", 0),
    ("回访上次投诉的处理结果", -2),
    ("寄送新品资料并电话确认", 1),
    ("邀请参加下月客户答谢会", 3),
)


def load(*, rng: random.Random, now: dt.datetime, mail_dir: Path) -> CareSummary:
    """`mail_dir`: where the demo's sent win-back campaign writes its e-mails (Django's file backend), instead of a mail server."""
    today = timezone.localdate(now)
    admin = User.objects.get(username="admin")
    _calendars(rng, today)
    _consent(rng)
    members = _loyalty(rng, admin)
    answers = _surveys(rng, now)
    _tasks(today)
    _depth_dates()
    campaigns = _campaigns(rng, now, mail_dir)
    return CareSummary(members=members, survey_answers=answers, follow_ups=FollowUp.objects.count(), campaigns=campaigns)


def _calendars(rng: random.Random, today: dt.date) -> None:
    """A third of the people with a birthday celebrate it on the lunar
    calendar, a fifth like Western festivals; and two customers of each rep
    have their birthday this week, so the agenda has some to greet."""
    with_birthday = list(Customer.objects.filter(kind=Kind.INDIVIDUAL, birthday__isnull=False).order_by("pk").values_list("pk", "owner_id", "birthday"))
    lunar = [pk for pk, _owner, _day in with_birthday if rng.random() < 0.33]
    Customer.objects.filter(pk__in=lunar).update(birthday_calendar="lunar")
    western = [pk for pk, _owner, _day in with_birthday if rng.random() < 0.2]
    Customer.objects.filter(pk__in=western).update(western_festivals=True)
    by_owner: dict[int, list[tuple[int, dt.date]]] = {}
    for pk, owner, day in with_birthday:
        if pk not in lunar:
            by_owner.setdefault(owner, []).append((pk, day))
    for people in by_owner.values():
        for offset, (pk, born) in zip((0, rng.randint(2, 6)), rng.sample(people, min(2, len(people))), strict=False):
            soon = today + dt.timedelta(days=offset)
            day = 28 if (soon.month, soon.day) == (2, 29) else soon.day
            Customer.objects.filter(pk=pk).update(birthday=born.replace(month=soon.month, day=day))


def _consent(rng: random.Random) -> None:
    """Most customers agreed to hear from us when they were entered; a few have since unsubscribed."""
    for customer in Customer.objects.order_by("pk").only("pk", "email", "mobile", "created_at", "owner_id"):
        for channel, address in ((ChannelKind.EMAIL, customer.email), (ChannelKind.SMS, customer.mobile)):
            if not address or rng.random() < 0.25:
                continue
            consent_record(customer=customer, channel=channel, granted=True, source=ConsentSource.FORM, note="入会登记表勾选同意接收优惠信息", at=customer.created_at)
            if rng.random() < 0.06:
                consent_record(customer=customer, channel=channel, granted=False, source=ConsentSource.UNSUBSCRIBE_LINK, note="")


def _loyalty(rng: random.Random, admin: User) -> int:
    """The programme's tiers, rules and rewards; individual customers who
    bought enrolled, their orders' points, some rewards taken, two referrals."""
    tiers_save(by=admin, rows=[dict(row) for row in TIERS])
    rules_save(by=admin, rows={code: dict(row) for code, row in RULES.items()})
    rewards = [reward_save(by=admin, data=dict(row)) for row in REWARDS]
    buyers = (
        Customer.objects.filter(kind=Kind.INDIVIDUAL, orders__status__in=COUNTED_STATUSES)
        .distinct()
        .order_by("pk")
        .select_related("owner")
    )
    members = []
    for customer in buyers:
        if rng.random() < 0.7:
            members.append(member_enroll(customer=customer, by=customer.owner))
    for member in members:
        for order in Order.objects.filter(customer_id=member.customer_id, status__in=COUNTED_STATUSES).order_by("ordered_on", "pk"):
            points_for_order(order=order, by=member.customer.owner)
    affordable = sorted(rewards, key=lambda r: r.cost)
    for member in members:
        member.refresh_from_db()
        if rng.random() < 0.35:
            within = [r for r in affordable if r.cost <= member.balance]
            if within:
                points_redeem(member=member, reward=rng.choice(within), by=member.customer.owner)
    by_owner: dict[int, list[Member]] = {}
    for member in members:
        by_owner.setdefault(member.customer.owner_id, []).append(member)
    pairs = [group[:2] for group in by_owner.values() if len(group) >= 2][:2]
    for referrer, referred in pairs:
        referral_record(referrer=referrer.customer, referred=referred.customer, by=referrer.customer.owner)
    Reward.objects.filter(pk=rewards[-1].pk).update(stock=10)
    return Member.objects.count()


def _spe_data(rng: random.Random, kind: str, tone: int) -> dict:
    """Expectation and perception on each driver; `tone` -1, 0 or 1 pulls the perception below, to or above the expectation."""
    data = {"comment": rng.choice(SPE_COMMENTS)}
    for driver in drivers_for(kind):
        expectation = rng.randint(3, 5)
        perception = max(1, min(5, expectation + tone + rng.choice((-1, 0, 0, 1))))
        data[f"expectation_{driver}"], data[f"perception_{driver}"] = expectation, perception
    return data


def _surveys(rng: random.Random, now: dt.datetime) -> int:
    """CSAT after closed complaints and purchases, NPS and expectation-vs-perception
    answers spread over the past year; answers older than a month have had
    their follow-up task done."""
    made: list[SurveyResponse] = []
    for complaint in Complaint.objects.filter(status=Step.CLOSED).select_related("customer").order_by("pk"):
        invitation, _token = survey_invite(customer=complaint.customer, kind="csat", trigger=SurveyTrigger.COMPLAINT_CLOSED, source=f"complaint:{complaint.pk}")
        score, comment = rng.choice(CSAT)
        made.append(survey_answer(invitation=invitation, data={"score": score, "comment": comment}))
    orders = list(Order.objects.filter(status__in=COUNTED_STATUSES).select_related("customer").order_by("pk"))
    for order in rng.sample(orders, min(60, len(orders))):
        if order.customer.deleted_at is not None:
            continue
        invitation, _token = survey_invite(customer=order.customer, kind="csat", trigger=SurveyTrigger.PURCHASE, source=f"order:{order.pk}")
        if rng.random() < 0.8:  # some never answer
            score, comment = rng.choice(CSAT)
            made.append(survey_answer(invitation=invitation, data={"score": score, "comment": comment}))
    customers = list(Customer.objects.filter(deleted_at__isnull=True).select_related("owner").order_by("pk"))
    for customer in rng.sample(customers, min(50, len(customers))):
        score = rng.choice((10, 10, 9, 9, 9, 8, 8, 7, 6, 5, 3))
        band = "high" if score >= 9 else "mid" if score >= 7 else "low"
        made.append(survey_enter(by=customer.owner, customer=customer, kind="nps", data={"score": score, "comment": rng.choice(NPS_COMMENTS[band])}))
    for customer in rng.sample(customers, min(40, len(customers))):
        made.append(survey_enter(by=customer.owner, customer=customer, kind="spe", data=_spe_data(rng, customer.kind, rng.choice((-1, 0, 1, 1)))))
    for response in made:
        answered = now - dt.timedelta(days=rng.randint(0, 330), hours=rng.randint(0, 9))
        SurveyResponse.objects.filter(pk=response.pk).update(answered_at=answered, created_at=answered)
        if response.follow_up_id and (now - answered).days > 30:
            task = FollowUp.objects.select_related("assignee").get(pk=response.follow_up_id)
            followup_done(follow_up=task, by=task.assignee, outcome="已电话回访，客户表示理解，问题已跟进解决。")
    return len(made)


def _tasks(today: dt.date) -> None:
    """A few tasks for each rep: one due today, one overdue, two coming."""
    for rep in User.objects.filter(role=Role.SALES, is_demo=True).order_by("pk"):
        customers = list(Customer.objects.filter(owner=rep, deleted_at__isnull=True).order_by("-grade", "pk")[:4])
        for customer, (title, offset) in zip(customers, TASKS, strict=False):
            followup_open(customer=customer, title=title, due_on=today + dt.timedelta(days=offset), by=rep, assignee=rep)


def _depth_dates() -> None:
    """Date each depth move when its evidence happened: the first interaction, the order."""
    firsts = dict(Interaction.objects.values("customer_id").annotate(first=Min("occurred_at")).values_list("customer_id", "first"))
    for change in DepthChange.objects.filter(evidence=DepthEvidence.FIRST_INTERACTION).only("pk", "customer_id"):
        if change.customer_id in firsts:
            DepthChange.objects.filter(pk=change.pk).update(at=firsts[change.customer_id])
    ordered = dict(Order.objects.values_list("number", "ordered_on"))
    tz = timezone.get_current_timezone()
    purchases = (DepthEvidence.FIRST_PURCHASE, DepthEvidence.REPEAT_PURCHASE)
    for change in DepthChange.objects.filter(evidence__in=purchases).only("pk", "note"):
        day = ordered.get(change.note)
        if day:
            DepthChange.objects.filter(pk=change.pk).update(at=dt.datetime.combine(day, dt.time(15), tzinfo=tz))


WINBACK_BODY = (
    "{{honorific}}，您好！\n\n好久没有您的消息了，我们很想念您。为感谢您一直以来的支持，"
    "本月到店或线上下单可享老客户专属九折，滤芯更换免费上门。\n\n"
    "有任何问题，欢迎直接联系您的专属顾问{{owner_name}}（{{owner_phone}}）。\n\n满意智能科技"
)
FESTIVAL_SMS = "{{honorific}}，元旦快乐！新年保养季，会员积分兑换保养服务享八折，详询{{owner_name}} {{owner_phone}}。"


def _campaigns(rng: random.Random, now: dt.datetime, mail_dir: Path) -> int:
    """Templates; a win-back campaign to the team's customers at risk or
    slipping away, sent six weeks ago (its e-mails written to a file) with a
    held-back control group, some of whose customers came back to buy; and a
    festival SMS campaign waiting as a draft."""
    manager = User.objects.get(username="chenjing")
    # The team's direct lines, for the {{owner_phone}} merge field.
    for number, user in enumerate(User.objects.filter(is_demo=True).order_by("pk"), 1):
        User.objects.filter(pk=user.pk).update(phone=f"021-6288 {8800 + number}")
    winback = template_create(by=manager, data={"name": "老客户回访 · 九折", "channel": "email", "language": "zh-hans",
                                                "subject": "{{honorific}}，好久不见，送您一份老客户礼遇", "body": WINBACK_BODY})  # fmt: skip
    template_create(by=manager, data={"name": "We miss you", "channel": "email", "language": "en", "subject": "{{honorific}}, it has been a while",
                                      "body": "{{honorific}},\n\nIt has been a while. As a thank-you, your next order is 10% off.\n\n{{owner_name}}, {{owner_phone}}"})  # fmt: skip
    sms = template_create(by=manager, data={"name": "元旦问候短信", "channel": "sms", "language": "zh-hans", "body": FESTIVAL_SMS})
    campaign = campaign_create(by=manager, data={
        "name": "流失客户挽回 · 秋季", "kind": CampaignKind.WINBACK, "channel": "email", "template": winback,
        "audience": {"segments": ["at_risk", "cant_lose", "hibernating", "lost"]}, "control_share": 0.2,
        "throttle_limit": 10_000, "throttle_window": 60,
    })  # fmt: skip
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir)):
        campaign_launch(campaign=campaign, by=manager, public_url="http://127.0.0.1:8000/")
        campaign_send_run(campaign_id=campaign.pk)
    launched = now - dt.timedelta(days=42)
    Campaign.objects.filter(pk=campaign.pk).update(launched_at=launched, finished_at=launched + dt.timedelta(minutes=3), created_at=launched)
    Recipient.objects.filter(campaign=campaign, sent_at__isnull=False).update(sent_at=launched + dt.timedelta(minutes=2), claimed_at=launched)
    products = list(Product.objects.filter(active=True).order_by("pk")[:6])
    for recipient in Recipient.objects.filter(campaign=campaign, group__in=[Group.TREATMENT, Group.CONTROL]).select_related("customer__owner"):
        chance = 0.3 if recipient.group == Group.TREATMENT else 0.1
        if products and rng.random() < chance:
            day = (launched + dt.timedelta(days=rng.randint(3, 35))).date()
            order_create(by=recipient.customer.owner, customer=recipient.customer,
                         data={"ordered_on": day, "lines": [{"product": rng.choice(products), "quantity": 1}]})  # fmt: skip
    campaign_create(by=manager, data={
        "name": "元旦问候 · A/B类客户", "kind": CampaignKind.MARKETING, "channel": "sms", "template": sms,
        "audience": {"grades": ["A", "B"]}, "throttle_limit": 100, "throttle_window": 60,
    })  # fmt: skip
    return Campaign.objects.count()
