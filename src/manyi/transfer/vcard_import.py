"""Contacts from a vCard file (a phone's or a mail program's export), added to
one customer through customers.services.contact_create: one write path."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.core.text import PhoneError, normalize_phone
from manyi.customers import access, services
from manyi.customers.models import Contact, Customer
from manyi.transfer import vcard

MAX_VCARD_BYTES = 5 * 1024 * 1024


@dataclass
class VcardResult:
    created: int = 0
    skipped_duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (file line, message)


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with its BOM (Outlook's
    "Unicode"), else GB18030 (older Chinese phones and Windows)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def size_error(size: int) -> str | None:
    """Why a file of `size` bytes is refused, or None; the upload form asks
    too, before the file is read."""
    if size > MAX_VCARD_BYTES:
        return _("The file is larger than %(mb)d MB; split it and upload the parts.") % {"mb": MAX_VCARD_BYTES // (1024 * 1024)}
    return None


def problem_message(problem: vcard.Problem) -> str:
    messages = {
        "unterminated": _("The card has no END:VCARD line; it was not read."),
        "bad_line": _("“%(detail)s” is not a vCard line (NAME:value)."),
        "charset": _("The card's text is not in the character set it names (%(detail)s)."),
        "no_name": _("The card has no name (neither FN nor N)."),
        "outside": _("“%(detail)s” is outside any BEGIN:VCARD … END:VCARD and was passed over."),
    }
    return messages[problem.code] % {"detail": problem.detail}


def _phone_key(number: str) -> str:
    try:
        return normalize_phone(number)
    except PhoneError:
        return ""


def _contact_data(card: dict[str, Any]) -> dict[str, Any]:
    """The contact fields of a card; numbers and addresses beyond the first go in the notes."""
    notes = [card["notes"]]
    if card["more_phones"]:
        notes.append(_("Other phone numbers: %(numbers)s") % {"numbers": ", ".join(card["more_phones"])})
    if card["more_emails"]:
        notes.append(_("Other e-mail addresses: %(addresses)s") % {"addresses": ", ".join(card["more_emails"])})
    data = {name: card[name] for name in ("name", "title", "department", "mobile", "phone", "email", "birthday")}
    return data | {"notes": "\n".join(filter(None, notes))}


def _error_message(card: dict[str, Any], exc: ValidationFailed) -> str:
    """“张三: mobile: … is not a valid phone number” from a service's field errors."""
    problems = []
    for name, messages in exc.fields.items():
        label = str(Contact._meta.get_field(name).verbose_name) if name in services.CONTACT_FIELDS else name
        problems += [f"{label}: {message}" for message in messages]
    return f"{card['name']}: {'; '.join(problems) or exc.message}"


def vcard_import(*, by: User, customer: Customer, data: bytes) -> VcardResult:
    """Add each card of a .vcf file as a contact of `customer`. A card whose
    mobile or e-mail matches a live contact of the customer (or a card before
    it in the file) is skipped as a duplicate; a card that cannot be read or
    stored is reported with its line and the reason, and the others are added."""
    if not access.can_edit(by, customer):
        raise PermissionDenied(_("You may not change the contacts of this customer."))
    message = size_error(len(data))
    if message:
        raise ValidationFailed(message, code="too_large", fields={"file": [message]})
    text = decode(data)
    if "BEGIN:VCARD" not in text.upper():
        message = _("This is not a vCard file: it has no BEGIN:VCARD line. Export the contacts as .vcf and upload that file.")
        raise ValidationFailed(message, code="not_vcard", fields={"file": [message]})
    live = Contact.objects.filter(customer=customer, deleted_at__isnull=True).values_list("mobile", "email")
    mobiles = {mobile for mobile, _email in live if mobile}
    emails = {email.lower() for _mobile, email in live if email}
    result = VcardResult()
    for line, card in vcard.parse_vcards(text):
        if isinstance(card, vcard.Problem):
            result.errors.append((line, problem_message(card)))
            continue
        mobile, email = _phone_key(card["mobile"]), card["email"].strip().lower()
        if (mobile and mobile in mobiles) or (email and email in emails):
            result.skipped_duplicates += 1
            continue
        try:
            services.contact_create(by=by, customer=customer, data=_contact_data(card))
        except ValidationFailed as exc:
            result.errors.append((line, _error_message(card, exc)))
            continue
        result.created += 1
        mobiles.add(mobile)
        emails.add(email)
    return result
