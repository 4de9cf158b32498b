"""Complaints that arrive without a signed-in user: the public form (a link
per customer company, rate-limited, with a honeypot) and the mailbox."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Role, User
from manyi.core.errors import (
    ApplicationError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from manyi.customers import access as customer_access
from manyi.customers.models import Contact, Customer, Kind
from manyi.service import services, uploads
from manyi.service.models import (
    Complaint,
    ComplaintChannel,
    ComplaintLink,
    FormAttempt,
    MailReceipt,
    Step,
)

logger = logging.getLogger(__name__)

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RateLimited(ApplicationError):
    status = 429
    code = "rate_limited"


def can_publish_link(user: User, customer: Customer) -> bool:
    """Those who may change the customer, and the agents who serve it."""
    if customer_access.can_edit(user, customer):
        return True
    return user.role == Role.SERVICE and customer_access.visible_customers(user).filter(pk=customer.pk).exists()


@transaction.atomic
def complaint_link_create(*, customer: Customer, by: User) -> ComplaintLink:
    """A new public form address for the customer; any earlier one stops working."""
    if not can_publish_link(by, customer):
        raise PermissionDenied(_("You may not publish a complaint form for this customer."))
    now = timezone.now()
    ComplaintLink.objects.filter(customer=customer, revoked_at__isnull=True).update(revoked_at=now)
    return ComplaintLink.objects.create(customer=customer, token=secrets.token_urlsafe(32), created_by=by)


def link_get(token: str) -> ComplaintLink:
    link = ComplaintLink.objects.select_related("customer").filter(token=token, revoked_at__isnull=True).first()
    if link is None or link.customer.deleted_at is not None:
        raise NotFound(_("This complaint form link is not valid (any more). Ask the company for a new one."))
    return link


def client_key(address: str) -> str:
    """A keyed hash of the client's address: enough to count posts, not to know who."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def _check_rate(link: ComplaintLink, client: str, now: dt.datetime) -> None:
    FormAttempt.objects.filter(at__lt=now - dt.timedelta(hours=2)).delete()
    recent = FormAttempt.objects.filter(client=client, at__gte=now - dt.timedelta(minutes=10))
    filed, tries = recent.filter(accepted=True).count(), recent.count()
    on_link = FormAttempt.objects.filter(link=link, at__gte=now - dt.timedelta(hours=1)).count()
    FormAttempt.objects.create(link=link, client=client, at=now)
    # Complaints filed count fully; a post sent back for a correction counts a
    # quarter, so a customer fixing a typo or two is not shut out.
    if filed >= settings.MANYI_FORM_LIMIT_CLIENT or tries >= 4 * settings.MANYI_FORM_LIMIT_CLIENT or on_link >= settings.MANYI_FORM_LIMIT_LINK:
        raise RateLimited(_("Too many complaints were sent from here in a short time. Please wait ten minutes, or call us."))


def public_complaint_submit(*, token: str, client_address: str, data: dict[str, Any], files: tuple[uploads.Upload, ...] = ()) -> Complaint | None:
    """File a complaint from the public form. Returns None, storing nothing,
    when the honeypot field was filled in (a robot); the robot is shown the
    same thanks as a person."""
    link = link_get(token)
    now = timezone.now()
    with transaction.atomic():
        _check_rate(link, client_key(client_address), now)
    if str(data.get("website") or "").strip():
        logger.info("Public complaint form: honeypot filled on link %s", link.pk)
        return None
    errors: dict[str, list[str]] = {}
    name = services.clean_text(data.get("name"), field="name", errors=errors, required=True, max_length=100)
    phone = services.clean_text(data.get("phone"), field="phone", errors=errors, max_length=32)
    email = services.clean_text(data.get("email"), field="email", errors=errors, max_length=254)
    if phone and not _PHONE.match(phone):
        errors.setdefault("phone", []).append(_("Enter a phone number such as 138 0013 8000."))
    if email and not _EMAIL.match(email):
        errors.setdefault("email", []).append(_("Enter an e-mail address such as name@example.com."))
    if not phone and not email:
        errors.setdefault("phone", []).append(_("Give a phone number or an e-mail address so we can reach you."))
    # Everything at once, so a customer corrects the form in one round.
    services.clean_text(data.get("subject"), field="subject", errors=errors, required=True, max_length=services.MAX_SUBJECT)
    services.clean_text(data.get("description"), field="description", errors=errors, required=True)
    services.clean_text(data.get("wants"), field="wants", errors=errors)
    uploads.check_all(files, errors)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    filing = services.Filing(
        customer=link.customer, channel=ComplaintChannel.WEB, subject=data.get("subject") or "", description=data.get("description") or "",
        wants=data.get("wants") or "", reporter_name=name, reporter_phone=phone, reporter_email=email, files=tuple(files),
    )  # fmt: skip
    complaint = services.complaint_create(by=None, filing=filing)
    FormAttempt.objects.filter(link=link, at=now).update(accepted=True)
    return complaint


