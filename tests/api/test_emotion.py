"""The emotion engine over the API, and the reading stored with an interaction."""

import pytest

from manyi.api.schemas import MAX_ANALYZE_TEXTS, MAX_TEXT_CHARS
from manyi.emotion.engine import Engine

pytestmark = pytest.mark.django_db

JSON = "application/json"
ANALYZE = "/api/v1/emotion/analyze"
CHECK = "/api/v1/emotion/check-reply"
ANGRY = "第三次了！再不退款我就去12315投诉你们"


def post(client, url, body):
    return client.post(url, body, content_type=JSON)


def test_one_text_is_read(as_user, rep):
    response = post(as_user(rep), ANALYZE, {"text": ANGRY})
    assert response.status_code == 200, response.content
    [reading] = response.json()["readings"]
    assert (reading["polarity"], reading["escalation"], reading["complaint"]) == ("negative", "high", True)
    assert reading["model_version"] == Engine.default().version
    cue = next(c for c in reading["cues"] if c["kind"] == "consumer_association")
    assert reading["text"][cue["start"] : cue["end"]] == "12315"


def test_many_texts_are_read_in_order(as_user, rep):
    texts = ["非常满意，谢谢", ANGRY, "", "Where is my parcel? This is the third time I ask."]
    readings = post(as_user(rep), ANALYZE, {"texts": texts}).json()["readings"]
    assert [r["length"] for r in readings] == [len(t) for t in texts]
    assert readings[0]["polarity"] == "positive" and readings[2]["polarity"] == "neutral" and readings[3]["language"] == "en"


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "text"),
        ({"text": "好", "texts": ["好"]}, "text"),
        ({"texts": []}, "texts"),
        ({"texts": ["好"] * (MAX_ANALYZE_TEXTS + 1)}, "texts"),
        ({"text": "好" * (MAX_TEXT_CHARS + 1)}, "text"),
        ({"text": 5}, "text"),
        ({"text": "好", "mood": "x"}, "mood"),
    ],
    ids=["neither", "both", "no-texts", "too-many", "too-long", "not-text", "unknown-field"],
)
def test_what_was_wrong_is_said(as_user, rep, body, field):
    response = post(as_user(rep), ANALYZE, body)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "validation_error" and field in error["fields"], error


def test_a_draft_reply_is_reviewed_against_the_customer_s_message(as_user, rep):
    response = post(as_user(rep), CHECK, {"reply": "这是我们公司的规定，不可能退款。", "context": ANGRY})
    assert response.status_code == 200, response.content
    review = response.json()
    assert review["ok"] is False and review["findings"]
    finding = review["findings"][0]
    assert review["text"][finding["start"] : finding["end"]] == finding["text"] and finding["why"] and finding["better"]
    assert {m["kind"] for m in review["missing"]} >= {"apology"}


def test_a_good_reply_without_context(as_user, rep):
    review = post(as_user(rep), CHECK, {"reply": "非常抱歉给您添麻烦了，我们今天下午5点前给您回电。"}).json()
    assert review["ok"] is True and review["findings"] == []


def test_an_empty_reply_is_refused(as_user, rep):
    response = post(as_user(rep), CHECK, {"reply": ""})
    assert response.status_code == 422 and "reply" in response.json()["fields"]


@pytest.mark.parametrize("url,body", [(ANALYZE, {"text": ANGRY}), (CHECK, {"reply": "好的"})])
def test_a_token_is_needed(client, url, body):
    response = post(client, url, body)
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


class TestInteractionsCarryTheirReading:
    def test_a_logged_inbound_message_is_returned_with_its_reading(self, as_user, rep, customer):
        client = as_user(rep)
        created = post(client, "/api/v1/interactions", {"customer_id": customer.pk, "kind": "chat", "direction": "inbound", "text": ANGRY})
        assert created.status_code == 201, created.content
        emotion = created.json()["emotion"]
        assert emotion["escalation"] == "high" and emotion["complaint"] is True
        assert {"text": "12315", "start": 12, "end": 17, "points_to": "escalation:consumer_association"} in emotion["evidence"]
        pk = created.json()["id"]
        assert client.get(f"/api/v1/interactions/{pk}").json()["emotion"] == emotion
        [item] = client.get("/api/v1/interactions").json()["items"]
        assert item["emotion"] == emotion

    def test_an_outbound_one_has_none(self, as_user, rep, customer):
        client = as_user(rep)
        created = post(client, "/api/v1/interactions", {"customer_id": customer.pk, "kind": "call", "text": "已寄出样品"})
        assert created.json()["emotion"] is None
        assert client.get("/api/v1/interactions").json()["items"][0]["emotion"] is None

    @pytest.mark.parametrize("who", ["rep2", "outsider"])
    def test_others_see_no_reading(self, as_user, rep, customer, who, request):
        pk = post(as_user(rep), "/api/v1/interactions", {"customer_id": customer.pk, "kind": "chat", "direction": "inbound", "text": ANGRY}).json()["id"]
        other = as_user(request.getfixturevalue(who))
        assert other.get(f"/api/v1/interactions/{pk}").status_code == 404
        assert other.get("/api/v1/interactions").json()["items"] == []
