"""The demo's sales work: where each customer is (for visit routes), each
team's sales settings, and deals at every stage of the pipeline — a few won,
a few lost with their reasons, some without a next step or stuck in their
stage. Deals are written through the deal services; only their times are
moved back afterwards, as if the reps had worked them over the months."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from manyi.accounts.models import Role, User
from manyi.analytics.models import Product
from manyi.customers.models import Customer
from manyi.interactions.models import Interaction
from manyi.sales.models import Deal, DealEvent, DealStatus, PlannedVisit, Quote
from manyi.sales.services import deals as services
from manyi.sales.services import quotes as quote_services
from manyi.sales.services.visits import visit_check_in, visit_plan_make

# City centres (WGS-84), and the team offices the routes start from.
CENTRES = {
    "上海": (31.2304, 121.4737), "杭州": (30.2741, 120.1551), "宁波": (29.8683, 121.5440), "南京": (32.0603, 118.7969),
    "苏州": (31.2989, 120.5853), "合肥": (31.8206, 117.2272), "广州": (23.1291, 113.2644), "深圳": (22.5431, 114.0579),
    "东莞": (23.0207, 113.7518), "佛山": (23.0215, 113.1214), "厦门": (24.4798, 118.0894), "福州": (26.0745, 119.2965),
}  # fmt: skip
OFFICES = {"华东销售一组": ("上海", "上海市徐汇区漕溪北路88号"), "华南销售二组": ("广州", "广州市天河区天河路385号")}

TITLES = {
    "b2b": ("G200网关批量部署", "工厂能耗管理平台", "产线智能温控改造", "设备年度维保合同", "数据采集终端扩容", "操作培训与巡检服务"),
    "b2c": ("家用净水器换新", "空气净化器", "智能门锁升级", "扫地机器人", "会员年卡续费"),
}
NEXT_STEPS = ("送样品试用", "约采购部演示方案", "发正式报价", "请技术部上门勘察", "约总经理见面", "跟进合同条款")
HEAT_REASONS = {
    "hot": ("采购部已要求正式报价", "预算已批，月底前要定"),
    "warm": ("对方案有兴趣，还在比较", "老板认可，采购还没表态"),
    "cold": ("只是了解一下", "今年没有预算"),
}
VISIT_NOTES = ("客户反馈设备运行稳定", "采购经理换人了，重新介绍了方案", "看了新产品样册，有兴趣", "提了两个售后问题，已记录", "约好下次带工程师来")
COMPETITORS = ("美的", "海尔", "沁园", "3M", "安吉尔")
# (stage, heat) of the open deals, from outside the wall inwards.
OPEN_MIX = (("prospect", "cold"), ("prospect", "warm"), ("developing", "warm"), ("developing", "cold"), ("negotiating", "hot"),
            ("negotiating", "warm"), ("first_purchase", "hot"), ("existing", "warm"), ("key", "hot"))  # fmt: skip
LOST = (("price", "对手报价低15%"), ("competitor", "选了老供应商"), ("timing", "预算推到明年"), ("product", "需要商用大流量机型"))


def place_customers(*, rng: random.Random) -> int:
    """Put every customer near their city's centre (within about 15 km)."""
    placed = 0
    for pk, city in Customer.objects.values_list("pk", "city"):
        centre = CENTRES.get(city)
        if centre is None:
            continue
        lat, lon = centre[0] + rng.uniform(-0.13, 0.13), centre[1] + rng.uniform(-0.15, 0.15)
        Customer.objects.filter(pk=pk).update(latitude=round(lat, 6), longitude=round(lon, 6))
        placed += 1
    return placed


def team_settings() -> None:
    for manager in User.objects.filter(role=Role.MANAGER, team__isnull=False).select_related("team"):
        city, address = OFFICES.get(manager.team.name, ("上海", ""))
        lat, lon = CENTRES[city]
        services.sales_settings_save(by=manager, team_id=manager.team_id, data={
            "base_latitude": lat, "base_longitude": lon, "company_name": "满意智能科技有限公司",
            "company_details": f"{address}\n电话 400-800-6688 · 开户行 招商银行上海分行 1219 0868 8810 001",
        })  # fmt: skip


