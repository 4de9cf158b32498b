"""Every read of quotes, already filtered to what the asking user may see:
the list with its filters, one quote, its versions (each with its lines), its
events, and which actions the user may take on it now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import NotFound
from manyi.sales import access
from manyi.sales.models import Quote, QuoteEvent, QuoteStatus, QuoteVersion
from manyi.sales.services.quotes import ACTIONS, refusal

SORTS = {
    "-date": ("-created_at", "-id"),
    "date": ("created_at", "id"),
    "updated": ("-updated_at", "-id"),
    "total": ("current_total", "id"),
    "-total": ("-current_total", "-id"),
}
DEFAULT_SORT = "-date"
# "open": still to be decided by the customer.
OPEN = (QuoteStatus.DRAFT, QuoteStatus.PENDING, QuoteStatus.APPROVED, QuoteStatus.SENT)


@dataclass(frozen=True)
class QuoteFilters:
    status: str = ""  # "", "open", or one QuoteStatus
    customer: int | None = None
    deal: int | None = None
    q: str = ""  # number or customer name contains
    sort: str = DEFAULT_SORT


def _annotated(qs: QuerySet[Quote]) -> QuerySet[Quote]:
    """Each quote with its current version's number and total."""
    current = QuoteVersion.objects.filter(quote=OuterRef("pk")).order_by("-number")
    return qs.annotate(current_number=Subquery(current.values("number")[:1]), current_total=Subquery(current.values("total")[:1]))


def quote_list(*, user: User, filters: QuoteFilters | None = None) -> QuerySet[Quote]:
    """The quotes `user` may see, newest first unless another order is asked for."""
    f = filters or QuoteFilters()
    qs = _annotated(access.visible_quotes(user).select_related("customer", "owner", "deal"))
    if f.status == "open":
        qs = qs.filter(status__in=OPEN)
    elif f.status in QuoteStatus.values:
        qs = qs.filter(status=f.status)
    if f.customer:
        qs = qs.filter(customer_id=f.customer)
    if f.deal:
        qs = qs.filter(deal_id=f.deal)
    q = (f.q or "").strip()
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(customer__name__icontains=q))
    return qs.order_by(*SORTS.get(f.sort, SORTS[DEFAULT_SORT]))


def quote_get(*, user: User, pk: Any) -> Quote:
    """One quote the user may see; NotFound for any other (an outsider learns nothing)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Quote not found.")) from None
    qs = _annotated(access.visible_quotes(user).select_related("customer", "owner", "deal", "order", "team"))
    found = qs.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Quote not found."))
    found._read_for = user.pk
    return found


def _check_visible(user: User, quote: Quote) -> None:
    """No query when quote_get loaded this very quote for this user."""
    if getattr(quote, "_read_for", None) == user.pk:
        return
    if not access.visible_quotes(user).filter(pk=quote.pk).exists():
        raise NotFound(_("Quote not found."))


def _versions(quote: Quote) -> QuerySet[QuoteVersion]:
    return quote.versions.select_related("created_by", "approved_by").prefetch_related("lines__product")


def quote_versions(*, user: User, quote: Quote) -> list[QuoteVersion]:
    """Every version, oldest first, each with its lines in order."""
    _check_visible(user, quote)
    return list(_versions(quote).order_by("number"))


def current_version(*, user: User, quote: Quote) -> QuoteVersion:
    """The newest version: the one the quote's status is about."""
    _check_visible(user, quote)
    return _versions(quote).order_by("-number").first()


def quote_version(*, user: User, quote: Quote, number: Any = None) -> QuoteVersion:
    """Version `number` of the quote, or the current one without a number."""
    if number in (None, ""):
        return current_version(user=user, quote=quote)
    _check_visible(user, quote)
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise NotFound(_("No such version.")) from None
    found = _versions(quote).filter(number=number).first()
    if found is None:
        raise NotFound(_("No such version."))
    return found


def quote_events(*, user: User, quote: Quote) -> list[QuoteEvent]:
    """What happened to the quote, oldest first, with who did it and on which version."""
    _check_visible(user, quote)
    return list(quote.events.select_related("by", "version").order_by("at", "id"))


def quote_actions(*, user: User, quote: Quote, version: QuoteVersion) -> frozenset[str]:
    """The actions `user` may take on the quote now (what the page offers)."""
    return frozenset(action for action in ACTIONS if refusal(action, by=user, quote=quote, version=version) is None)
