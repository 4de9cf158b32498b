from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.core.errors import ValidationFailed
from manyi.customers import access, selectors
from manyi.interactions import services
from manyi.interactions.selectors import TimelineEntry
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms import InteractionForm
from manyi.web.htmx import is_htmx
from manyi.web.views.customers import detail_context

DETAIL = "web/customers/detail.html"


@page
def interaction_form(request, pk):
    """The empty "log an interaction" form, fetched when the user opens it on the 360° page."""
    customer = selectors.customer_get(user=request.user, pk=pk)
    require(access.can_log_interaction(request.user, customer), _("Your role may not log interactions."))
    form = InteractionForm(contacts=selectors.contact_list(user=request.user, customer=customer))
    return render(request, f"{DETAIL}#interaction_form", {"customer": customer, "interaction_form": form})


@page
@require_POST
def interaction_new(request, pk):
    """Log an interaction. With htmx the new entry is prepended to the timeline
    and the form comes back empty; errors re-render the form in place."""
    customer = selectors.customer_get(user=request.user, pk=pk)
    require(access.can_log_interaction(request.user, customer), _("Your role may not log interactions."))
    contacts = selectors.contact_list(user=request.user, customer=customer)
    form = InteractionForm(request.POST, contacts=contacts)
    item = None
    if form.is_valid():
        try:
            item = services.interaction_create(by=request.user, customer=customer, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
    if item is None:
        if is_htmx(request):
            response = render(request, f"{DETAIL}#interaction_form", {"customer": customer, "interaction_form": form})
            response["HX-Retarget"] = "#interaction-form"
            response["HX-Reswap"] = "outerHTML"
            return response
        return render(request, DETAIL, detail_context(request, customer, interaction_form=form))
    if is_htmx(request):
        return render(request, f"{DETAIL}#interaction_created", {
            "customer": customer,
            "entries": [TimelineEntry(at=item.occurred_at, kind="interaction", interaction=item)],
            "interaction_form": InteractionForm(contacts=contacts),
        })  # fmt: skip
    messages.success(request, _("Interaction logged."))
    return redirect("web:customer_detail", pk=customer.pk)
