"""Duplicate customers and contacts: the finder's scan, dismissing a pair, and
merging two records into one so that the merge can be undone.

A merge keeps one record (the survivor) with a value chosen per field from
either record, moves to it every row that points at the other record through
a foreign key (found from the model's relations, so models added later move
too), and soft-deletes the other. What it did is kept in a CustomerMerge or
ContactMerge row; undoing puts back exactly that.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from itertools import combinations, groupby
from operator import itemgetter
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.core.text import address_key
from manyi.customers import access, dedup
from manyi.customers.models import (
    ChangeAction,
    ChangeRecord,
    Contact,
    ContactMerge,
    Customer,
    CustomerMerge,
    DuplicatePair,
    PairStatus,
)
from manyi.customers.services import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    _diff,
    _set_search_keys,
    _snapshot,
    customer_keys_backfill,
)

Progress = Callable[[str, int, int | None], None]

# The columns the finder groups live customers by (each indexed).
KEY_COLUMNS = ("credit_code", "mobile", "phone", "email", "name_key")
# A key shared by more customers than this (a head office's switchboard) pairs
# each of them with the oldest only, not every two of them.
GROUP_CAP = 50
# Near addresses are looked for among this many neighbours in sorted order.
ADDRESS_WINDOW = 8
CHUNK = 2000
# Values that are no key: a name of only punctuation gets the name key "-".
NOT_KEYS = ("", "-")
SIDES = ("survivor", "other")


def _no_progress(stage: str, done: int, total: int | None) -> None:
    pass


# --- finding duplicates -------------------------------------------------------


def _live() -> models.QuerySet[Customer]:
    return Customer.objects.filter(deleted_at__isnull=True)


def _group_pairs(ids: list[int]) -> Iterator[tuple[int, int]]:
    ids = sorted(ids)
    if len(ids) > GROUP_CAP:
        return ((ids[0], pk) for pk in ids[1:])
    return combinations(ids, 2)


def _key_groups(column: str) -> Iterator[list[int]]:
    """Ids of live customers sharing a value of `column`, one list per value.
    A shared name groups companies only: hundreds of thousands of people are
    called 王伟, so two private customers of one name are offered as a pair
    only with more in common (a phone, an e-mail, a close address)."""
    live = _live().exclude(**{f"{column}__in": NOT_KEYS})
    if column == "name_key":
        live = live.filter(kind="enterprise")
    shared = live.order_by().values(column).annotate(n=Count("id")).filter(n__gt=1).values(column)
    rows = live.filter(**{f"{column}__in": shared}).order_by(column, "id").values_list(column, "id")
    for _value, group in groupby(rows.iterator(chunk_size=CHUNK), key=itemgetter(0)):
        yield [pk for _v, pk in group]


def _address_groups() -> Iterator[list[int]]:
    """Customers at one address (the same address key), and the oldest of two
    addresses close enough (dedup.addresses_close) among neighbours when the
    keys are sorted from the front and from the back."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for pk, address in _live().exclude(address="").order_by().values_list("id", "address").iterator(chunk_size=CHUNK):
        key = address_key(address)
        if len(key) >= dedup.MIN_ADDRESS_LENGTH:
            by_key[key].append(pk)
    yield from (ids for ids in by_key.values() if len(ids) > 1)
    keys = list(by_key)
    for ordered in (sorted(keys), sorted(keys, key=lambda k: k[::-1])):
        for i, key in enumerate(ordered):
            for near in ordered[i + 1 : i + 1 + ADDRESS_WINDOW]:
                if dedup.addresses_close(key, near):
                    yield [min(by_key[key]), min(by_key[near])]


def _keys_of(ids: list[int]) -> dict[int, dedup.Keys]:
    fields = ("credit_code", "mobile", "phone", "email", "name_key", "name_pinyin", "kind", "address", "city")
    out = {}
    for start in range(0, len(ids), CHUNK):
        for pk, *values in _live().filter(pk__in=ids[start : start + CHUNK]).values_list("id", *fields):
            row = dict(zip(fields, values, strict=True))
            row["address_key"] = address_key(row.pop("address"))
            out[pk] = dedup.Keys(**row)
    return out