def load(*, rng: random.Random, now: dt.datetime, customers: list[tuple[Customer, str]]) -> int:
    """Open the demo deals; returns how many."""
    team_settings()
    reps = [c for c in customers if c[0].owner.role == Role.SALES]
    chosen = rng.sample(reps, min(len(reps), 48))
    made = 0
    for index, (customer, audience) in enumerate(chosen):
        owner = customer.owner
        stage, heat = OPEN_MIX[index % len(OPEN_MIX)]
        amount = Decimal(rng.randrange(20, 600) * 1000 if audience == "b2b" else rng.randrange(3, 40) * 500)
        close = (now + dt.timedelta(days=rng.randint(-10, 150))).date()
        data = {
            "title": rng.choice(TITLES[audience]), "amount": amount, "expected_close": close, "stage": stage, "heat": heat,
            "heat_reason": rng.choice(HEAT_REASONS[heat]), "competitors": "、".join(rng.sample(COMPETITORS, rng.randint(0, 2))),
        }  # fmt: skip
        if index % 5:  # one in five has no next step: the list flags them
            data.update(next_step=rng.choice(NEXT_STEPS), next_step_on=(now + dt.timedelta(days=rng.randint(-3, 14))).date())
        deal = services.deal_create(by=owner, customer=customer, data=data)
        if index % 8 == 6:
            services.deal_win(by=owner, deal=deal, note="合同已签")
        elif index % 8 == 7:
            reason, note = LOST[(index // 8) % len(LOST)]
            services.deal_lose(by=owner, deal=deal, reason=reason, note=note)
        _backdate(deal, now=now, days=rng.randint(3, 70))
        made += 1
    return made


# (part, SKU, quantity) of a project quote, and the people it takes.
QUOTE_LINES = (("设备", "IG-G200", 4), ("设备", "IG-D30", 12), ("软件", "SW-EMS", 1), ("服务", "SV-TRAIN", 2), ("服务", "SV-MAINT", 1))
WORKLOAD = ({"role": "实施工程师", "people": 2, "days": 5}, {"role": "项目经理", "people": 1, "days": 3})
# (discount %, what the customer gives in return, then: submit, send, accept or leave as a draft)
QUOTE_PLANS = ((15, "客户签三年维保合同，预付首年费用", "submit"), (5, "本月内签约并预付30%", "send"), (0, "", "accept"), (8, "同意作为案例客户接待参观", "draft"))


def quotes(*, rng: random.Random, now: dt.datetime) -> int:
    """Quotes on the b2b deals being negotiated: one awaiting the manager's
    approval, one sent, one accepted (an order), one draft."""
    products = {p.sku: p for p in Product.objects.filter(sku__in=[sku for _part, sku, _n in QUOTE_LINES])}
    deals = Deal.objects.filter(status=DealStatus.OPEN, stage__key__in=["negotiating", "first_purchase"], customer__kind="enterprise").select_related("owner", "customer")
    made = 0
    for deal, (discount, condition, then) in zip(deals.order_by("id"), QUOTE_PLANS, strict=False):
        lines = [{"part": part, "description": products[sku].name, "product": products[sku].pk, "quantity": n, "unit": "套",
                  "unit_price": products[sku].unit_price} for part, sku, n in QUOTE_LINES if sku in products]  # fmt: skip
        subtotal = sum(line["unit_price"] * line["quantity"] for line in lines)
        quote = quote_services.quote_create(by=deal.owner, customer=deal.customer, deal=deal, data={
            "lines": lines, "workload": list(WORKLOAD), "market_reference": (subtotal * Decimal("1.12")).quantize(Decimal("1")),
            "market_reference_note": "同类厂商三家报价的中位数", "difficulty": rng.choice(["medium", "high"]),
            "difficulty_note": "老厂房布线复杂，需停产窗口施工", "quality_note": "工业级网关，五年质保，7×24小时远程运维",
            "discount_percent": discount, "discount_condition": condition, "valid_until": (now + dt.timedelta(days=30)).date(),
        })  # fmt: skip
        if then == "submit":
            quote_services.quote_submit(by=deal.owner, quote=quote)
        elif then == "send":
            quote_services.quote_send(by=deal.owner, quote=quote)
        elif then == "accept":
            quote_services.quote_send(by=deal.owner, quote=quote)
            quote_services.quote_accept(by=deal.owner, quote=Quote.objects.get(pk=quote.pk))
        made += 1
    return made


def visit_plans(*, rng: random.Random, now: dt.datetime) -> int:
    """Each rep's plan for this week (made on its Monday, about three visits
    in four of the days gone by checked in) and for the next week."""
    today = timezone.localdate(now)
    monday = today - dt.timedelta(days=today.weekday())
    planned = 0
    for rep in User.objects.filter(role=Role.SALES, is_active=True):
        for week in (monday, monday + dt.timedelta(days=7)):
            plan = visit_plan_make(by=rep, rep=rep, monday=week, today=min(week, today))
            planned += sum(len(day.stops) for day in plan.days)
        for visit in PlannedVisit.objects.filter(rep=rep, day__lt=today, day__gte=monday).select_related("customer"):
            if rng.random() < 0.75:
                interaction = visit_check_in(by=rep, visit=visit, note=rng.choice(VISIT_NOTES), outcome=rng.choice(NEXT_STEPS))
                at = timezone.make_aware(dt.datetime.combine(visit.day, visit.arrive_at or dt.time(10)))
                Interaction.objects.filter(pk=interaction.pk).update(occurred_at=at)
                PlannedVisit.objects.filter(pk=visit.pk).update(checked_in_at=at)
    return planned


def _backdate(deal: Deal, *, now: dt.datetime, days: int) -> None:
    """As if opened `days` ago and moved into its stage halfway since; closed ones closed a few days ago."""
    opened = now - dt.timedelta(days=days)
    entered = now - dt.timedelta(days=days // 2)
    Deal.objects.filter(pk=deal.pk).update(created_at=opened, stage_entered_at=entered)
    if deal.closed_on:
        Deal.objects.filter(pk=deal.pk).update(closed_on=(now - dt.timedelta(days=days // 3)).date())
    events = list(DealEvent.objects.filter(deal=deal).order_by("id"))
    for i, event in enumerate(events):
        DealEvent.objects.filter(pk=event.pk).update(at=opened if i == 0 else now - dt.timedelta(days=days // 3))
