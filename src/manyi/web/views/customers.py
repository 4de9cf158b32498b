from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.accounts.selectors import active_user_get
from manyi.analytics import selectors as value_selectors
from manyi.analytics import services as value_services
from manyi.core.errors import ValidationFailed
from manyi.customers import access, selectors, services, styles
from manyi.customers.models import Customer, CustomerAccess
from manyi.interactions.selectors import customer_overview, customer_timeline
from manyi.sales import access as sales_access
from manyi.sales.selectors import deals as deal_selectors
from manyi.sales.selectors.deals import DealFilters
from manyi.service import selectors as complaint_selectors
from manyi.service.selectors import ComplaintFilters
from manyi.web.emotion import emotion_panel
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms import CustomerForm, GrantForm
from manyi.web.htmx import is_htmx
from manyi.web.pagination import paginate
from manyi.web.profile import profile_sections
from manyi.web.relationship import relationship_panel
from manyi.web.views.analytics import value_card
from manyi.web.views.orders import order_rows
from manyi.web.views.public import link_panel


def list_filters(request) -> selectors.CustomerFilters:
    get = request.GET
    owner = get.get("owner", "")
    return selectors.CustomerFilters(
        q=get.get("q", "").strip(),
        **{name: get.get(name, "") for name in ("kind", "category", "importance", "grade", "depth", "tag")},
        owner=int(owner) if owner.isdigit() and access.can_assign_owner(request.user) else None,
        sort=get.get("sort") if get.get("sort") in selectors.SORTS else selectors.DEFAULT_SORT,
    )


def _owner_choices(user, selected: int | None) -> list[tuple[int, str]] | None:
    """The owner filter's options as the page first shows them: only the one
    chosen. The rest load when the select is first used (customer_owner_options):
    few list views use it, and an administrator's lists hundreds of people."""
    if not access.can_assign_owner(user):
        return None
    return [(pk, name) for pk, name in selectors.owner_choices(user=user) if pk == selected] if selected else []


@page
def customer_list(request):
    filters = list_filters(request)
    context = {
        "filters": filters,
        "page_obj": paginate(request, selectors.CustomerListing(user=request.user, filters=filters)),
        "choice_filters": [
            (name, Customer._meta.get_field(name).verbose_name, Customer.choice_labels(name).items(), getattr(filters, name))
            for name in ("kind", "category", "importance", "grade", "depth")
        ],
        "owners": _owner_choices(request.user, filters.owner),
        "can_create": access.can_create_customers(request.user),
    }  # fmt: skip
    template = "web/customers/list.html#results" if is_htmx(request) else "web/customers/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@page
def customer_owner_options(request):
    """Every option of the owner filter, the chosen one selected."""
    require(access.can_assign_owner(request.user), _("Your role may not filter by owner."))
    context = {"owners": selectors.owner_choices(user=request.user), "selected": request.GET.get("owner", "")}
    return render(request, "web/customers/list.html#owner_options", context)


@page
def customer_deleted(request):
    require(request.user.is_admin, _("Only an administrator can see deleted customers."))
    filters = selectors.CustomerFilters(deleted=True, sort="-updated")
    customers = selectors.customer_list(user=request.user, filters=filters).select_related("deleted_by")
    return render(request, "web/customers/deleted.html", {"page_obj": paginate(request, customers)})


def _save_customer(form, save):
    """Validate the form, call the service, and put its errors back on the form."""
    if not form.is_valid():
        return None
    try:
        return save(form.service_data())
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return None


@page
def customer_new(request):
    require(access.can_create_customers(request.user), _("Your role may not create customers."))
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST":
        customer = _save_customer(form, lambda data: services.customer_create(by=request.user, data=data))
        if customer:
            messages.success(request, _("Customer “%(name)s” created.") % {"name": customer.name})
            return redirect("web:customer_detail", pk=customer.pk)
    return render(request, "web/customers/form.html", {"form": form})


@page
def customer_edit(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk)
    require(access.can_edit(request.user, customer), _("You may not change this customer."))
    form = CustomerForm(request.POST or None, user=request.user, instance=customer)
    if request.method == "POST":
        saved = _save_customer(form, lambda data: services.customer_update(by=request.user, customer=customer, data=data))
        if saved:
            messages.success(request, _("Changes saved."))
            return redirect("web:customer_detail", pk=customer.pk)
    return render(request, "web/customers/form.html", {"form": form, "customer": customer})


TIMELINE_PAGE = 20


