from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.customers import access
from manyi.customers.depth import depth_record
from manyi.customers.models import Contact, Customer, Depth, DepthEvidence
from manyi.emotion.engine import Engine, Reading
from manyi.interactions.models import (
    Direction,
    EmotionReading,
    Interaction,
    InteractionKind,
    words_of,
)

logger = logging.getLogger(__name__)

FIELDS = ("kind", "direction", "channel", "occurred_at", "subject", "participants", "text", "outcome")


@transaction.atomic
def interaction_create(*, by: User, customer: Customer, data: dict[str, Any]) -> Interaction:
    """Log a visit, call, e-mail, chat, meeting or note on a customer the user can see."""
    if not access.can_log_interaction(by, customer):
        raise PermissionDenied(_("Your role may not log interactions."))
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - set(FIELDS) - {"contact"})
    for name in unknown:
        errors[name] = [_("Unknown field.")]
    item = Interaction(customer=customer, created_by=by)
    for name in FIELDS:
        if name in data and data[name] is not None:
            value = data[name]
            setattr(item, name, value.strip() if isinstance(value, str) else value)
    if item.occurred_at is None:
        item.occurred_at = timezone.now()
    elif item.occurred_at > timezone.now() + timedelta(days=1) and item.kind != "visit":
        errors.setdefault("occurred_at", []).append(_("Only a planned visit can lie in the future."))
    contact = data.get("contact")
    if contact is not None:
        if not isinstance(contact, Contact) or contact.customer_id != customer.pk or contact.deleted_at is not None:
            errors.setdefault("contact", []).append(_("This contact does not belong to the customer."))
        else:
            item.contact = contact
    if not (item.text or item.subject or item.outcome):
        errors.setdefault("text", []).append(_("Write what was said or done."))
    try:
        item.full_clean(exclude=["customer", "contact", "created_by", *errors])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    item.save()
    Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now())
    emotion_reading_store(interaction=item)
    if item.kind != InteractionKind.NOTE and customer.depth == Depth.AWARENESS:
        depth_record(customer=customer, evidence=DepthEvidence.FIRST_INTERACTION, by=by)
    return item


# What a reading keeps of the engine's Reading (besides its interaction, customer and time).
READING_FIELDS = (
    "model_version", "polarity", "polarity_score", "primary", "emotions", "intensity", "escalation", "complaint", "cause", "tags", "evidence",
)  # fmt: skip


def _reading(item: Interaction | Any, reading: Reading) -> EmotionReading:
    """The row for an interaction (or its values: pk, customer_id, occurred_at) and the engine's reading."""
    return EmotionReading(
        interaction_id=item.pk,
        customer_id=item.customer_id,
        occurred_at=item.occurred_at,
        model_version=reading.model_version,
        polarity=reading.polarity,
        polarity_score=reading.polarity_score,
        primary=reading.primary,
        emotions={name: round(p, 4) for name, p in reading.emotions.items()},
        intensity=reading.intensity,
        escalation=reading.escalation,
        complaint=reading.complaint,
        cause=reading.cause or "",
        tags=list(reading.tags),
        evidence=[{"text": e.text, "start": e.start, "end": e.end, "points_to": e.points_to} for e in reading.evidence],
    )


def emotion_reading_store(*, interaction: Interaction) -> EmotionReading | None:
    """Read the emotion in an inbound interaction's words and keep it (none for
    an outbound one, or one without words). Never raises: a reading that
    fails is logged and the interaction is kept as it was saved (the reading
    is written in a savepoint of its own)."""
    words = interaction.customer_words()
    try:
        with transaction.atomic():
            if not words:
                EmotionReading.objects.filter(interaction=interaction).delete()
                return None
            row = _reading(interaction, Engine.default().analyze(words))
            values = {name: getattr(row, name) for name in ("customer_id", "occurred_at", *READING_FIELDS)}
            stored, _created = EmotionReading.objects.update_or_create(interaction=interaction, defaults=values)
            return stored
    except Exception:
        logger.exception("The emotion reading of interaction %s failed; the interaction is saved without one.", interaction.pk)
        return None


def _inbound_with_words():
    return Interaction.objects.filter(direction=Direction.INBOUND).exclude(subject="", text="")


def readings_store_many(rows: Iterable[Any]) -> int:
    """Read and keep (or replace) the readings of many interactions at once:
    rows with pk, customer_id, occurred_at, subject and text. One batched
    analysis and one bulk write."""
    rows = list(rows)
    if not rows:
        return 0
    readings = Engine.default().analyze_many([words_of(r.subject, r.text) for r in rows])
    EmotionReading.objects.bulk_create(
        [_reading(row, reading) for row, reading in zip(rows, readings, strict=True)],
        update_conflicts=True,
        unique_fields=["interaction"],
        update_fields=["customer", "occurred_at", *READING_FIELDS],
    )
    return len(rows)


def readings_rescore(*, batch_size: int = 500, only_stale: bool = True, progress: Callable[[int, int], None] | None = None) -> int:
    """Read again the inbound interactions whose reading is missing or was made
    by another model version than the engine's (all of them with
    only_stale=False), `batch_size` at a time, each batch analysed together
    and written in one statement and one transaction. `progress(done, total)`
    after each batch. Returns how many were read."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    qs = _inbound_with_words()
    if only_stale:
        qs = qs.exclude(emotion__model_version=Engine.default().version)
    total = qs.count()
    done, last = 0, 0
    if progress:
        progress(done, total)
    while done < total:
        batch = list(qs.filter(pk__gt=last).order_by("pk").only("id", "customer_id", "occurred_at", "subject", "text")[:batch_size])
        if not batch:
            break
        with transaction.atomic():
            done += readings_store_many(batch)
        last = batch[-1].pk
        if progress:
            progress(min(done, total), total)
    return done