@transaction.atomic
def duplicates_scan(*, by: User | None = None, progress: Progress | None = None) -> int:
    """Look for likely duplicates among the live customers and keep them as
    open DuplicatePairs (from dedup.MIN_SCORE up); returns how many are open.
    Pairs someone dismissed or merged stay so; open pairs no longer found are
    removed. `by` is None when the system scans (a command, a task)."""
    if by is not None and not (by.is_admin or by.is_manager):
        raise PermissionDenied(_("Only a manager or an administrator may look for duplicates."))
    progress = progress or _no_progress
    progress("keys", 0, None)
    customer_keys_backfill()
    candidates: set[tuple[int, int]] = set()
    for column in KEY_COLUMNS:
        progress(column, 0, None)
        for ids in _key_groups(column):
            candidates.update(_group_pairs(ids))
    progress("address", 0, None)
    for ids in _address_groups():
        candidates.update(_group_pairs(ids))

    ordered = sorted(candidates)
    progress("score", 0, len(ordered))
    keys = _keys_of(sorted({pk for pair in ordered for pk in pair}))
    found: dict[tuple[int, int], tuple[float, list[str]]] = {}
    for n, (a, b) in enumerate(ordered, 1):
        score, reasons = dedup.score(keys[a], keys[b])
        if score >= dedup.MIN_SCORE:
            found[(a, b)] = (score, reasons)
        if n % CHUNK == 0:
            progress("score", n, len(ordered))

    progress("save", 0, len(found))
    now = timezone.now()
    known = {(a, b): (pk, status) for pk, a, b, status in DuplicatePair.objects.values_list("id", "customer_a", "customer_b", "status")}
    stale = [pk for pair, (pk, status) in known.items() if status == PairStatus.OPEN and pair not in found]
    for start in range(0, len(stale), CHUNK):
        DuplicatePair.objects.filter(pk__in=stale[start : start + CHUNK]).delete()
    changed, new = [], []
    for (a, b), (score, reasons) in found.items():
        if (a, b) not in known:
            new.append(DuplicatePair(customer_a_id=a, customer_b_id=b, score=score, reasons=reasons, found_at=now))
        elif known[(a, b)][1] == PairStatus.OPEN:
            changed.append(DuplicatePair(pk=known[(a, b)][0], score=score, reasons=reasons, found_at=now))
    DuplicatePair.objects.bulk_create(new, batch_size=CHUNK)
    DuplicatePair.objects.bulk_update(changed, ["score", "reasons", "found_at"], batch_size=CHUNK)
    progress("save", len(found), len(found))
    return len(new) + len(changed)


def _check_can_edit_both(by: User, a: Customer, b: Customer, message: str) -> None:
    if not (access.can_edit(by, a) and access.can_edit(by, b)):
        raise PermissionDenied(message)


@transaction.atomic
def duplicate_dismiss(*, by: User, pair: DuplicatePair) -> DuplicatePair:
    """“Not a duplicate”: the finder will not offer this pair again."""
    pair = DuplicatePair.objects.select_for_update().select_related("customer_a", "customer_b").get(pk=pair.pk)
    _check_can_edit_both(by, pair.customer_a, pair.customer_b, _("You may only decide on customers you may change, both of them."))
    if pair.status != PairStatus.OPEN:
        raise ValidationFailed(_("This pair has already been decided on."), code="pair_decided")
    pair.status, pair.decided_by, pair.decided_at = PairStatus.DISMISSED, by, timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    return pair


# --- moving related rows -------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Dates, times and decimals as the strings DjangoJSONEncoder writes."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _relations(model: type[models.Model], keep: tuple[type[models.Model], ...]) -> list[models.ForeignKey]:
    """Every foreign key (and one-to-one) on another model that points at
    `model`, hidden ones too, but not the through table of `model`'s own
    many-to-many fields (tags are merged apart) nor the models in `keep`."""
    out = []
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        related = rel.related_model
        if related in keep or related._meta.auto_created is model:
            continue
        out.append(rel.field)
    return out


def _unique_partners(field: models.ForeignKey) -> list[tuple[str, ...]]:
    """The other columns of each unique set that includes `field`: a row of the
    other record whose partners the survivor's rows have already cannot move."""
    model = field.model
    sets = [tuple(c.fields) for c in model._meta.constraints if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None]
    sets += [tuple(names) for names in model._meta.unique_together]
    partners = []
    for names in sets:
        if field.name in names:
            partners.append(tuple(model._meta.get_field(n).attname for n in names if n != field.name))
    return partners


def _label(field: models.ForeignKey) -> str:
    return f"{field.model._meta.label}.{field.name}"