def timeline_page(entries) -> dict:
    """One page of timeline entries (read one more than a page) and, when
    older entries exist, the time to continue from."""
    more = len(entries) > TIMELINE_PAGE
    entries = entries[:TIMELINE_PAGE]
    return {"timeline": entries, "timeline_more": entries[-1].at.isoformat() if more else ""}


def detail_context(request, customer, *, interaction_form=None):
    user = request.user
    profile = selectors.customer_profile(user=user, customer=customer)
    can_edit = access.can_edit(user, customer)
    overview = customer_overview(user=user, customer=customer, limit=TIMELINE_PAGE + 1, grant_choices=can_edit)
    context = {
        "customer": customer,
        "sections": profile_sections(customer, hidden=profile["hidden"]),
        "contacts": [(c, styles.social_style_advice(c.social_style), styles.temperament_advice(c.temperament)) for c in overview.contacts],
        "style_advice": styles.social_style_advice(customer.social_style),
        "temperament_advice": styles.temperament_advice(customer.temperament),
        **timeline_page(overview.timeline),
        "emotion": emotion_panel(overview.readings),
        "grants": overview.grants,
        "can_edit": can_edit,
        "can_log": access.can_log_interaction(user, customer),
        # Loaded when the user opens "Log an interaction": rendering its
        # widgets cost the 360° page a third of its time.
        "interaction_form": interaction_form,
        # The customer's value as of the last refresh, and the latest orders.
        "value": value_card(value_selectors.customer_figures(user=user, customer=customer), customer),
        "recent_orders": order_rows(value_selectors.order_list(user=user, customer=customer)[:3]),
        "can_enter_orders": value_services.can_enter_orders(user),
    }
    context.update(link_panel(user, customer))
    context["complaints"] = list(complaint_selectors.complaint_list(user=user, filters=ComplaintFilters(status="all", customer=customer.pk, sort="newest"))[:5])
    context["deals"] = list(deal_selectors.deal_list(user=user, filters=DealFilters(status="", customer=customer.pk))[:5])
    context["can_sell"] = sales_access.can_sell(user)
    context["relationship"] = relationship_panel(user, customer)
    if can_edit:
        context["grant_users"] = overview.grant_choices
        context["grant_kinds"] = CustomerAccess.choice_labels("kind").items()
    return context


@page
def customer_detail(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk)
    return render(request, "web/customers/detail.html", detail_context(request, customer))


@page
def customer_timeline_older(request, pk):
    """The next page of older timeline entries, for the "show older" button."""
    customer = selectors.customer_get(user=request.user, pk=pk)
    try:
        before = parse_datetime(request.GET.get("before", ""))
    except ValueError:
        before = None
    if before is None:
        raise ValidationFailed(_("“before” must be a date and time, e.g. 2026-11-27T10:00:00+08:00."))
    entries = customer_timeline(user=request.user, customer=customer, limit=TIMELINE_PAGE + 1, before=before)
    context = {"customer": customer, **timeline_page(entries)}
    return render(request, "web/customers/detail.html#timeline_page", context)


@page
@require_POST
def customer_delete(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk)
    services.customer_delete(by=request.user, customer=customer)
    messages.success(request, _("Customer “%(name)s” deleted.") % {"name": customer.name})
    return redirect("web:customer_list")


@page
@require_POST
def customer_restore(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk, include_deleted=True)
    try:
        services.customer_restore(by=request.user, customer=customer)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Customer “%(name)s” restored.") % {"name": customer.name})
    return redirect("web:customer_detail", pk=customer.pk)


@page
@require_POST
def grant_add(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk)
    require(access.can_edit(request.user, customer), _("You may not share this customer."))
    form = GrantForm(request.POST, candidates=selectors.grant_candidates(customer=customer))
    if form.is_valid():
        services.customer_grant_access(by=request.user, customer=customer, **form.cleaned_data)
        messages.success(request, _("Access granted to %(user)s.") % {"user": form.cleaned_data["user"]})
    else:
        messages.error(request, _("Choose a colleague and the kind of access."))
    return redirect(reverse("web:customer_detail", args=[customer.pk]) + "#access")


@page
@require_POST
def grant_remove(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk)
    user = active_user_get(ref=request.POST.get("user", ""))
    services.customer_revoke_access(by=request.user, customer=customer, user=user, kind=request.POST.get("kind", ""))
    messages.success(request, _("Access of %(user)s removed.") % {"user": user})
    return redirect(reverse("web:customer_detail", args=[customer.pk]) + "#access")
