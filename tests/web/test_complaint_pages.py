"""The complaint pages: the queue and its filters, recording a complaint
(with files), a complaint's page with its nine steps, the reply checker, the
SLA clock, feedback items and the actions, and file downloads. An outsider
sees nothing (404 everywhere); an analyst reads but may do nothing (403)."""

import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from manyi.core.errors import ValidationFailed
from manyi.interactions.models import Interaction
from manyi.service import selectors, services
from manyi.service.models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    EventKind,
    FeedbackItem,
    Step,
)
from manyi.service.uploads import Upload
from manyi.web.views.complaints import duration, marked_reply
from tests.factories import ContactFactory, CustomerFactory
from tests.service.helpers import PROCESS, close_properly, file_complaint

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
ANGRY = "你们这是什么破产品！漏水把地板都泡坏了，我非常生气！必须退款，不然我就去消费者协会投诉！"
FORBIDDEN = "这是我们公司的规定，不可能给您退款。"


def url(name, *args):
    return reverse(f"web:{name}", args=args)


def upload(name, data, content_type="application/octet-stream"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def complaint(customer, rep):
    return file_complaint(customer, by=rep, subject="净水器漏水", description=ANGRY, files=(Upload("漏水.png", PNG),))


def walk_to(complaint, by, last):
    """Record the steps of the process up to `last` through the services."""
    for step, data in PROCESS:
        services.complaint_step(complaint=complaint, by=by, step=step, data=data)
        if step == last:
            return


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_lists_the_reps_complaints_riskiest_first(as_user, rep, customer, enterprise):
    calm = file_complaint(enterprise, by=rep, subject="发票抬头开错", description="发票抬头开错了，麻烦重开一张。", severity="low")
    angry = file_complaint(customer, by=rep, subject="净水器漏水", description=ANGRY, severity="high")
    page = as_user(rep).get(url("complaint_list")).content.decode()
    assert "2 complaints" in page
    assert page.index(angry.number) < page.index(calm.number)
    assert "1/9" in page and url("customer_detail", customer.pk) in page and url("complaint_detail", angry.pk) in page
    assert "High risk" in page and "left" in page


def test_filters_and_sorts(as_user, rep, agent, manager, customer, enterprise):
    old = file_complaint(enterprise, by=rep, subject="安装师傅迟到", description="师傅迟到两小时，很失望。", channel="email", severity="low")
    new = file_complaint(customer, by=rep, subject="净水器漏水", description=ANGRY, severity="critical")
    close_properly(old, by=rep)
    client = as_user(rep)

    def numbers(**params):
        page = client.get(url("complaint_list"), params).content.decode()
        return re.findall(r"TS\d{8}-\d{5}", page)

    assert set(numbers()) == {new.number}  # open ones by default
    assert set(numbers(status="closed")) == {old.number}
    assert set(numbers(status="all")) == {old.number, new.number}
    assert set(numbers(status="received")) == {new.number}
    assert set(numbers(status="all", severity="normal")) == {old.number}  # analysed as normal
    assert set(numbers(status="all", severity="critical")) == {new.number}
    assert set(numbers(status="all", channel="email")) == {old.number}
    assert set(numbers(status="all", q="漏水")) == {new.number}
    assert set(numbers(status="all", q=new.number)) == {new.number}
    assert set(numbers(status="all", mine="on")) == {old.number, new.number}
    services.complaint_assign(complaint=new, by=manager, assignee=agent)
    assert set(numbers(status="all", mine="on")) == {old.number}
    oldest = numbers(status="all", sort="oldest")
    assert oldest.index(old.number) < oldest.index(new.number)
    newest = numbers(status="all", sort="newest")
    assert newest.index(new.number) < newest.index(old.number)
    assert set(numbers(escalated="on")) == set() and set(numbers(breached="on")) == set()
    services.complaint_escalate(complaint=new, by=rep, reason="客户要求赔偿，超出权限")
    assert set(numbers(escalated="on")) == {new.number}
    # A filter that matches nothing says so, with a way back.
    page = client.get(url("complaint_list"), {"q": "没有这种投诉"}).content.decode()
    assert "No complaint matches these filters." in page and "Clear the filters" in page
    # A bad value is ignored, not an error.
    assert client.get(url("complaint_list"), {"status": "nonsense", "sort": "x", "severity": "?"}).status_code == 200


def test_the_queue_for_one_customer_and_htmx(as_user, rep, customer, enterprise):
    mine = file_complaint(customer, by=rep)
    other = file_complaint(enterprise, by=rep)
    client = as_user(rep)
    page = client.get(url("complaint_list"), {"customer": customer.pk}).content.decode()
    assert mine.number in page and other.number not in page and f"Complaints of {customer.name}" in page
    fragment = client.get(url("complaint_list"), {"q": "漏水"}, headers={"HX-Request": "true"}).content.decode()
    assert mine.number in fragment and "<html" not in fragment


def test_an_empty_queue_invites_to_record_one(as_user, rep):
    page = as_user(rep).get(url("complaint_list")).content.decode()
    assert "No open complaints." in page and url("complaint_new") in page


def test_paused_and_breached_clocks_show_in_the_queue(as_user, rep, customer):
    complaint = file_complaint(customer, by=rep)
    services.complaint_pause(complaint=complaint, by=rep, reason="等客户发照片")
    page = as_user(rep).get(url("complaint_list")).content.decode()
    assert "Waiting for the customer" in page and "badge text-bg-secondary" in page


# --- who sees what --------------------------------------------------------------------------


ACTIONS = [
    ("complaint_step", {"step": "confirmed", "wants": "退款"}),
    ("complaint_reply", {"text": "非常抱歉"}),
    ("complaint_reply_check", {"text": "非常抱歉"}),
    ("complaint_message", {"text": "还没人联系我"}),
    ("complaint_note", {"text": "内部备注"}),
    ("complaint_pause", {"reason": "等客户"}),
    ("complaint_resume", {}),
    ("complaint_escalate", {"reason": "超出权限"}),
    ("complaint_reopen", {"reason": "客户又来电"}),
    ("complaint_assign", {"assignee": "1"}),
    ("complaint_feedback_new", {"department": "production", "summary": "改进"}),
]


def test_the_outsider_sees_nothing(as_user, outsider, rep, complaint):
    client = as_user(outsider)
    page = client.get(url("complaint_list"), {"status": "all"}).content.decode()
    assert complaint.number not in page and "0 complaints" in page
    assert client.get(url("complaint_detail", complaint.pk)).status_code == 404
    assert client.get(url("complaint_step", complaint.pk)).status_code == 404
    attachment = Attachment.objects.get(complaint=complaint)
    assert client.get(url("complaint_attachment", attachment.pk)).status_code == 404
    for name, data in ACTIONS:
        assert client.post(url(name, complaint.pk), data).status_code == 404, name
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == 1
    item = services.feedback_create(complaint=complaint, by=rep, department="production", summary="密封圈来料检验")
    assert client.post(url("complaint_feedback_acknowledge", item.pk)).status_code == 404
    assert client.post(url("complaint_feedback_close", item.pk), {"action_taken": "x"}).status_code == 404
    assert FeedbackItem.objects.get().status == "open"
    # The customer search of the new-complaint page offers none of the rep's customers.
    options = client.get(url("complaint_customer_options"), {"customer_q": "张三"}).content.decode()
    assert "张三" not in options
    assert "张三" not in client.get(url("complaint_new"), {"customer": complaint.customer_id}).content.decode()


def test_the_analyst_reads_but_may_not_act(as_user, analyst, rep, complaint):
    client = as_user(analyst)
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert complaint.subject in page
    assert url("complaint_reply", complaint.pk) not in page and url("complaint_step", complaint.pk) not in page
    assert url("complaint_note", complaint.pk) not in page and url("complaint_feedback_new", complaint.pk) not in page
    assert client.get(url("complaint_new")).status_code == 403
    assert client.get(url("complaint_step", complaint.pk)).status_code == 403
    for name, data in ACTIONS:
        assert client.post(url(name, complaint.pk), data).status_code == 403, name
    item = services.feedback_create(complaint=complaint, by=rep, department="production", summary="密封圈来料检验")
    assert client.post(url("complaint_feedback_acknowledge", item.pk)).status_code == 403
    assert ComplaintEvent.objects.filter(complaint=complaint).exclude(kind=EventKind.FEEDBACK).count() == 1
    # The analyst may read the files of the team's complaints.
    attachment = Attachment.objects.get(complaint=complaint)
    assert client.get(url("complaint_attachment", attachment.pk)).status_code == 200


def test_a_rep_may_not_assign_or_answer_feedback(as_user, rep, agent, complaint):
    client = as_user(rep)
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert url("complaint_assign", complaint.pk) not in page
    assert client.post(url("complaint_assign", complaint.pk), {"assignee": agent.pk}).status_code == 403
    item = services.feedback_create(complaint=complaint, by=rep, department="production", summary="密封圈来料检验")
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert url("complaint_feedback_acknowledge", item.pk) not in page
    assert client.post(url("complaint_feedback_acknowledge", item.pk)).status_code == 403


# --- recording a complaint ---------------------------------------------------------------------


def test_a_rep_records_a_phone_complaint_with_a_photo(as_user, rep, customer, settings):
    contact = ContactFactory(customer=customer, name="张三丰")
    client = as_user(rep)
    page = client.get(url("complaint_new"), {"customer": customer.pk}).content.decode()
    assert f'<option value="{customer.pk}" selected>' in page and "张三丰" in page
    data = {
        "customer": customer.pk, "contact": contact.pk, "channel": "phone", "severity": "high", "subject": "净水器漏水",
        "description": ANGRY, "wants": "退款", "files": [upload("漏水.png", PNG, "image/png"), upload("说明.txt", "水从接口处漏出".encode())],
    }  # fmt: skip
    response = client.post(url("complaint_new"), data)
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == url("complaint_detail", complaint.pk)
    assert (complaint.customer, complaint.contact, complaint.channel, complaint.severity, complaint.wants) == (customer, contact, "phone", "high", "退款")
    assert complaint.escalation == "high"
    files = list(Attachment.objects.filter(complaint=complaint).order_by("name"))
    assert [(a.name, a.content_type) for a in files] == [("漏水.png", "image/png"), ("说明.txt", "text/plain")]
    page = client.get(response["Location"]).content.decode()
    assert f"Complaint {complaint.number} recorded." in page
    assert url("complaint_attachment", files[0].pk) in page and "漏水.png" in page


def test_the_customer_search_and_contacts_load_in_place(as_user, rep, customer, enterprise):
    ContactFactory(customer=enterprise, name="李经理")
    client = as_user(rep)
    options = client.get(url("complaint_customer_options"), {"customer_q": "华为"}, headers={"HX-Request": "true"}).content.decode()
    assert enterprise.name in options and customer.name not in options
    contacts = client.get(url("complaint_contact_options"), {"customer": enterprise.pk}).content.decode()
    assert "李经理" in contacts
    # Without a script the search reloads the page with the matches.
    page = client.get(url("complaint_new"), {"customer_q": "华为"}).content.decode()
    assert enterprise.name in page and f'<option value="{customer.pk}"' not in page


def test_missing_fields_are_shown_next_to_them(as_user, rep, customer):
    response = as_user(rep).post(url("complaint_new"), {"customer": customer.pk, "channel": "phone", "severity": "normal", "subject": "", "description": ""})
    page = response.content.decode()
    assert response.status_code == 200 and not Complaint.objects.exists()
    assert "Please correct the fields marked below." in page and page.count("This field is required.") == 2


def test_a_customer_the_user_cannot_see_is_refused(as_user, outsider, customer):
    page = as_user(outsider).post(url("complaint_new"), {"customer": customer.pk, "channel": "phone", "severity": "normal", "subject": "x", "description": "y"}).content.decode()
    assert "Choose a customer from the list." in page and not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("病毒.png", EXE, "病毒.png is not an image, a PDF or a plain-text file."),
        ("大图.png", PNG + b"\x00" * (6 * 1024 * 1024), "大图.png is larger than 5 MB."),
    ],
)
def test_a_bad_upload_is_refused_and_nothing_is_stored(as_user, rep, customer, settings, name, data, message):
    client = as_user(rep)
    post = {"customer": customer.pk, "channel": "phone", "severity": "normal", "subject": "漏水", "description": ANGRY, "files": upload(name, data, "image/png")}
    response = client.post(url("complaint_new"), post)
    page = response.content.decode()
    assert response.status_code == 200 and message in page and "choose the attachments again" in page
    assert not Complaint.objects.exists() and not Attachment.objects.exists() and not Interaction.objects.exists()
    assert not settings.MANYI_ATTACHMENT_DIR.exists() or not any(settings.MANYI_ATTACHMENT_DIR.rglob("*.*"))
    # The same file as a note on a complaint: refused, no note.
    complaint = file_complaint(customer, by=rep)
    response = client.post(url("complaint_note", complaint.pk), {"text": "客户发来的照片", "files": upload(name, data, "image/png")})
    assert response.status_code == 200 and message in response.content.decode()
    assert not complaint.events.filter(kind=EventKind.NOTE).exists() and not Attachment.objects.exists()


