"""The public complaint form: a customer files a complaint without an account,
through the link made for their company. Robots get thanks and store nothing,
one address may post only so often, bad files and oversized text are refused
with a message at the field, and nothing the visitor typed is echoed as markup."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from manyi.core.errors import NotFound
from manyi.service import intake, selectors, uploads
from manyi.service.models import Attachment, Complaint, ComplaintLink

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)


@pytest.fixture
def link(customer, rep):
    return intake.complaint_link_create(customer=customer, by=rep)


def url(link_or_token) -> str:
    token = link_or_token.token if isinstance(link_or_token, ComplaintLink) else link_or_token
    return reverse("web:public_complaint", args=[token])


def form(**fields) -> dict:
    return {
        "name": "李女士", "phone": "138 0013 8000", "email": "li@example.com", "subject": "净水器漏水",
        "description": "新买的净水器漏水，地板都泡了。", "wants": "换一台新的", "website": "", **fields,
    }  # fmt: skip


def test_a_visitor_without_an_account_sees_the_form(client, link, customer):
    assert client.get("/customers/").status_code == 302  # staff pages still ask for a login
    response = client.get(url(link))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Complaints and suggestions" in page and 'enctype="multipart/form-data"' in page and "csrfmiddlewaretoken" in page
    for name in ("name", "phone", "email", "subject", "description", "wants", "files"):
        assert f'name="{name}"' in page
    assert "up to 5 files, at most 5 MB each" in page
    # the honeypot: off-screen, hidden from screen readers, out of the tab order, never autofilled
    assert '<div class="hp-field" aria-hidden="true">' in page
    assert '<input type="text" name="website" id="f-website" value="" tabindex="-1" autocomplete="off">' in page
    # a standalone page: no staff navigation, and nothing about whose link it is
    assert "Log out" not in page and customer.name not in page and "Search customers" not in page
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow" and "no-cache" in response.headers["Cache-Control"]
    # "no-referrer" would make browsers send "Origin: null", which Django's CSRF check refuses
    assert '<meta name="referrer" content="same-origin">' in page


def test_the_page_opens_in_chinese_and_switches_to_english(client, link, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    page = client.get(url(link)).content.decode()
    assert '<html lang="zh-hans">' in page and 'href="?lang=en"' in page
    page = client.get(url(link) + "?lang=en").content.decode()
    assert '<html lang="en">' in page and 'href="?lang=zh-hans"' in page and 'action="?lang=en"' in page


def test_the_csrf_check_stays_on_for_a_visitor_without_a_session(link):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(url(link), form()).status_code == 403
    browser.get(url(link))
    token = browser.cookies["csrftoken"].value
    response = browser.post(url(link), {**form(), "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and Complaint.objects.count() == 1


def test_a_complaint_is_filed_for_the_links_customer(client, link, customer, rep, outsider):
    photo = SimpleUploadedFile("漏水.png", PNG, content_type="image/png")
    response = client.post(url(link), {**form(), "files": [photo]})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:public_complaint_thanks", args=[link.token]))
    assert (complaint.customer, complaint.channel, complaint.subject, complaint.wants) == (customer, "web", "净水器漏水", "换一台新的")
    assert (complaint.reporter_name, complaint.reporter_phone, complaint.reporter_email) == ("李女士", "138 0013 8000", "li@example.com")
    page = client.get(response["Location"]).content.decode()
    assert complaint.number in page and "We will answer within 24 hours." in page
    # the photo is kept, and only staff who see the complaint may fetch it
    [attachment] = Attachment.objects.filter(complaint=complaint)
    assert (attachment.name, attachment.content_type, attachment.size) == ("漏水.png", "image/png", len(PNG))
    assert (uploads.root() / attachment.path).read_bytes() == PNG
    assert selectors.attachment_get(user=rep, pk=attachment.pk) == attachment
    for stranger in (outsider, AnonymousUser()):
        with pytest.raises(NotFound):
            selectors.attachment_get(user=stranger, pk=attachment.pk)


def test_the_promise_follows_the_complaints_own_target(client, link):
    from manyi.service.models import SlaPolicy

    SlaPolicy.objects.create(name="网页投诉", channel="web", first_response_minutes=90, resolution_minutes=24 * 60)
    response = client.post(url(link), form())
    assert "We will answer within 1.5 hours." in client.get(response["Location"]).content.decode()


def test_a_thanks_page_with_a_forged_receipt_shows_no_number(client, link):
    page = client.get(reverse("web:public_complaint_thanks", args=[link.token]) + "?r=TS20260101-00001").content.decode()
    assert "Thank you" in page and "data-complaint-number" not in page


@pytest.mark.parametrize("token", ["revoked", "unknown"])
def test_a_revoked_or_unknown_link_is_a_friendly_404(client, link, customer, rep, token):
    if token == "revoked":
        intake.complaint_link_create(customer=customer, by=rep)  # replaces the first link
        token = link.token
    for response in (client.get(url(token)), client.post(url(token), form())):
        assert response.status_code == 404
        page = response.content.decode()
        assert "This link is no longer valid" in page and "Ask the company for a new one" in page and "Log out" not in page
    assert not Complaint.objects.exists()


def test_a_robot_filling_the_honeypot_gets_thanks_and_stores_nothing(client, link):
    response = client.post(url(link), form(website="https://spam.example"))
    assert response.status_code == 302 and not Complaint.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Thank you: we have received your complaint." in page and "We will answer within 24 hours." in page
    assert "data-complaint-number" not in page and not re.search(r"TS\d{8}-\d{5}", page)


def test_the_sixth_complaint_from_one_address_within_ten_minutes_is_refused(client, link, settings):
    for n in range(settings.MANYI_FORM_LIMIT_CLIENT):
        # a different X-Forwarded-For each time: only the connection's own address counts
        response = client.post(url(link), form(), REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        assert response.status_code == 302
    response = client.post(url(link), form(), REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429 and Complaint.objects.count() == settings.MANYI_FORM_LIMIT_CLIENT
    assert "Too many complaints were sent from here in a short time." in response.content.decode()
    # another address is not held back
    assert client.post(url(link), form(), REMOTE_ADDR="198.51.100.2").status_code == 302


def test_corrections_count_less_than_complaints(client, link, settings):
    """A customer sent back a few times for typos still files; a robot posting
    bad forms without end is stopped after four times the limit."""
    for _ in range(settings.MANYI_FORM_LIMIT_CLIENT + 2):
        assert client.post(url(link), form(name=""), REMOTE_ADDR="203.0.113.7").status_code == 200
    assert client.post(url(link), form(), REMOTE_ADDR="203.0.113.7").status_code == 302
    for _ in range(4 * settings.MANYI_FORM_LIMIT_CLIENT - settings.MANYI_FORM_LIMIT_CLIENT - 3):
        assert client.post(url(link), form(name=""), REMOTE_ADDR="203.0.113.7").status_code == 200
    assert client.post(url(link), form(name=""), REMOTE_ADDR="203.0.113.7").status_code == 429
    assert Complaint.objects.count() == 1


def test_too_long_text_is_named_at_its_field_and_what_was_typed_is_kept(client, link):
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    response = client.post(url(link), {**form(description="漏" * 10_001, subject="滤芯问题"), "files": [photo]})
    page = response.content.decode()
    assert response.status_code == 200 and not Complaint.objects.exists()
    assert '<div class="invalid-feedback d-block" id="f-description-error">At most 10000 characters (this has 10001).</div>' in page
    assert '<a class="alert-link" href="#f-description">What happened</a>: At most 10000 characters' in page
    assert 'aria-invalid="true" aria-describedby="f-description-error"' in page
    assert 'value="李女士"' in page and 'value="滤芯问题"' in page and "换一台新的</textarea>" in page
    assert "please choose them again" in page


@pytest.mark.parametrize(
    ("name", "data"),
    [("photo.jpg", b"<html><script>alert(document.cookie)</script></html>"), ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(64))],
)
def test_a_file_that_is_not_an_image_or_pdf_is_refused(client, link, name, data):
    response = client.post(url(link), {**form(), "files": [SimpleUploadedFile(name, data, content_type="image/jpeg")]})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"{name} is not an image, a PDF or a plain-text file." in page and 'id="f-files-error"' in page
    assert not Complaint.objects.exists() and not Attachment.objects.exists()
    assert not uploads.root().exists() or not any(uploads.root().rglob("*.*"))


def test_more_files_than_allowed_are_refused(client, link, settings):
    files = [SimpleUploadedFile(f"p{n}.png", PNG, content_type="image/png") for n in range(settings.MANYI_ATTACHMENT_MAX_FILES + 3)]
    page = client.post(url(link), {**form(), "files": files}).content.decode()
    assert "At most 5 files at a time." in page and not Complaint.objects.exists()


def test_script_in_the_text_is_stored_without_tags_and_never_echoed(client, link):
    attack = '<script>alert("x")</script><b>漏水</b>'
    response = client.post(url(link), form(name="", description=attack, subject=attack))
    page = response.content.decode()
    assert '<script>alert("x")' not in page and "<b>漏水</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page  # kept for the visitor, as text
    client.post(url(link), form(description=attack, subject=attack))
    complaint = Complaint.objects.get()
    assert complaint.description == 'alert("x")漏水' and complaint.subject == 'alert("x")漏水'
