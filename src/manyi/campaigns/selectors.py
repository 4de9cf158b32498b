"""Every read of campaigns, templates, recipients and consent, already
filtered to what the asking user may see.

Who sees what:
- administrators: every campaign and template;
- managers and analysts: their team's campaigns (analysts read only);
- sales reps: the campaigns they created;
- service agents: none (they still see and record a customer's consent);
- templates: those of the user's team and the company-wide ones (no team).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Role, User
from manyi.analytics.models import COUNTED_STATUSES, Order
from manyi.campaigns import results
from manyi.campaigns.models import (
    Campaign,
    ChannelKind,
    ConsentEvent,
    DeliveryEvent,
    Group,
    Recipient,
    RecipientStatus,
    Template,
)
from manyi.core.errors import NotFound
from manyi.customers.access import visible_customers
from manyi.customers.models import Customer

# The audience keys a campaign may use (campaigns.models.Campaign.audience).
AUDIENCE_KEYS = ("segments", "tags", "grades", "importance", "winback", "owner")
RESULT_DAYS = 90


# --- who may do what ---------------------------------------------------------------


def can_run_campaigns(user: User) -> bool:
    """Create, launch, pause and cancel campaigns (reps: to their own customers)."""
    return bool(user and user.is_authenticated and user.is_active) and (user.is_admin or user.role in (Role.MANAGER, Role.SALES))


def can_see_campaigns(user: User) -> bool:
    return can_run_campaigns(user) or (bool(user and user.is_authenticated) and user.role == Role.ANALYST)


def can_manage(user: User, campaign: Campaign) -> bool:
    """Change, launch, pause, resume and cancel this campaign."""
    if not can_run_campaigns(user):
        return False
    if user.is_admin:
        return True
    if user.is_manager:
        return (user.team_id is not None and campaign.team_id == user.team_id) or campaign.created_by_id == user.pk
    return campaign.created_by_id == user.pk


# --- consent -------------------------------------------------------------------------


def consent_state(*, customer: Customer | int, channel: str) -> ConsentEvent | None:
    """The event in force (the latest) for the customer on the channel; None:
    never asked, which means no consent to marketing."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    return ConsentEvent.objects.filter(customer_id=customer_id, channel=channel).order_by("-at", "-id").first()


def consent_history(*, customer: Customer) -> QuerySet[ConsentEvent]:
    """Every grant and withdrawal of the customer, newest first (the customer is already visible)."""
    return ConsentEvent.objects.filter(customer=customer).select_related("by").order_by("-at", "-id")


def consent_latest(*, customer_ids: Iterable[int], channel: str, chunk: int = 2000) -> dict[int, bool]:
    """{customer id: consent in force} for many customers; customers never
    asked are absent (no consent). One query per `chunk` customers."""
    ids = list(customer_ids)
    states: dict[int, bool] = {}
    for start in range(0, len(ids), chunk):
        rows = (
            ConsentEvent.objects.filter(channel=channel, customer_id__in=ids[start : start + chunk])
            .order_by("customer_id", "at", "id")
            .values_list("customer_id", "granted")
        )
        for customer_id, granted in rows.iterator(chunk_size=5000):
            states[customer_id] = granted  # ascending: the last one written wins
    return states


def consenting(customers: QuerySet[Customer], *, channel: str) -> QuerySet[Customer]:
    """The customers whose consent in force on the channel is a grant (for counts and lists)."""
    latest = ConsentEvent.objects.filter(customer_id=OuterRef("pk"), channel=channel).order_by("-at", "-id").values("granted")[:1]
    return customers.annotate(consent_now=Subquery(latest)).filter(consent_now=True)


# --- audience ------------------------------------------------------------------------


def audience_base(*, user: User) -> QuerySet[Customer]:
    """The customers `user` may send campaigns to: an administrator all, a
    manager the team's, a rep their own."""
    if not can_run_campaigns(user):
        return Customer.objects.none()
    qs = visible_customers(user)
    if user.is_admin or user.is_manager:
        return qs
    return qs.filter(owner_id=user.pk)