def _mail_owner() -> User | None:
    if settings.MANYI_COMPLAINT_MAIL_OWNER:
        return User.objects.filter(username=settings.MANYI_COMPLAINT_MAIL_OWNER, is_active=True).first()
    return User.objects.filter(is_active=True, role=Role.ADMIN).order_by("pk").first() or User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()


def _sender_customer(address: str, name: str) -> tuple[Customer, Contact | None]:
    """The customer an e-mail comes from: a contact or customer with that
    address, else a new individual customer owned by the mailbox's owner."""
    contact = Contact.objects.filter(email__iexact=address, deleted_at__isnull=True, customer__deleted_at__isnull=True).select_related("customer").order_by("pk").first()
    if contact:
        return contact.customer, contact
    customer = Customer.objects.filter(email__iexact=address, deleted_at__isnull=True).order_by("pk").first()
    if customer:
        return customer, None
    owner = _mail_owner()
    if owner is None:
        raise ApplicationError(_("No active user may own customers first met by e-mail: set MANYI_COMPLAINT_MAIL_OWNER."), code="no_mail_owner")
    from manyi.customers.services import customer_create

    return customer_create(by=owner, data={"kind": Kind.INDIVIDUAL, "name": (name or address.split("@")[0])[:100], "email": address}), None


_NUMBER = re.compile(r"\b(TS\d{8}-\d{5,})\b")


def _open_complaint_for(mail, customer: Customer) -> Complaint | None:
    """The complaint a mail answers: the one whose number is in the subject,
    else the one whose mails it replies to; only while it is open."""
    match = _NUMBER.search(mail.subject)
    if match:
        found = Complaint.objects.filter(number=match.group(1), customer=customer).first()
        if found is not None:
            return found
    if mail.in_reply_to:
        receipt = MailReceipt.objects.filter(message_id=mail.in_reply_to, complaint__customer=customer).select_related("complaint").first()
        if receipt is not None:
            return receipt.complaint
    return None


def mail_receive(*, mail) -> Complaint | None:
    """Turn one inbound e-mail (service.mailbox.InboundMail) into a complaint,
    or into the customer's next message on the open complaint it answers (a
    closed one is reopened by a person, not by mail: it becomes a new
    complaint). A mail seen before (same Message-ID), or one without a
    sender's address, is skipped: None."""
    if not mail.from_address or "@" not in mail.from_address:
        logger.warning("Mail %s has no sender's address; it was not filed", mail.uid)
        return None
    message_id = mail.message_id or f"uid-{mail.uid}-{hashlib.sha256((mail.from_address + mail.subject + mail.text).encode()).hexdigest()[:24]}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                receipt = MailReceipt.objects.create(message_id=message_id[:255])
        except IntegrityError:
            return None
        customer, contact = _sender_customer(mail.from_address, mail.from_name)
        files = tuple(uploads.Upload(name=a.filename, data=a.data) for a in mail.attachments)
        errors: dict[str, list[str]] = {}
        uploads.check_all(files, errors)
        kept = files if not errors else tuple(f for f in files if _acceptable(f))
        complaint = _open_complaint_for(mail, customer)
        text = mail.text.strip() or mail.subject
        if complaint is not None and complaint.status != Step.CLOSED:
            services.complaint_message(complaint=complaint, text=text[: services.MAX_TEXT], channel=ComplaintChannel.EMAIL, files=kept, at=mail.received_at)
        else:
            filing = services.Filing(
                customer=customer, contact=contact, channel=ComplaintChannel.EMAIL, subject=(mail.subject or text)[: services.MAX_SUBJECT],
                description=text[: services.MAX_TEXT], reporter_name=mail.from_name[:100], reporter_email=mail.from_address[:254],
                received_at=mail.received_at, files=kept,
            )  # fmt: skip
            complaint = services.complaint_create(by=None, filing=filing)
        MailReceipt.objects.filter(pk=receipt.pk).update(complaint=complaint)
        return complaint


def _acceptable(upload: uploads.Upload) -> bool:
    errors: dict[str, list[str]] = {}
    uploads.check_all((upload,), errors)
    return not errors


def mailbox_poll(*, mailbox, limit: int = 100) -> dict[str, int]:
    """Read the mailbox's unseen mail; each one filed is marked seen. A mail
    that cannot be filed stays unseen and is logged, and the rest go on."""
    counts = {"read": 0, "filed": 0, "skipped": 0, "failed": 0}
    with mailbox as box:
        for mail in box.unseen(limit=limit):
            counts["read"] += 1
            try:
                result = mail_receive(mail=mail)
            except Exception:
                counts["failed"] += 1
                logger.exception("Mail %s from %s could not be filed", mail.uid, mail.from_address)
                continue
            counts["filed" if result is not None else "skipped"] += 1
            box.mark_seen(mail.uid)
    return counts
