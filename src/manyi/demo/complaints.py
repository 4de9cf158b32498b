"""The demo's complaints: a few months of them at every step of the process,
so the queue, the SLA clocks and the dashboards have something to show. All
are written through the complaint services; only their times are moved back
afterwards, as if the team had handled them over the weeks."""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Min

from manyi.accounts.models import Role, User
from manyi.customers.models import Customer
from manyi.service import deadlines, services
from manyi.service.intake import complaint_link_create
from manyi.service.models import (
    Complaint,
    ComplaintEvent,
    FeedbackItem,
    SlaPolicy,
    Step,
)

# (subject, what the customer said, what they want, cause, department, solution)
CASES = {
    "b2c": (
        ("净水器漏水", "新装的净水器接头漏水，厨房地板都泡了，师傅装完就走了，太不负责任了！", "上门修好并赔偿地板损失", "work/quality", "service", "当天派师傅重新安装，赔偿地板清理费"),
        ("滤芯发错型号", "我买的是RO滤芯，寄来的却是PP棉，又要等好几天，真让人失望。", "尽快换成正确的滤芯", "product/handling", "logistics", "顺丰加急补发正确型号，附赠一支PP棉"),
        ("客服态度差", "打了三次客服电话，每次都让我等，最后一个还很不耐烦，什么态度！", "要一个说法", "service/attitude", "service", "主管致电道歉，客服组复训服务用语"),
        ("宣传与实际不符", "广告上说除菌率99.9%，检测报告却说只有90%，这是虚假宣传吧？", "退货退款", "advertising/misleading", "marketing", "提供第三方检测报告并同意无理由退货"),
        ("保养上门迟到", "约好上午十点上门保养，等到下午三点才来，一整天都耽误了。", "以后准时，补偿一次保养", "promise/broken", "operations", "赠送一次免费保养，调度系统增加超时提醒"),
        ("智能门锁失灵", "门锁用了两个月就打不开了，我在门外站了一个小时，太气人了！", "换新锁", "product/manufacturing", "production", "换新并检查同批次门锁的电机"),
    ),
    "b2b": (
        ("设备交付延误", "合同约定15号交货，到现在还没到，我们的产线已经停了两天，损失谁来负责？", "确定交期并赔偿停工损失", "delivery/late", "operations", "空运发货，按合同条款赔偿违约金"),
        ("报价前后不一", "签合同前报价是12万，现在又说要加安装费两万，这跟当初说的不一样。", "按原报价执行", "quote/dishonest", "sales", "按原报价执行，销售报价模板加入安装费一栏"),
        ("安装质量差", "设备安装后一直有异响，工程师说是地脚螺栓没有拧紧，这种低级错误也会犯？", "重新调试，出具整改报告", "work/quality", "service", "重新调试，提交整改报告，安装验收单加检查项"),
        ("对接人联系不上", "项目经理一周没有回消息，电话也打不通，我们的问题到底有没有人管？", "换一个能负责的对接人", "communication/insufficient", "sales", "指派新项目经理，约定每周例会"),
        ("发票开错", "发票抬头和税号都开错了，财务已经退回两次，月底就要结账了。", "三天内重开发票", "work/errors", "operations", "当天重开并快递，开票前增加复核"),
    ),
}
ANGRY = (
    "都过去两天了还没有人联系我！你们再拖下去我就去12315投诉！",
    "你们到底管不管？再不处理我就在网上曝光你们！",
    "又拖了一周，我们要走法律途径了，下一年也不会再续约。",
)
REPLIES = (
    "非常抱歉给您带来麻烦，我们已经安排专人跟进，明天上午十点前给您回复处理方案。",
    "感谢您的耐心，问题的原因已经查明，我们今天下午会把解决方案发给您确认。",
)


def load(*, rng: random.Random, now: dt.datetime, customers: list[tuple[Customer, str]]) -> int:
    """File and handle the demo complaints; returns how many."""
    SlaPolicy.objects.create(name="海尔星级服务标准", first_response_minutes=24 * 60, resolution_minutes=72 * 60, warn_before_minutes=240)
    SlaPolicy.objects.create(name="严重投诉", severity="critical", first_response_minutes=4 * 60, resolution_minutes=24 * 60, warn_before_minutes=60)
    unhappy = [c for c in customers if c[0].temperament in ("combative", "neurotic", "suspicious")]
    others = [c for c in customers if c not in unhappy]
    chosen = rng.sample(unhappy, min(len(unhappy), 18)) + rng.sample(others, min(len(others), 14))
    made = 0
    for index, (customer, audience) in enumerate(chosen):
        subject, text, wants, cause, department, solution = rng.choice(CASES[audience])
        age_days = [1, 2, 4, 9, 20, 35, 60, 90, 120][index % 9] + rng.random()
        received = now - dt.timedelta(days=age_days)
        severity = "critical" if index % 11 == 3 else ("high" if index % 4 == 0 else "normal")
        channel = rng.choice(["phone", "phone", "email", "web", "chat", "in_person"])
        complaint = services.complaint_create(
            by=None if channel in ("email", "web") else customer.owner,
            filing=services.Filing(customer=customer, channel=channel, subject=subject, description=text, wants="" if channel != "web" else wants,
                                   severity=severity, received_at=received, reporter_name=customer.name if channel == "web" else ""),
        )  # fmt: skip
        _handle(complaint, rng=rng, age_days=age_days, wants=wants, cause=cause, department=department, solution=solution, index=index)
        _spread_times(complaint, received=received, now=now, hours_apart=12 if index % 4 == 0 else 5)
        made += 1
    for customer, _audience in rng.sample(customers, 3):
        complaint_link_create(customer=customer, by=customer.owner)
    deadlines.sla_sweep(now=now)
    return made