def audience_customers(*, user: User, audience: dict[str, Any]) -> QuerySet[Customer]:
    """The audience (see Campaign.audience) among the customers `user` may
    send to; an empty definition is all of them. The audience is checked by
    campaigns.services.audience_check first."""
    from manyi.analytics.selectors import winback_list

    qs = audience_base(user=user)
    if audience.get("segments"):
        qs = qs.filter(value__segment__in=audience["segments"])
    if audience.get("tags"):
        tagged = Customer.tags.through.objects.filter(tag__name__in=audience["tags"]).values("customer_id")
        qs = qs.filter(pk__in=tagged)
    if audience.get("grades"):
        qs = qs.filter(grade__in=audience["grades"])
    if audience.get("importance"):
        qs = qs.filter(importance__in=audience["importance"])
    if audience.get("owner"):
        qs = qs.filter(owner_id=audience["owner"])
    if audience.get("winback"):
        qs = qs.filter(pk__in=winback_list(user=user).order_by().values("customer_id"))
    return qs


def audience_preview(*, user: User, audience: dict[str, Any], channel: str) -> dict[str, int]:
    """{"customers": n, "consenting": n} of an audience before launch."""
    qs = audience_customers(user=user, audience=audience)
    return {"customers": qs.count(), "consenting": consenting(qs, channel=channel).count()}


