"""The nine-step process: each step an event, no silent skips, closing needs a
recheck and a feedback item (or a manager's recorded override)."""

import pytest
from django.utils import translation

from manyi.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from manyi.service import services
from manyi.service.models import (
    ComplaintEvent,
    EventKind,
    FeedbackStatus,
    Notification,
    Step,
)
from tests.service.helpers import close_properly, file_complaint


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_filing_records_received_reads_emotion_and_stores_deadlines(customer, rep):
    complaint = file_complaint(customer, by=rep, description="你们的净水器漏水三次了，太气人了！再不解决我就投诉到消协！")
    assert complaint.number.startswith("TS") and complaint.status == Step.RECEIVED
    first = complaint.events.get()
    assert first.kind == EventKind.STEP and first.step == Step.RECEIVED and first.by == rep
    assert first.interaction.emotion.escalation == complaint.escalation == "high"
    assert complaint.risk > 30
    # default policy: 24 calendar hours to first response
    assert (complaint.response_due - complaint.received_at).total_seconds() == 24 * 3600
    assert complaint.sla["mode"] == "calendar"


def test_public_filing_notifies_the_assignee(customer, rep):
    complaint = file_complaint(customer, by=None)
    assert complaint.assignee == rep
    assert Notification.objects.filter(user=rep, kind="assigned", complaint=complaint).count() == 1


def test_steps_go_in_order_and_skipping_needs_a_reason(customer, agent, rep):
    complaint = file_complaint(customer, by=rep)
    with pytest.raises(ApplicationError) as exc:
        services.complaint_step(complaint=complaint, by=rep, step=Step.ANALYSED, data={"cause": "product/manufacturing"})
    assert exc.value.code == "step_skipped" and "Confirmed" in exc.value.message
    services.complaint_step(complaint=complaint, by=rep, step=Step.CONFIRMED, data={"wants": "换一台新的"})
    services.complaint_step(
        complaint=complaint, by=rep, step=Step.ANALYSED, skip_reason="客户在电话里已经平静",
        data={"cause": "product/manufacturing", "responsibility": "ours", "severity": "high", "department": "production"},
    )
    steps = list(complaint.events.filter(kind=EventKind.STEP).values_list("step", "data"))
    assert [s for s, _d in steps] == [Step.RECEIVED, Step.CONFIRMED, Step.CALMED, Step.ANALYSED]
    assert steps[2][1] == {"skipped": True}
    complaint.refresh_from_db()
    assert complaint.cause == "product/manufacturing" and complaint.department == "production"


def test_a_step_checks_its_fields(customer, rep):
    complaint = file_complaint(customer, by=rep)
    services.complaint_step(complaint=complaint, by=rep, step=Step.CONFIRMED, data={"wants": "退款"})
    services.complaint_step(complaint=complaint, by=rep, step=Step.CALMED)
    with pytest.raises(ValidationFailed) as exc:
        services.complaint_step(complaint=complaint, by=rep, step=Step.ANALYSED, data={"cause": "nonsense", "responsibility": "", "department": "x"})
    assert set(exc.value.fields) == {"cause", "responsibility", "department"}


def test_closing_needs_recheck_and_feedback(customer, rep, manager):
    complaint = file_complaint(customer, by=rep)
    for step, data in [
        (Step.CONFIRMED, {"wants": "换货"}), (Step.CALMED, {}),
        (Step.ANALYSED, {"cause": "product/manufacturing", "responsibility": "ours", "severity": "normal", "department": "production"}),
        (Step.PROPOSED, {"solution": "上门换新", "compensation": "赠送滤芯", "compensation_amount": "239.5"}),
        (Step.AGREED, {}), (Step.CARRIED_OUT, {}),
    ]:  # fmt: skip
        services.complaint_step(complaint=complaint, by=rep, step=step, data=data)
    with pytest.raises(ApplicationError) as exc:
        services.complaint_step(complaint=complaint, by=rep, step=Step.CLOSED, skip_reason="忙")
    assert exc.value.code == "close_refused"
    assert "recheck" in exc.value.message and "feedback item" in exc.value.message
    # a rep may not override; a manager may, and it is recorded
    with pytest.raises(PermissionDenied):
        services.complaint_step(complaint=complaint, by=rep, step=Step.CLOSED, skip_reason="忙", override_reason="客户联系不上")
    services.complaint_step(complaint=complaint, by=manager, step=Step.CLOSED, skip_reason="客户联系不上", override_reason="客户联系不上")
    override = complaint.events.get(kind=EventKind.OVERRIDE)
    assert override.by == manager and len(override.data["missing"]) == 2