def _move_related(model: type[models.Model], survivor, other, keep: tuple[type[models.Model], ...]) -> dict[str, Any]:
    """Point every related row of `other` at `survivor`. A one-to-one row
    (figures computed for the record, such as analytics.CustomerValue: the next
    refresh computes the survivor's again) and a row the survivor has already
    (the same sharing grant) are deleted instead, kept serialised for undo —
    except a one-to-one row whose model says `merge_moves` (a loyalty
    membership): it moves, and two of them refuse the merge."""
    moved: dict[str, list[int]] = {}
    dropped: list[dict] = []
    for field in _relations(model, keep):
        manager = field.model._base_manager
        rows = manager.filter(**{field.name: other.pk})
        partner_sets = _unique_partners(field)
        if field.unique or () in partner_sets:  # one row per record
            if getattr(field.model, "merge_moves", False):  # a record of its own (a membership): it moves
                if rows.exists() and manager.filter(**{field.name: survivor.pk}).exists():
                    raise ValidationFailed(field.model.merge_conflict, code="merge_conflict")
                clash = []
            else:
                clash = list(rows.values_list("pk", flat=True))
        else:
            clash = []
            for partners in partner_sets:
                taken = set(manager.filter(**{field.name: survivor.pk}).values_list(*partners))
                clash += [pk for pk, *values in rows.values_list("pk", *partners) if tuple(values) in taken]
        if clash:
            dropped += _jsonable(serializers.serialize("python", manager.filter(pk__in=clash)))
            manager.filter(pk__in=clash).delete()
        ids = list(rows.values_list("pk", flat=True))
        for start in range(0, len(ids), CHUNK):
            manager.filter(pk__in=ids[start : start + CHUNK]).update(**{field.name: survivor.pk})
        if ids:
            moved[_label(field)] = ids
    return {"rows": moved, "dropped": dropped}


def _move_back(moved: dict[str, Any], survivor, other) -> None:
    for label, ids in moved["rows"].items():
        model_label, field_name = label.rsplit(".", 1)
        manager = apps.get_model(model_label)._base_manager
        for start in range(0, len(ids), CHUNK):
            manager.filter(pk__in=ids[start : start + CHUNK], **{field_name: survivor.pk}).update(**{field_name: other.pk})
    for row in serializers.deserialize("python", moved["dropped"]):
        row.save()


# --- choosing values ------------------------------------------------------------


