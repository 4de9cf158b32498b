"""Complaints over the JSON API: filing, the nine steps, replies checked for
words never to say, files, feedback items and notifications; everyone sees
only what they may, and the outsider sees nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from manyi.service.models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    EventKind,
    Notification,
    Step,
)
from tests.service.helpers import PROCESS, file_complaint

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints"
JSON = "application/json"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _english():
    """Messages in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def as_user(as_user):
    """The API clients, asking for English (the default language is Chinese)."""

    def make(user):
        client = as_user(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def complaint(customer, rep):
    return file_complaint(customer, by=rep)


def post(client, path, data=None):
    return client.post(f"{URL}{path}", data or {}, content_type=JSON)


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def walk(client, complaint, until=Step.RECHECKED):
    """Record every step up to `until` through the API."""
    for step, data in PROCESS:
        response = post(client, f"/{complaint.pk}/steps", {"step": step, "data": data, "notes": f"{step} done"})
        assert response.status_code == 200, response.content
        if step == until:
            return response.json()
    raise AssertionError(until)


def test_every_route_needs_a_token(client, complaint):
    for path in ("", f"/{complaint.pk}", f"/{complaint.pk}/events", "/notifications"):
        response = client.get(f"{URL}{path}")
        assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert post(client, f"/{complaint.pk}/steps", {"step": "confirmed"}).status_code == 401
    assert post(client, "", {"customer": complaint.customer_id, "subject": "x", "description": "y"}).status_code == 401


def test_rep_files_a_complaint_and_walks_it_to_closing(as_user, rep, agent, customer, contact):
    client = as_user(rep)
    response = post(client, "", {
        "customer": customer.pk, "contact": contact.pk, "subject": "净水器漏水", "severity": "high",
        "description": "新买的净水器漏水三次了，太气人了！再不解决我就投诉到消协！", "wants": "换一台新的",
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("TS") and body["status"] == "received" and body["step_index"] == 0
    assert body["customer"] == {"id": customer.pk, "name": "张三"} and body["contact"]["id"] == contact.pk
    assert body["channel"] == "api" and body["severity"] == "high" and body["assignee"]["id"] == rep.pk
    assert body["escalation"] == "high" and body["risk"] > 0 and body["paused"] is False
    assert body["sla"]["response_seconds"] == 24 * 3600 and body["sla"]["mode"] == "calendar"
    pk = body["id"]
    listed = client.get(URL).json()["items"]
    assert [item["id"] for item in listed] == [pk] and listed[0]["customer"]["name"] == "张三"

    complaint = Complaint.objects.get(pk=pk)
    walk(client, complaint)
    response = post(client, f"/{pk}/feedback", {"summary": "密封圈批次不良，来料检验要加严", "recipient_id": agent.pk})
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["department"] == "production" and item["status"] == "open" and item["recipient"]["id"] == agent.pk
    response = post(client, f"/{pk}/steps", {"step": "closed", "notes": "已总结"})
    assert response.status_code == 200, response.content
    detail = response.json()
    assert detail["status"] == "closed" and detail["step_index"] == 8 and detail["closed_at"]
    assert detail["cause"] == "product/manufacturing" and detail["cause_label"] == "Product · Manufacturing quality"
    assert detail["department"] == "production" and detail["responsibility"] == "ours" and detail["recheck_result"] == "satisfied"
    assert detail["solution"] == "上门换新机" and [f["id"] for f in detail["feedback_items"]] == [item["id"]]

    events = client.get(f"{URL}/{pk}/events").json()
    steps = [e["step"] for e in events if e["kind"] == "step"]
    assert steps == list(Step.values)
    first = events[0]
    assert first["by"] == {"id": rep.pk, "name": "王小明"} and first["emotion"]["escalation"] == "high"
    assert first["emotion"]["polarity"] == "negative"
    assert all(e["emotion"] is None for e in events[1:])
    assert any(e["kind"] == "feedback" for e in events)
    # the closed complaint leaves the open queue
    assert ids(client.get(URL)) == [] and ids(client.get(URL, {"status": "closed"})) == [pk]


def test_steps_in_order_with_the_services_codes(as_user, rep, complaint):
    client = as_user(rep)
    response = post(client, f"/{complaint.pk}/steps", {"step": "analysed", "data": {"cause": "product/manufacturing"}})
    assert response.status_code == 400 and response.json()["code"] == "step_skipped"
    assert "Confirmed" in response.json()["message"]
    assert post(client, f"/{complaint.pk}/steps", {"step": "confirmed", "data": {"wants": "换货"}}).status_code == 200
    response = post(client, f"/{complaint.pk}/steps", {"step": "confirmed", "data": {"wants": "换货"}})
    assert response.status_code == 400 and response.json()["code"] == "step_done"
    response = post(client, f"/{complaint.pk}/steps", {"step": "calmed", "data": {"cause": "no/such"}})
    assert response.status_code == 422 and "data.cause" in response.json()["fields"]
    response = post(client, f"/{complaint.pk}/steps", {"step": "calmed", "skip_reason": "x" * 501})
    assert response.status_code == 422 and "skip_reason" in response.json()["fields"]
    response = post(client, f"/{complaint.pk}/steps", {"step": "received"})
    assert response.status_code == 422 and "step" in response.json()["fields"]
    response = post(client, f"/{complaint.pk}/steps", {"step": "analysed", "skip_reason": "已平静", "data": {"cause": "service/attitude"}})
    assert response.status_code == 422 and set(response.json()["fields"]) == {"data.responsibility", "data.department"}
    # a later step with a reason records the passed-over ones as skipped
    response = post(client, f"/{complaint.pk}/steps", {
        "step": "analysed", "skip_reason": "客户在电话里已经平静",
        "data": {"cause": "service/attitude", "responsibility": "ours", "severity": "high", "department": "service"},
    })  # fmt: skip
    assert response.status_code == 200 and response.json()["severity"] == "high"
    skipped = ComplaintEvent.objects.get(complaint=complaint, step=Step.CALMED)
    assert skipped.data == {"skipped": True} and skipped.notes == "客户在电话里已经平静"


def test_closing_without_recheck_is_refused_and_a_manager_may_override(as_user, rep, manager, complaint):
    client = as_user(rep)
    walk(client, complaint, until=Step.CARRIED_OUT)
    response = post(client, f"/{complaint.pk}/steps", {"step": "closed", "skip_reason": "客户联系不上"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "close_refused" and "recheck" in body["message"] and "feedback item" in body["message"]
    response = post(client, f"/{complaint.pk}/steps", {"step": "closed", "skip_reason": "客户联系不上", "override_reason": "客户联系不上"})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    response = post(as_user(manager), f"/{complaint.pk}/steps", {"step": "closed", "skip_reason": "客户联系不上", "override_reason": "客户联系不上"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    override = complaint.events.get(kind=EventKind.OVERRIDE)
    assert override.by == manager and len(override.data["missing"]) == 2
    response = post(client, f"/{complaint.pk}/steps", {"step": "closed"})
    assert response.status_code == 400 and response.json()["code"] == "closed"


def test_a_reply_with_words_never_to_say_comes_back_409_until_confirmed(as_user, rep, complaint):
    client = as_user(rep)
    text = "这是我们公司的规定，没办法。"
    check = post(client, f"/{complaint.pk}/reply-check", {"text": text})
    assert check.status_code == 200 and check.json()["ok"] is False
    assert not complaint.events.filter(kind=EventKind.REPLY).exists()
    response = post(client, f"/{complaint.pk}/replies", {"text": text})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "reply_flagged" and body["message"]
    finding = body["review"]["findings"][0]
    assert finding["text"] in "这是我们公司的规定" and text[finding["start"] : finding["end"]] == finding["text"]
    assert finding["why"] and finding["better"]
    assert not complaint.events.filter(kind=EventKind.REPLY).exists()
    response = post(client, f"/{complaint.pk}/replies", {"text": text, "confirm": True})
    assert response.status_code == 201, response.content
    event = response.json()
    assert event["kind"] == "reply" and event["notes"] == text and event["emotion"] is None
    assert event["data"]["confirmed"] is True and event["data"]["flagged"][0]["text"] == finding["text"]
    assert Complaint.objects.get(pk=complaint.pk).responded_at is not None


def test_a_good_reply_and_the_customers_next_message(as_user, rep, complaint):
    client = as_user(rep)
    response = post(client, f"/{complaint.pk}/replies", {"text": "非常抱歉给您带来不便，谢谢您告诉我们，明天上午我们上门为您更换。"})
    assert response.status_code == 201 and response.json()["data"]["confirmed"] is False
    response = post(client, f"/{complaint.pk}/messages", {"text": "好的，谢谢你们，明天等你们来。"})
    assert response.status_code == 201, response.content
    event = response.json()
    assert event["kind"] == "message" and event["emotion"]["polarity"] in ("positive", "neutral")
    assert post(client, f"/{complaint.pk}/messages", {"text": "   "}).status_code == 422


@pytest.mark.parametrize(
    "change,field",
    [
        ({"subject": "漏" * 201}, "subject"),
        ({"description": "水" * 10_001}, "description"),
        ({"description": ""}, "description"),
        ({"severity": "urgent"}, "severity"),
        ({"channel": "fax"}, "channel"),
        ({"customer": "abc"}, "customer"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_422_naming_the_field(as_user, rep, customer, change, field):
    data = {"customer": customer.pk, "subject": "净水器漏水", "description": "漏水了", **change}
    response = post(as_user(rep), "", data)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error" and field in body["fields"]
    assert not Complaint.objects.exists()


def test_html_is_stored_as_plain_text(as_user, rep, customer):
    data = {"customer": customer.pk, "subject": "<b>漏水</b>", "description": "<script>alert(1)</script>净水器<img src=x onerror=alert(2)>漏水"}
    response = post(as_user(rep), "", data)
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get(pk=response.json()["id"])
    assert complaint.subject == "漏水" and "<" not in complaint.description and "净水器" in complaint.description
    # nothing but tags is nothing
    data["description"] = "<script></script>"
    response = post(as_user(rep), "", data)
    assert response.status_code == 422 and "description" in response.json()["fields"]


def upload(client, complaint, *files, text="客户发来的照片"):
    return client.post(f"{URL}/{complaint.pk}/attachments", {"text": text, "files": list(files)})


def test_files_are_checked_by_their_bytes_and_served_to_those_who_see_the_complaint(as_user, rep, manager, outsider, complaint):
    client = as_user(rep)
    response = upload(client, complaint, SimpleUploadedFile("漏水.png", PNG, content_type="image/png"), SimpleUploadedFile("记录.txt", "漏水三次".encode()))
    assert response.status_code == 201, response.content
    event = response.json()
    assert event["kind"] == "note" and event["notes"] == "客户发来的照片"
    png, txt = event["attachments"]
    assert (png["name"], png["content_type"], png["size"]) == ("漏水.png", "image/png", len(PNG))
    assert txt["content_type"] == "text/plain"
    download = client.get(png["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Type"] == "image/png" and download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    assert as_user(manager).get(png["url"]).status_code == 200
    response = as_user(outsider).get(png["url"])
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    listed = client.get(f"{URL}/{complaint.pk}/events").json()
    assert [a["id"] for a in listed[-1]["attachments"]] == [png["id"], txt["id"]]


@pytest.mark.parametrize(
    "name,data,words",
    [
        ("x.png", b"<html><script>alert(1)</script></html>", "is not an image"),
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 * 1024 * 1024), "larger than 5 MB"),
        ("empty.png", b"", "empty"),
    ],
)
def test_a_file_that_may_not_be_stored_is_422_with_a_message(as_user, rep, complaint, name, data, words):
    response = upload(as_user(rep), complaint, SimpleUploadedFile(name, data))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error" and words in body["fields"]["files"][0]
    assert not Attachment.objects.exists() and not complaint.events.filter(kind=EventKind.NOTE).exists()


def test_six_files_are_too_many_and_a_note_is_required(as_user, rep, complaint):
    client = as_user(rep)
    files = [SimpleUploadedFile(f"{n}.png", PNG) for n in range(6)]
    response = upload(client, complaint, *files)
    assert response.status_code == 422 and "At most 5" in response.json()["fields"]["files"][0]
    response = upload(client, complaint, SimpleUploadedFile("a.png", PNG), text="")
    assert response.status_code == 422 and "text" in response.json()["fields"]
    response = client.post(f"{URL}/{complaint.pk}/attachments", {"text": "没有文件"})
    assert response.status_code == 422 and "files" in response.json()["fields"]
    assert not Attachment.objects.exists()


def test_the_outsider_sees_nothing(as_user, rep, outsider, customer, complaint):
    upload(as_user(rep), complaint, SimpleUploadedFile("漏水.png", PNG))
    attachment = Attachment.objects.get()
    client = as_user(outsider)
    assert ids(client.get(URL, {"status": "all"})) == []
    assert client.get(URL, {"customer": customer.pk}).status_code == 404
    for path in (f"/{complaint.pk}", f"/{complaint.pk}/events", f"/attachments/{attachment.pk}"):
        response = client.get(f"{URL}{path}")
        assert response.status_code == 404 and response.json()["code"] == "not_found", path
    writes = {
        "/steps": {"step": "confirmed", "data": {"wants": "换货"}}, "/messages": {"text": "好"}, "/replies": {"text": "抱歉"},
        "/reply-check": {"text": "抱歉"}, "/pause": {"reason": "等"}, "/resume": {}, "/escalate": {"reason": "急"},
        "/reopen": {"reason": "再开"}, "/assign": {"assignee_id": outsider.pk}, "/feedback": {"summary": "改进"},
    }  # fmt: skip
    for path, data in writes.items():
        response = post(client, f"/{complaint.pk}{path}", data)
        assert response.status_code == 404, path
    assert upload(client, complaint, SimpleUploadedFile("a.png", PNG)).status_code == 404
    response = post(client, "", {"customer": customer.pk, "subject": "冒名", "description": "冒名投诉"})
    assert response.status_code == 422 and "customer" in response.json()["fields"]
    assert Complaint.objects.count() == 1 and complaint.events.count() == 2


def test_the_analyst_reads_the_team_but_writes_nothing(as_user, analyst, customer, complaint):
    client = as_user(analyst)
    assert ids(client.get(URL)) == [complaint.pk]
    assert client.get(f"{URL}/{complaint.pk}").status_code == 200
    response = post(client, "", {"customer": customer.pk, "subject": "测试", "description": "测试"})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    writes = {
        "/steps": {"step": "confirmed", "data": {"wants": "换货"}}, "/messages": {"text": "好"}, "/replies": {"text": "抱歉"},
        "/pause": {"reason": "等"}, "/escalate": {"reason": "急"}, "/feedback": {"summary": "改进"},
    }  # fmt: skip
    for path, data in writes.items():
        response = post(client, f"/{complaint.pk}{path}", data)
        assert response.status_code == 403, path
    assert upload(client, complaint, SimpleUploadedFile("a.png", PNG)).status_code == 403
    assert complaint.events.count() == 1


def test_pause_resume_escalate_reopen_and_assign(as_user, rep, rep2, manager, outsider, complaint):
    client = as_user(rep)
    response = post(client, f"/{complaint.pk}/pause", {"reason": "等客户寄回旧机"})
    assert response.status_code == 200 and response.json()["paused"] is True and response.json()["resolution_due"] is None
    response = post(client, f"/{complaint.pk}/pause", {"reason": "再等"})
    assert response.status_code == 400 and response.json()["code"] == "not_running"
    response = post(client, f"/{complaint.pk}/resume")
    assert response.status_code == 200 and response.json()["paused"] is False and response.json()["resolution_due"]
    assert post(client, f"/{complaint.pk}/resume").json()["code"] == "not_paused"

    response = post(client, f"/{complaint.pk}/escalate", {"reason": "客户要求经理处理"})
    assert response.status_code == 200 and response.json()["escalated"] is True
    assert Notification.objects.filter(user=manager, kind="escalated", complaint=complaint).exists()
    assert ids(client.get(URL, {"escalated": True})) == [complaint.pk]

    response = post(client, f"/{complaint.pk}/reopen", {"reason": "再看看"})
    assert response.status_code == 400 and response.json()["code"] == "not_closed"

    response = post(client, f"/{complaint.pk}/assign", {"assignee_id": rep2.pk})
    assert response.status_code == 403
    manager_client = as_user(manager)
    response = post(manager_client, f"/{complaint.pk}/assign", {"assignee_id": outsider.pk})
    assert response.status_code == 422 and "assignee_id" in response.json()["fields"]
    response = post(manager_client, f"/{complaint.pk}/assign", {"assignee_id": 10**12})
    assert response.status_code == 422 and "assignee_id" in response.json()["fields"]
    response = post(manager_client, f"/{complaint.pk}/assign", {"assignee_id": rep2.pk})
    assert response.status_code == 200 and response.json()["assignee"] == {"id": rep2.pk, "name": "赵丽"}
    assert Notification.objects.filter(user=rep2, kind="assigned", complaint=complaint).exists()


def test_reopening_a_closed_complaint(as_user, rep, complaint):
    client = as_user(rep)
    walk(client, complaint)
    post(client, f"/{complaint.pk}/feedback", {"summary": "改进包装"})
    assert post(client, f"/{complaint.pk}/steps", {"step": "closed"}).status_code == 200
    response = post(client, f"/{complaint.pk}/reopen", {"reason": "客户说又漏了"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "analysed" and body["closed_at"] is None and body["recheck_result"] == ""


def test_feedback_items_are_answered_by_the_recipient(as_user, rep, rep2, agent, outsider, complaint):
    response = post(as_user(rep), f"/{complaint.pk}/feedback", {"department": "logistics", "summary": "快递破损率高", "recipient_id": agent.pk})
    assert response.status_code == 201
    item = response.json()["id"]
    assert Notification.objects.filter(user=agent, kind="feedback").exists()
    assert as_user(outsider).post(f"{URL}/feedback/{item}/acknowledge").status_code == 404
    assert as_user(rep).post(f"{URL}/feedback/{item}/acknowledge").status_code == 403
    client = as_user(agent)
    response = client.post(f"{URL}/feedback/{item}/acknowledge")
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    assert client.post(f"{URL}/feedback/{item}/acknowledge").json()["code"] == "feedback_state"
    assert post(client, f"/feedback/{item}/close", {"action_taken": ""}).status_code == 422
    response = post(client, f"/feedback/{item}/close", {"action_taken": "换了快递公司"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed" and response.json()["closed_by"]["id"] == agent.pk
    response = post(as_user(rep), f"/{complaint.pk}/feedback", {"summary": "x", "recipient_id": 10**12})
    assert response.status_code == 422 and "recipient_id" in response.json()["fields"]


def test_notifications_of_the_caller(as_user, rep, rep2, customer):
    file_complaint(customer, by=None)
    file_complaint(customer, by=None, subject="滤芯发错型号")
    client = as_user(rep)
    page = client.get(f"{URL}/notifications").json()
    assert page["total"] == 2 and page["items"][0]["kind"] == "assigned" and page["items"][0]["complaint"]["number"].startswith("TS")
    assert as_user(rep2).get(f"{URL}/notifications").json()["total"] == 0
    first = page["items"][0]["id"]
    assert post(as_user(rep2), "/notifications/read", {"ids": [first]}).json() == {"read": 0}
    assert post(client, "/notifications/read", {"ids": [first]}).json() == {"read": 1}
    assert ids(client.get(f"{URL}/notifications", {"unread": True})) == [page["items"][1]["id"]]
    assert post(client, "/notifications/read").json() == {"read": 1}
    assert ids(client.get(f"{URL}/notifications", {"unread": True})) == []


def test_filters_and_sorts(as_user, rep, manager, customer, enterprise):
    low = file_complaint(customer, by=rep, subject="发票抬头错了", description="发票抬头写错了，麻烦改一下。", severity="low", channel="email")
    high = file_complaint(enterprise, by=rep, subject="设备停机", description="设备停机两天了，损失惨重，再不修好我们就起诉！", severity="critical")
    client = as_user(rep)
    assert ids(client.get(URL)) == [high.pk, low.pk]
    assert ids(client.get(URL, {"sort": "oldest"})) == [low.pk, high.pk]
    assert ids(client.get(URL, {"severity": "low"})) == [low.pk]
    assert ids(client.get(URL, {"channel": "email"})) == [low.pk]
    assert ids(client.get(URL, {"customer": enterprise.pk})) == [high.pk]
    assert ids(client.get(URL, {"q": "发票"})) == [low.pk]
    assert ids(client.get(URL, {"q": high.number})) == [high.pk]
    assert ids(client.get(URL, {"assignee": "me"})) == [high.pk, low.pk]
    assert ids(client.get(URL, {"assignee": str(rep.pk)})) == [high.pk, low.pk]
    assert ids(as_user(manager).get(URL, {"assignee": "me"})) == []
    assert ids(client.get(URL, {"status": "received"})) == [high.pk, low.pk]
    assert ids(client.get(URL, {"breached": True})) == []
    page = client.get(URL, {"page_size": 1, "page": 2}).json()
    assert (page["total"], page["pages"], [i["id"] for i in page["items"]]) == (2, 2, [low.pk])
    for bad in ({"status": "nonsense"}, {"assignee": "you"}, {"sort": "random"}, {"severity": "x"}):
        response = client.get(URL, bad)
        assert response.status_code == 422 and set(response.json()["fields"]) == set(bad), bad


def test_routes_with_a_fixed_name_are_not_taken_for_an_id(as_user, rep):
    client = as_user(rep)
    assert client.get(f"{URL}/notifications").status_code == 200
    assert client.get(f"{URL}/attachments/999").status_code == 404
    assert client.get(f"{URL}/abc").status_code == 422
    assert client.get(f"{URL}/0").status_code == 422