# --- the nine steps ------------------------------------------------------------------------


def test_the_whole_process_through_the_step_forms(as_user, rep, complaint):
    client = as_user(rep)
    steps = [
        ("confirmed", {"wants": "换一台新的，赔偿地板"}),
        ("calmed", {"notes": "客户情绪已平复"}),
        ("analysed", {"cause": "product/manufacturing", "responsibility": "ours", "severity": "high", "department": "production"}),
        ("proposed", {"solution": "上门换新机，赔偿地板清洁费", "compensation": "地板清洁费", "compensation_amount": "¥1,200.50"}),
        ("agreed", {}),
        ("carried_out", {}),
        ("rechecked", {"recheck_result": "satisfied"}),
    ]
    for step, data in steps:
        form = client.get(url("complaint_step", complaint.pk), {"step": step}, headers={"HX-Request": "true"}).content.decode()
        for name in data:
            if name != "notes":
                assert f'name="{name}"' in form, (step, name)
        response = client.post(url("complaint_step", complaint.pk), {"step": step, **data})
        assert response.status_code == 302, (step, response.content.decode()[:2000])
        complaint.refresh_from_db()
        assert complaint.status == step
    assert (complaint.cause, complaint.department, str(complaint.compensation_amount), complaint.recheck_result) == ("product/manufacturing", "production", "1200.50", "satisfied")
    response = client.post(url("complaint_feedback_new", complaint.pk), {"department": "production", "summary": "密封圈批次不良，来料检验加严"})
    assert response.status_code == 302
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert "Ready to close" in page and 'name="override_reason"' not in page  # closing is the next step
    form = client.get(url("complaint_step", complaint.pk), {"step": "closed"}, headers={"HX-Request": "true"}).content.decode()
    assert "Ready to close: rechecked with the customer and fed back to the department." in form
    response = client.post(url("complaint_step", complaint.pk), {"step": "closed", "notes": "已总结"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.is_closed
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert "Step “Reviewed and fed back” recorded." in page and "9/9" in page
    assert url("complaint_reopen", complaint.pk) in page and 'action="' + url("complaint_step", complaint.pk) not in page
    assert "¥1,200.50" in page and "Product · Manufacturing quality" in page


def test_the_step_form_shows_what_the_step_needs(as_user, rep, complaint):
    client = as_user(rep)
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert 'name="wants"' in page and "2. Confirmed" in page
    form = client.get(url("complaint_step", complaint.pk), {"step": "analysed"}, headers={"HX-Request": "true"}).content.decode()
    assert "<optgroup" in form and 'value="product/manufacturing"' in form and 'name="department"' in form
    assert 'name="skip_reason"' in form and "<html" not in form
    # Without a script, the page itself comes back with that step's fields.
    page = client.get(url("complaint_step", complaint.pk), {"step": "proposed"}).content.decode()
    assert 'name="solution"' in page and "<html" in page


def test_skipping_needs_a_reason(as_user, rep, complaint):
    client = as_user(rep)
    response = client.post(url("complaint_step", complaint.pk), {"step": "calmed", "notes": "跳过"})
    page = response.content.decode()
    assert response.status_code == 200 and "This field is required." in page and 'name="skip_reason"' in page
    complaint.refresh_from_db()
    assert complaint.status == Step.RECEIVED
    response = client.post(url("complaint_step", complaint.pk), {"step": "calmed", "skip_reason": "客户来电时已确认诉求"})
    assert response.status_code == 302
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert "skipped" in page and "客户来电时已确认诉求" in page


def test_a_field_the_service_refuses_is_shown_at_the_field(as_user, rep, complaint):
    walk_to(complaint, rep, Step.ANALYSED)
    response = as_user(rep).post(url("complaint_step", complaint.pk), {"step": "proposed", "solution": "换新", "compensation_amount": "两百块"})
    page = response.content.decode()
    assert "Enter an amount such as 200 or 99.50." in page and "换新" in page


def test_closing_without_recheck_and_feedback_is_refused_with_the_reasons(as_user, rep, complaint):
    walk_to(complaint, rep, Step.CARRIED_OUT)
    client = as_user(rep)
    form = client.get(url("complaint_step", complaint.pk), {"step": "closed"}, headers={"HX-Request": "true"}).content.decode()
    assert "Closing will be refused:" in form and "the recheck with the customer has not been done" in form
    assert "no feedback item has been sent to the responsible department" in form and 'name="override_reason"' not in form
    assert "Only a manager of the team may close without them." in form
    response = client.post(url("complaint_step", complaint.pk), {"step": "closed", "skip_reason": "客户不接电话", "override_reason": "我想关"})
    page = response.content.decode()
    assert response.status_code == 200 and "The complaint cannot be closed:" in page and "The step was not recorded" in page
    complaint.refresh_from_db()
    assert complaint.status == Step.CARRIED_OUT and not complaint.events.filter(kind=EventKind.OVERRIDE).exists()


def test_a_manager_closes_with_an_override(as_user, manager, rep, complaint):
    walk_to(complaint, rep, Step.CARRIED_OUT)
    client = as_user(manager)
    form = client.get(url("complaint_step", complaint.pk), {"step": "closed"}, headers={"HX-Request": "true"}).content.decode()
    assert 'name="override_reason"' in form and "As a manager of the team you may close anyway" in form
    response = client.post(url("complaint_step", complaint.pk), {"step": "closed", "skip_reason": "客户出国，联系不上", "override_reason": "客户已书面确认满意"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.is_closed
    override = complaint.events.get(kind=EventKind.OVERRIDE)
    assert override.notes == "客户已书面确认满意" and len(override.data["missing"]) == 2
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert "Manager&#x27;s override" in page and "Closed although the recheck with the customer has not been done" in page


# --- replies ----------------------------------------------------------------------------------


def test_a_flagged_reply_comes_back_marked_and_is_sent_anyway_on_confirmation(as_user, rep, complaint):
    client = as_user(rep)
    response = client.post(url("complaint_reply", complaint.pk), {"text": FORBIDDEN})
    page = response.content.decode()
    assert response.status_code == 200 and not complaint.events.filter(kind=EventKind.REPLY).exists()
    assert "Not sent: the reply contains words never to say" in page
    assert '<mark class="reply-flag' in page and ">公司的规定</mark>" in page and ">不可能</mark>" in page
    assert "Say instead:" in page and 'name="confirm"' in page and "Send anyway (recorded)" in page
    assert FORBIDDEN in page  # what was typed is kept
    response = client.post(url("complaint_reply", complaint.pk), {"text": FORBIDDEN, "confirm": "on"})
    assert response.status_code == 302
    reply = complaint.events.get(kind=EventKind.REPLY)
    assert reply.data["confirmed"] is True and {f["text"] for f in reply.data["flagged"]} >= {"公司的规定", "不可能"}
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert "Reply sent anyway; the flagged words are recorded." in page and "sent anyway" in page


def test_a_good_reply_is_sent_at_once(as_user, rep, complaint):
    response = as_user(rep).post(url("complaint_reply", complaint.pk), {"text": "非常抱歉给您添麻烦了，我们明天上午十点前上门为您更换。谢谢您的反馈。"})
    assert response.status_code == 302
    reply = complaint.events.get(kind=EventKind.REPLY)
    assert reply.data["confirmed"] is False
    complaint.refresh_from_db()
    assert complaint.responded_at is not None


def test_checking_a_reply_sends_nothing(as_user, rep, complaint):
    client = as_user(rep)
    fragment = client.post(url("complaint_reply_check", complaint.pk), {"text": FORBIDDEN}, headers={"HX-Request": "true"}).content.decode()
    assert ">公司的规定</mark>" in fragment and "Words never to say" in fragment and "<html" not in fragment
    assert not complaint.events.filter(kind=EventKind.REPLY).exists()
    fine = client.post(url("complaint_reply_check", complaint.pk), {"text": "非常抱歉，我们明天上门处理。"}).content.decode()
    assert "No words to avoid." in fine


def test_flagged_words_are_escaped():
    review = {"text": "<img src=x onerror=alert(1)> 不可能 & <b>", "findings": [{"text": "不可能", "start": 29, "end": 32}, {"text": "可能", "start": 30, "end": 32}]}
    html = str(marked_reply(review))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html and "&amp; &lt;b&gt;" in html
    assert html.count("<mark") == 1 and ">不可能</mark>" in html


# --- the other actions ---------------------------------------------------------------------


def test_message_note_pause_resume_escalate(as_user, rep, manager, complaint):
    client = as_user(rep)
    assert client.post(url("complaint_message", complaint.pk), {"text": "第二次打电话了，还是没人管，太不负责任了！"}).status_code == 302
    message = complaint.events.get(kind=EventKind.MESSAGE)
    assert message.by == rep and message.interaction.emotion.escalation in ("medium", "high")
    response = client.post(url("complaint_note", complaint.pk), {"text": "客户发来照片", "files": upload("照片.png", PNG, "image/png")})
    assert response.status_code == 302 and complaint.events.get(kind=EventKind.NOTE).attachments.count() == 1
    assert client.post(url("complaint_pause", complaint.pk), {"reason": "等客户发安装单照片"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.paused_at is not None
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert "Waiting for the customer" in page and url("complaint_resume", complaint.pk) in page
    assert client.post(url("complaint_resume", complaint.pk)).status_code == 302
    complaint.refresh_from_db()
    assert complaint.paused_at is None
    # Resuming a running clock says why nothing happened.
    response = client.post(url("complaint_resume", complaint.pk), follow=True)
    assert "The clock is running already." in response.content.decode()
    response = client.post(url("complaint_escalate", complaint.pk), {"reason": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert client.post(url("complaint_escalate", complaint.pk), {"reason": "客户要求赔偿地板，超出权限"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.escalated
    assert "Escalated" in client.get(url("complaint_detail", complaint.pk)).content.decode()


def test_the_customers_messages_show_their_emotion(as_user, rep, complaint):
    services.complaint_message(complaint=complaint, by=rep, text="第二次打电话了，还是没人管，我要找媒体曝光！")
    page = as_user(rep).get(url("complaint_detail", complaint.pk)).content.decode()
    assert "Negative" in page and "High risk" in page and 'class="emotion-text' in page
    assert "Handling guidance" in page and "Let the customer finish" in page


def test_reopen_only_when_closed(as_user, rep, complaint):
    client = as_user(rep)
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert url("complaint_reopen", complaint.pk) not in page
    response = client.post(url("complaint_reopen", complaint.pk), {"reason": "客户又来电"})
    assert response.status_code == 200 and "Only a closed complaint can be reopened." in response.content.decode()
    close_properly(complaint, by=rep)
    assert client.post(url("complaint_reopen", complaint.pk), {"reason": "客户说又漏水了"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Step.ANALYSED
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert "5. Solution proposed" in page and "Reopened" in page


def test_a_manager_assigns_to_a_team_member(as_user, manager, agent, outsider, complaint):
    client = as_user(manager)
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    choices = re.search(r'<select name="assignee".*?</select>', page, re.DOTALL).group()
    assert url("complaint_assign", complaint.pk) in page and agent.name in choices and outsider.name not in choices
    response = client.post(url("complaint_assign", complaint.pk), {"assignee": outsider.pk})
    assert response.status_code == 200 and "Choose an active member of the team." in response.content.decode()
    response = client.post(url("complaint_assign", complaint.pk), {"assignee": 999999})
    assert response.status_code == 200 and "No such user." in response.content.decode()
    assert client.post(url("complaint_assign", complaint.pk), {"assignee": agent.pk}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.assignee == agent
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert f"to {agent.name}" in page


def test_feedback_items_are_sent_acknowledged_and_closed(as_user, rep, agent, manager, complaint):
    client = as_user(rep)
    response = client.post(url("complaint_feedback_new", complaint.pk), {"department": "production", "summary": "密封圈批次不良", "recipient": agent.pk})
    assert response.status_code == 302
    item = FeedbackItem.objects.get()
    assert (item.department, item.recipient, item.status) == ("production", agent, "open")
    response = client.post(url("complaint_feedback_new", complaint.pk), {"department": "", "summary": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    client = as_user(manager)
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert url("complaint_feedback_acknowledge", item.pk) in page and "Sent to the department" in page
    assert client.post(url("complaint_feedback_acknowledge", item.pk)).status_code == 302
    response = client.post(url("complaint_feedback_close", item.pk), {"action_taken": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert client.post(url("complaint_feedback_close", item.pk), {"action_taken": "来料检验改为全检"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "closed" and item.action_taken == "来料检验改为全检"
    page = client.get(url("complaint_detail", complaint.pk)).content.decode()
    assert "Closed with action taken" in page and "来料检验改为全检" in page


# --- files ------------------------------------------------------------------------------------


def test_the_rep_downloads_the_attachment_safely(as_user, rep, outsider, complaint, customer):
    attachment = Attachment.objects.get(complaint=complaint)
    response = as_user(rep).get(url("complaint_attachment", attachment.pk))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    with pytest.raises(ValidationFailed):  # a "text" file with markup is refused
        services.complaint_note(complaint=complaint, by=rep, text="说明", files=(Upload("说明.html.txt", b"<script>alert(1)</script>"),))
    note = services.complaint_note(complaint=complaint, by=rep, text="说明", files=(Upload("说明.txt", "水从接口处漏出".encode()),))
    text = note.attachments.get()
    response = as_user(rep).get(url("complaint_attachment", text.pk))
    assert response["Content-Disposition"].startswith("attachment;") and response["Content-Type"].startswith("text/plain")
    assert as_user(outsider).get(url("complaint_attachment", attachment.pk)).status_code == 404


def test_a_file_gone_from_disk_is_not_found(as_user, rep, complaint, settings):
    attachment = Attachment.objects.get(complaint=complaint)
    (settings.MANYI_ATTACHMENT_DIR / attachment.path).unlink()
    assert as_user(rep).get(url("complaint_attachment", attachment.pk)).status_code == 404


# --- the customer's 360° page panel, and small pieces ----------------------------------------


def test_the_customer_panel_lists_the_customers_complaints(rf, rep, customer, complaint):
    request = rf.get("/")
    request.user = rep
    complaints = selectors.complaint_list(user=rep, filters=selectors.ComplaintFilters(status="all", customer=customer.pk, sort="newest"))[:5]
    html = render_to_string("web/complaints/_customer_panel.html", {"complaints": complaints, "customer": customer, "user": rep}, request=request)
    assert complaint.number in html and url("complaint_detail", complaint.pk) in html
    assert f"{url('complaint_new')}?customer={customer.pk}" in html
    empty = render_to_string("web/complaints/_customer_panel.html", {"complaints": [], "customer": CustomerFactory(owner=rep), "user": rep}, request=request)
    assert "No complaints from this customer." in empty


def test_durations_read_naturally():
    assert duration(26 * 3600 + 5 * 60) == "1 d 2 h"
    assert duration(-(3 * 3600 + 20 * 60)) == "3 h 20 min"
    assert duration(26 * 3600, business=True) == "26 h 0 min"
    assert duration(59) == "0 min"


def test_pages_render_in_chinese_by_default(client, rep, complaint, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(rep)
    response = client.get(url("complaint_detail", complaint.pk))
    page = response.content.decode()
    assert response.status_code == 200 and 'lang="zh-hans"' in page and "动态" in page  # "Timeline"


def test_a_recipient_outside_the_team_answers_feedback_without_seeing_the_complaint(as_user, rep, outsider, complaint):
    item = services.feedback_create(complaint=complaint, by=rep, department="production", summary="密封圈批次不良", recipient=outsider)
    client = as_user(outsider)
    assert client.get(url("complaint_detail", complaint.pk)).status_code == 404
    response = client.post(url("complaint_feedback_acknowledge", item.pk))
    assert response.status_code == 302 and response["Location"] == url("feedback_list")
    response = client.post(url("complaint_feedback_close", item.pk), {"action_taken": ""}, follow=True)
    assert "This field is required." in response.content.decode()
    response = client.post(url("complaint_feedback_close", item.pk), {"action_taken": "来料检验改为全检"})
    assert response.status_code == 302 and response["Location"] == url("feedback_list")
    item.refresh_from_db()
    assert item.status == "closed" and item.closed_by == outsider