def test_the_proper_close_and_reopen(customer, rep, manager):
    complaint = close_properly(file_complaint(customer, by=rep), by=rep, recipient=manager)
    assert complaint.status == Step.CLOSED and complaint.closed_at and complaint.risk == 0
    item = complaint.feedback_items.get()
    services.feedback_acknowledge(item=item, by=manager)
    services.feedback_close(item=item, by=manager, action_taken="改进了密封圈的来料检验")
    item.refresh_from_db()
    assert item.status == FeedbackStatus.CLOSED and item.action_taken
    services.complaint_reopen(complaint=complaint, by=rep, reason="又漏水了")
    complaint.refresh_from_db()
    assert complaint.status == Step.ANALYSED and complaint.closed_at is None
    # the earlier recheck does not count after reopening
    for step, data in [(Step.PROPOSED, {"solution": "整机退货"}), (Step.AGREED, {}), (Step.CARRIED_OUT, {})]:
        services.complaint_step(complaint=complaint, by=rep, step=step, data=data)
    with pytest.raises(ApplicationError) as exc:
        services.complaint_step(complaint=complaint, by=rep, step=Step.CLOSED, skip_reason="x")
    assert "recheck" in exc.value.message and "feedback" not in exc.value.message


def test_events_are_append_only(customer, rep):
    event = file_complaint(customer, by=rep).events.get()
    event.notes = "changed"
    with pytest.raises(ValueError):
        event.save()
    assert ComplaintEvent.objects.get(pk=event.pk).notes != "changed"


def test_reply_checker_stops_a_forbidden_phrase_until_confirmed(customer, rep):
    complaint = file_complaint(customer, by=rep)
    with pytest.raises(services.ReplyFlagged) as exc:
        services.complaint_reply(complaint=complaint, by=rep, text="这是我们公司的规定，没办法。")
    assert exc.value.review["findings"] and exc.value.review["findings"][0]["better"]
    assert not complaint.events.filter(kind=EventKind.REPLY).exists()
    event = services.complaint_reply(complaint=complaint, by=rep, text="这是我们公司的规定，没办法。", confirm=True)
    assert event.data["confirmed"] is True and event.data["flagged"][0]["text"]
    complaint.refresh_from_db()
    assert complaint.responded_at == event.at


def test_an_angry_follow_up_raises_the_risk(customer, rep):
    complaint = file_complaint(customer, by=None, description="净水器的滤芯好像有点问题，麻烦看一下。")
    before = complaint.risk
    services.complaint_message(complaint=complaint, text="三天了没人理我！你们这是什么态度？！我要去12315投诉，还要在网上曝光你们！")
    complaint.refresh_from_db()
    assert complaint.escalation == "high" and complaint.risk > before
    assert Notification.objects.filter(user=rep, kind="replied").exists()


def test_escalation_goes_to_the_manager_with_the_reason(customer, rep, manager):
    complaint = file_complaint(customer, by=rep)
    services.complaint_escalate(complaint=complaint, by=rep, reason="客户要求赔偿超出我的权限")
    note = Notification.objects.get(user=manager, kind="escalated")
    assert "超出我的权限" in note.text
    with pytest.raises(ValidationFailed):
        services.complaint_escalate(complaint=complaint, by=rep, reason="  ")


def test_outsider_and_analyst_cannot_handle(customer, rep, outsider, analyst):
    complaint = file_complaint(customer, by=rep)
    for person in (outsider, analyst):
        with pytest.raises(PermissionDenied):
            services.complaint_step(complaint=complaint, by=person, step=Step.CONFIRMED, data={"wants": "x"})


def test_script_in_text_is_not_stored(customer, rep):
    complaint = file_complaint(customer, by=rep, subject="<b>坏了</b>", description="<script>alert(1)</script>滤芯漏水")
    assert "<" not in complaint.subject + complaint.description
    assert complaint.description == "alert(1)滤芯漏水"
