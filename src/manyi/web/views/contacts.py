from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.core.errors import ValidationFailed
from manyi.customers import access, selectors, services
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms import ContactForm


def _contacts_of(customer) -> str:
    return reverse("web:customer_detail", args=[customer.pk]) + "#contacts"


def _form_page(request, form, customer, save, contact=None):
    """Show the contact form; on a valid POST call the service and go back to the customer."""
    if request.method == "POST" and form.is_valid():
        try:
            contact = save(form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact “%(name)s” saved.") % {"name": contact.name})
            return redirect(_contacts_of(customer))
    return render(request, "web/contacts/form.html", {"form": form, "customer": customer, "contact": contact})


@page
def contact_new(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk)
    require(access.can_edit(request.user, customer), _("You may not change the contacts of this customer."))
    form = ContactForm(request.POST or None)
    return _form_page(request, form, customer, lambda data: services.contact_create(by=request.user, customer=customer, data=data))


@page
def contact_edit(request, pk):
    contact = selectors.contact_get(user=request.user, pk=pk)
    customer = contact.customer
    require(access.can_edit(request.user, customer), _("You may not change the contacts of this customer."))
    form = ContactForm(request.POST or None, instance=contact)
    return _form_page(request, form, customer, lambda data: services.contact_update(by=request.user, contact=contact, data=data), contact)


@page
@require_POST
def contact_delete(request, pk):
    contact = selectors.contact_get(user=request.user, pk=pk)
    services.contact_delete(by=request.user, contact=contact)
    messages.success(request, _("Contact “%(name)s” deleted.") % {"name": contact.name})
    return redirect(_contacts_of(contact.customer))