def _handle(complaint: Complaint, *, rng: random.Random, age_days: float, wants: str, cause: str, department: str, solution: str, index: int) -> None:
    by = complaint.assignee or complaint.customer.owner
    manager = User.objects.filter(role=Role.MANAGER, team_id=complaint.team_id).first()
    if age_days < 1.5:
        if index % 3 == 0:
            services.complaint_message(complaint=complaint, text=rng.choice(ANGRY))
        return  # just received: the queue's top
    steps = [
        (Step.CONFIRMED, {"wants": wants}), (Step.CALMED, {}),
        (Step.ANALYSED, {"cause": cause, "responsibility": "ours", "severity": complaint.severity, "department": department}),
        (Step.PROPOSED, {"solution": solution}), (Step.AGREED, {}), (Step.CARRIED_OUT, {}),
    ]  # fmt: skip
    services.complaint_reply(complaint=complaint, by=by, text=rng.choice(REPLIES))
    if age_days < 3:
        services.complaint_step(complaint=complaint, by=by, step=Step.CONFIRMED, data={"wants": wants})
        if index % 2:
            services.complaint_message(complaint=complaint, text=rng.choice(ANGRY))
        return
    if age_days < 10:
        for step, data in steps[:4]:
            services.complaint_step(complaint=complaint, by=by, step=step, data=data)
        if index % 2:
            services.complaint_pause(complaint=complaint, by=by, reason="等客户确认上门时间")
        return
    for step, data in steps:
        services.complaint_step(complaint=complaint, by=by, step=step, data=data)
    recheck = "dissatisfied" if index % 10 == 7 else ("basically" if index % 5 == 1 else "satisfied")
    if index % 13 == 5 and manager:
        services.complaint_step(complaint=complaint, by=manager, step=Step.CLOSED, skip_reason="客户电话停机，无法回访", override_reason="客户电话停机，无法回访")
        return
    services.complaint_step(complaint=complaint, by=by, step=Step.RECHECKED, data={"recheck_result": recheck})
    item = services.feedback_create(complaint=complaint, by=by, department=department, summary=f"{solution}；请从源头改进，避免再次发生。", recipient=manager)
    if manager and age_days > 30:
        services.feedback_acknowledge(item=item, by=manager)
        if age_days > 50:
            services.feedback_close(item=item, by=manager, action_taken="已修订作业指导书并完成班组培训")
    services.complaint_step(complaint=complaint, by=by, step=Step.CLOSED, notes="已回访并向责任部门反馈")


def _spread_times(complaint: Complaint, *, received: dt.datetime, now: dt.datetime, hours_apart: float) -> None:
    """Move the complaint's events from "now" to hours after it was received,
    at most `hours_apart` apart (most closed in time, some late), in their
    order, and the times the complaint keeps with them."""
    events = list(ComplaintEvent.objects.filter(complaint=complaint).order_by("at", "id"))
    span = (now - received).total_seconds()
    step = min(span / (len(events) + 1), hours_apart * 3600)
    times = {}
    for n, event in enumerate(events):
        moment = received if n == 0 else received + dt.timedelta(seconds=step * n)
        times[event.pk] = moment
        ComplaintEvent.objects.filter(pk=event.pk).update(at=moment)
        if event.interaction_id:
            from manyi.interactions.models import EmotionReading, Interaction

            Interaction.objects.filter(pk=event.interaction_id).update(occurred_at=moment)
            EmotionReading.objects.filter(interaction_id=event.interaction_id).update(occurred_at=moment)
    complaint.refresh_from_db()
    first = ComplaintEvent.objects.filter(complaint=complaint).exclude(kind="step", step=Step.RECEIVED).exclude(kind="message").aggregate(t=Min("at"))["t"]
    changes = {"responded_at": first if complaint.responded_at else None}
    closing = ComplaintEvent.objects.filter(complaint=complaint, kind="step", step=Step.CLOSED).values_list("at", flat=True).first()
    if closing:
        changes["closed_at"] = closing
        FeedbackItem.objects.filter(complaint=complaint).update(created_at=closing - dt.timedelta(hours=1))
    paused = ComplaintEvent.objects.filter(complaint=complaint, kind="paused").values_list("at", flat=True).first()
    if paused and complaint.paused_at:
        changes["paused_at"] = paused
    Complaint.objects.filter(pk=complaint.pk).update(**changes)
    complaint.refresh_from_db()
    deadlines.set_deadlines(complaint)
    Complaint.objects.filter(pk=complaint.pk).update(response_due=complaint.response_due, resolution_due=complaint.resolution_due)