def in_control_group(*, campaign_id: int, customer_id: int, share: float) -> bool:
    """Deterministic: the same customer of the same campaign always falls on the same side."""
    digest = hashlib.sha256(f"campaign:{campaign_id}:customer:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


# --- campaigns and templates ----------------------------------------------------------


def campaign_list(*, user: User, status: str = "", kind: str = "") -> QuerySet[Campaign]:
    """The campaigns `user` may see, newest first."""
    qs = Campaign.objects.select_related("template", "created_by")
    if not can_see_campaigns(user):
        return qs.none()
    if not user.is_admin:
        if user.role in (Role.MANAGER, Role.ANALYST):
            qs = qs.filter(Q(team_id=user.team_id) if user.team_id else Q(created_by_id=user.pk))
        else:
            qs = qs.filter(created_by_id=user.pk)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def campaign_sent_counts(*, campaign_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{campaign id: {"total", "sent"}} of recipients, for a page of campaigns (already visible)."""
    rows = (
        Recipient.objects.filter(campaign__in=list(campaign_ids))
        .values("campaign_id")
        .annotate(total=Count("id"), sent=Count("id", filter=Q(status=RecipientStatus.SENT)))
        .order_by()
    )
    return {row["campaign_id"]: {"total": row["total"], "sent": row["sent"]} for row in rows}


def campaign_get(*, user: User, pk: Any) -> Campaign:
    try:
        return campaign_list(user=user).get(pk=int(pk))
    except (TypeError, ValueError, Campaign.DoesNotExist):
        raise NotFound(_("Campaign not found.")) from None


def campaign_counts(*, campaign: Campaign) -> dict[str, int]:
    """{status: recipients} plus "total", "control" and "uncertain"."""
    rows = campaign.recipients.values("status").annotate(n=Count("id")).order_by()
    counts = {s: 0 for s in RecipientStatus.values} | {r["status"]: r["n"] for r in rows}
    counts["total"] = sum(counts[s] for s in RecipientStatus.values)
    counts["control"] = campaign.recipients.filter(group=Group.CONTROL).count()
    return counts


def template_list(*, user: User, channel: str = "") -> QuerySet[Template]:
    qs = Template.objects.all()
    if not can_see_campaigns(user):
        return qs.none()
    if not user.is_admin:
        qs = qs.filter(Q(team__isnull=True) | Q(team_id=user.team_id)) if user.team_id else qs.filter(Q(team__isnull=True) | Q(created_by_id=user.pk))
    if channel:
        qs = qs.filter(channel=channel)
    return qs.order_by("name", "id")


def template_get(*, user: User, pk: Any) -> Template:
    try:
        return template_list(user=user).get(pk=int(pk))
    except (TypeError, ValueError, Template.DoesNotExist):
        raise NotFound(_("Template not found.")) from None


# --- recipients -----------------------------------------------------------------------


def recipient_list(*, campaign: Campaign, status: str = "", group: str = "", skip_reason: str = "") -> QuerySet[Recipient]:
    """The campaign's recipients (the campaign is already visible), in launch order."""
    qs = campaign.recipients.select_related("customer")
    if status:
        qs = qs.filter(status=status)
    if group:
        qs = qs.filter(group=group)
    if skip_reason:
        qs = qs.filter(skip_reason=skip_reason)
    return qs.order_by("id")


def campaign_events(*, campaign: Campaign, limit: int) -> list[DeliveryEvent]:
    """What came back for the campaign (already visible), latest first."""
    return list(DeliveryEvent.objects.filter(recipient__campaign=campaign).select_related("recipient__customer").order_by("-at", "-id")[:limit])


def sample_customer(*, user: User, campaign: Campaign) -> Customer | None:
    """Whom to show the message as: the first of the treatment group, or before launch the first customer of the audience."""
    first = campaign.recipients.filter(group=Group.TREATMENT).select_related("customer", "customer__owner").order_by("id").first()
    if first is not None:
        return first.customer
    return audience_customers(user=user, audience=campaign.audience).select_related("owner").order_by("pk").first()


def audience_counts(*, user: User, audience: dict[str, Any], channel: str, control_share: float, campaign: Campaign | None = None) -> dict[str, int | bool]:
    """Who an audience reaches before launch, the way campaign_launch sorts
    them: matched; with consent, no consent (never asked), unsubscribed; no
    address (among those with consent); held back (the control group, exact
    for a saved campaign, estimated for a new one); and who would receive it."""
    qs = audience_customers(user=user, audience=audience)
    latest = ConsentEvent.objects.filter(customer_id=OuterRef("pk"), channel=channel).order_by("-at", "-id").values("granted")[:1]
    if channel == ChannelKind.SMS:
        no_address = Q(mobile="") & Q(phone="")
    else:
        no_address = Q(email="")
    annotated = qs.annotate(consent_now=Subquery(latest))
    counts = annotated.aggregate(
        matched=Count("pk"), consenting=Count("pk", filter=Q(consent_now=True)), no_consent=Count("pk", filter=Q(consent_now__isnull=True)),
        unsubscribed=Count("pk", filter=Q(consent_now=False)), no_address=Count("pk", filter=Q(consent_now=True) & no_address),
    )  # fmt: skip
    reachable = counts["consenting"] - counts["no_address"]
    if campaign is not None and campaign.pk:
        ids = annotated.filter(consent_now=True).exclude(no_address).values_list("pk", flat=True)
        held = sum(in_control_group(campaign_id=campaign.pk, customer_id=pk, share=control_share) for pk in ids.iterator())
        estimated = False
    else:
        held, estimated = round(reachable * control_share), bool(control_share and reachable)
    return counts | {"held_back": held, "held_back_estimated": estimated, "receive": reachable - held}


def recipient_get(*, user: User, pk: Any) -> Recipient:
    try:
        return Recipient.objects.select_related("campaign", "customer").get(pk=int(pk), campaign__in=campaign_list(user=user))
    except (TypeError, ValueError, Recipient.DoesNotExist):
        raise NotFound(_("Recipient not found.")) from None


def recipient_events(*, recipient: Recipient) -> QuerySet[DeliveryEvent]:
    return recipient.events.order_by("-at", "-id")


# --- result -----------------------------------------------------------------------------


def campaign_result(*, campaign: Campaign, days: int = RESULT_DAYS) -> results.Comparison:
    """Customers who bought again (a counted order dated from the launch day
    up to `days` later) in the treatment group against the held-back control
    group. Every assigned customer counts (intent to treat), whether or not
    their message went out."""
    if campaign.launched_at is None:
        return results.compare(results.Group(0, 0), results.Group(0, 0))
    start = timezone.localdate(campaign.launched_at)
    end = start + dt.timedelta(days=days)
    bought = Order.objects.filter(customer_id=OuterRef("customer_id"), status__in=COUNTED_STATUSES, ordered_on__gte=start, ordered_on__lte=end)
    rows = (
        campaign.recipients.filter(group__in=[Group.TREATMENT, Group.CONTROL])
        .annotate(bought=Exists(bought))
        .values("group")
        .annotate(size=Count("id"), converted=Count("id", filter=Q(bought=True)))
        .order_by()
    )
    found = {r["group"]: results.Group(r["size"], r["converted"]) for r in rows}
    return results.compare(found.get(Group.TREATMENT, results.Group(0, 0)), found.get(Group.CONTROL, results.Group(0, 0)))