def _clean_choices(choices: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    errors = {}
    for name, side in choices.items():
        if name not in fields:
            errors[name] = [_("This field cannot be chosen in a merge.")]
        elif side not in SIDES:
            errors[name] = [_("Choose the survivor's value or the other record's.")]
    if errors:
        raise ValidationFailed(_("Some of the chosen values cannot be merged."), fields=errors)
    return dict(choices)


def _take_values(survivor, other, choices: dict[str, str]) -> dict[str, list[Any]]:
    """Copy the values chosen from `other` onto `survivor`; returns
    {field: [value before, value after]} (as JSON) of the fields that changed."""
    changed = {}
    for name, side in choices.items():
        old, new = getattr(survivor, name), getattr(other, name)
        if side == "other" and old != new:
            setattr(survivor, name, new)
            changed[name] = _jsonable([old, new])
    return changed


def _put_values_back(record, fields: dict[str, list[Any]]) -> list[str]:
    """Restore each field a merge set, unless someone has changed it since
    (their later value stays); returns the fields restored."""
    restored = []
    for name, (old, new) in fields.items():
        field = record._meta.get_field(name)
        if _jsonable(getattr(record, name)) == new:
            setattr(record, name, field.to_python(old))
            restored.append(name)
    return restored


def _named(record) -> str:
    return f"{record.name} (#{record.pk})"


def _merge_note(field: str, *, old: str = "", new: str = "") -> dict[str, str]:
    labels = {"merged_from": _("merged from"), "merged_into": _("merged into")}
    return {"field": field, "label": str(labels[field]), "old": old, "new": new}


def _locked(model: type[models.Model], *records) -> list:
    """The records again, locked, in id order (two merges never wait on each other crosswise)."""
    rows = {r.pk: r for r in model._base_manager.select_for_update().filter(pk__in=[r.pk for r in records]).order_by("pk")}
    return [rows[r.pk] for r in records]


def _check_live(*records) -> None:
    for record in records:
        if record.deleted_at is not None:
            raise ValidationFailed(_("“%(name)s” has been deleted; it cannot be merged.") % {"name": record.name}, code="deleted")


# --- customers ------------------------------------------------------------------

CUSTOMER_KEEP = (ChangeRecord, DuplicatePair, CustomerMerge)


def _pair_of(a: Customer, b: Customer) -> models.QuerySet[DuplicatePair]:
    return DuplicatePair.objects.filter(customer_a_id=min(a.pk, b.pk), customer_b_id=max(a.pk, b.pk))


@transaction.atomic
def customer_merge(*, by: User, survivor: Customer, other: Customer, choices: dict[str, str]) -> CustomerMerge:
    """Merge `other` into `survivor`: each field in `choices` takes the
    survivor's or the other's value, tags are combined, related rows move to
    the survivor and `other` is deleted (undo with customer_merge_undo)."""
    if survivor.pk == other.pk:
        raise ValidationFailed(_("A customer cannot be merged with itself."), code="same_record")
    survivor, other = _locked(Customer, survivor, other)
    _check_can_edit_both(by, survivor, other, _("You may only merge customers you may change, both of them."))
    _check_live(survivor, other)
    choices = _clean_choices(choices, CUSTOMER_FIELDS)

    shown_before = _snapshot(survivor, CUSTOMER_FIELDS)
    tags_before = sorted(survivor.tags.values_list("name", flat=True))
    fields = _take_values(survivor, other, choices)
    _set_search_keys(survivor)
    survivor.save()
    added_tags = sorted(set(other.tags.values_list("name", flat=True)) - set(tags_before))
    survivor.tags.add(*other.tags.filter(name__in=added_tags))
    moved = _move_related(Customer, survivor, other, CUSTOMER_KEEP)
    now = timezone.now()
    Customer.objects.filter(pk=other.pk).update(deleted_at=now, deleted_by=by)
    _pair_of(survivor, other).update(status=PairStatus.MERGED, decided_by=by, decided_at=now)

    changes = [_merge_note("merged_from", new=_named(other)), *_diff(Customer, shown_before, _snapshot(survivor, CUSTOMER_FIELDS))]
    if added_tags:
        changes += _diff(Customer, {"tags": ", ".join(tags_before)}, {"tags": ", ".join(sorted([*tags_before, *added_tags]))})
    ChangeRecord.objects.create(customer=survivor, actor=by, action=ChangeAction.UPDATED, changes=changes)
    ChangeRecord.objects.create(customer=other, actor=by, action=ChangeAction.DELETED, changes=[_merge_note("merged_into", new=_named(survivor))])
    return CustomerMerge.objects.create(
        survivor=survivor, other=other, by=by, choices=choices, before={"fields": fields, "tags_added": added_tags}, moved=moved
    )


def _later_merge(merge: CustomerMerge) -> CustomerMerge | ContactMerge | None:
    """A merge after `merge`, not undone, of either customer or of their contacts."""
    ids = (merge.survivor_id, merge.other_id)
    later = CustomerMerge.objects.filter(pk__gt=merge.pk, undone_at__isnull=True).filter(Q(survivor__in=ids) | Q(other__in=ids))
    found = later.select_related("survivor", "other").order_by("pk").first()
    if found is None:
        contacts = ContactMerge.objects.filter(at__gte=merge.at, undone_at__isnull=True, survivor__customer__in=ids)
        found = contacts.select_related("survivor", "other").order_by("pk").first()
    return found


@transaction.atomic
def customer_merge_undo(*, by: User, merge: CustomerMerge) -> CustomerMerge:
    """Undo a merge: the survivor's merged values and added tags go back
    (fields changed since keep their later value), the moved rows return to
    the other customer, which is restored."""
    merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    survivor, other = _locked(Customer, merge.survivor, merge.other)
    _check_can_edit_both(by, survivor, other, _("You may only undo merges of customers you may change, both of them."))
    if merge.is_undone:
        raise ValidationFailed(_("This merge has already been undone."), code="merge_undone")
    later = _later_merge(merge)
    if later is not None:
        raise ValidationFailed(
            _("“%(survivor)s” and “%(other)s” were merged after this; undo that merge first.") % {"survivor": later.survivor.name, "other": later.other.name},
            code="later_merge",
        )

    shown_before = _snapshot(survivor, CUSTOMER_FIELDS)
    tags_before = sorted(survivor.tags.values_list("name", flat=True))
    _put_values_back(survivor, merge.before["fields"])
    _set_search_keys(survivor)
    survivor.save()
    survivor.tags.remove(*survivor.tags.filter(name__in=merge.before["tags_added"]))
    _move_back(merge.moved, survivor, other)
    Customer.objects.filter(pk=other.pk).update(deleted_at=None, deleted_by=None)
    _pair_of(survivor, other).update(status=PairStatus.OPEN, decided_by=None, decided_at=None)

    changes = [_merge_note("merged_from", old=_named(other)), *_diff(Customer, shown_before, _snapshot(survivor, CUSTOMER_FIELDS))]
    changes += _diff(Customer, {"tags": ", ".join(tags_before)}, {"tags": ", ".join(sorted(survivor.tags.values_list("name", flat=True)))})
    ChangeRecord.objects.create(customer=survivor, actor=by, action=ChangeAction.UPDATED, changes=changes)
    ChangeRecord.objects.create(customer=other, actor=by, action=ChangeAction.RESTORED, changes=[_merge_note("merged_into", old=_named(survivor))])
    merge.undone_at, merge.undone_by = timezone.now(), by
    merge.save(update_fields=["undone_at", "undone_by"])
    return merge


# --- contacts -------------------------------------------------------------------

CONTACT_KEEP = (ChangeRecord, ContactMerge)


def _check_contacts(by: User, survivor: Contact, other: Contact) -> Customer:
    if survivor.customer_id != other.customer_id:
        raise ValidationFailed(_("Only contacts of one customer can be merged."), code="other_customer")
    customer = Customer.objects.get(pk=survivor.customer_id)
    if not access.can_edit(by, customer):
        raise PermissionDenied(_("You may not change the contacts of this customer."))
    return customer


@transaction.atomic
def contact_merge(*, by: User, survivor: Contact, other: Contact, choices: dict[str, str]) -> ContactMerge:
    """Merge contact `other` into `survivor` (both of one customer): chosen
    values, interactions and anything else that names `other` move over, and
    `other` is deleted (undo with contact_merge_undo)."""
    if survivor.pk == other.pk:
        raise ValidationFailed(_("A contact cannot be merged with itself."), code="same_record")
    survivor, other = _locked(Contact, survivor, other)
    customer = _check_contacts(by, survivor, other)
    _check_live(survivor, other)
    choices = _clean_choices(choices, CONTACT_FIELDS)

    shown_before = _snapshot(survivor, CONTACT_FIELDS)
    fields = _take_values(survivor, other, choices)
    _set_search_keys(survivor)
    survivor.save()
    moved = _move_related(Contact, survivor, other, CONTACT_KEEP)
    Contact.objects.filter(pk=other.pk).update(deleted_at=timezone.now())

    changes = [_merge_note("merged_from", new=_named(other)), *_diff(Contact, shown_before, _snapshot(survivor, CONTACT_FIELDS))]
    ChangeRecord.objects.create(customer=customer, contact=survivor, actor=by, action=ChangeAction.UPDATED, changes=changes)
    ChangeRecord.objects.create(
        customer=customer, contact=other, actor=by, action=ChangeAction.DELETED, changes=[_merge_note("merged_into", new=_named(survivor))]
    )
    return ContactMerge.objects.create(survivor=survivor, other=other, by=by, choices=choices, before={"fields": fields}, moved=moved)


@transaction.atomic
def contact_merge_undo(*, by: User, merge: ContactMerge) -> ContactMerge:
    merge = ContactMerge.objects.select_for_update().get(pk=merge.pk)
    survivor, other = _locked(Contact, merge.survivor, merge.other)
    customer = _check_contacts(by, survivor, other)
    if merge.is_undone:
        raise ValidationFailed(_("This merge has already been undone."), code="merge_undone")
    ids = (survivor.pk, other.pk)
    later = ContactMerge.objects.filter(pk__gt=merge.pk, undone_at__isnull=True).filter(Q(survivor__in=ids) | Q(other__in=ids))
    found = later.select_related("survivor", "other").order_by("pk").first()
    if found is not None:
        raise ValidationFailed(
            _("“%(survivor)s” and “%(other)s” were merged after this; undo that merge first.") % {"survivor": found.survivor.name, "other": found.other.name},
            code="later_merge",
        )

    shown_before = _snapshot(survivor, CONTACT_FIELDS)
    _put_values_back(survivor, merge.before["fields"])
    _set_search_keys(survivor)
    survivor.save()
    _move_back(merge.moved, survivor, other)
    Contact.objects.filter(pk=other.pk).update(deleted_at=None)

    changes = [_merge_note("merged_from", old=_named(other)), *_diff(Contact, shown_before, _snapshot(survivor, CONTACT_FIELDS))]
    ChangeRecord.objects.create(customer=customer, contact=survivor, actor=by, action=ChangeAction.UPDATED, changes=changes)
    ChangeRecord.objects.create(
        customer=customer, contact=other, actor=by, action=ChangeAction.RESTORED, changes=[_merge_note("merged_into", old=_named(survivor))]
    )
    merge.undone_at, merge.undone_by = timezone.now(), by
    merge.save(update_fields=["undone_at", "undone_by"])
    return merge
