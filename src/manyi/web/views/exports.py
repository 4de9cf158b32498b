"""Downloads of the customer list (CSV, XLSX) and of a customer's contacts
(vCard), and the upload of a vCard file as contacts."""

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from manyi.core.errors import ValidationFailed
from manyi.customers import access, selectors
from manyi.transfer import export, vcard
from manyi.transfer.vcard_import import size_error, vcard_import
from manyi.web.errors import add_service_errors, page, require
from manyi.web.views.customers import list_filters


class VcardUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("vCard file (.vcf)"),
        help_text=gettext_lazy("As phones and mail programs export contacts; contacts whose mobile or e-mail is here already are skipped."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".vcf,text/vcard,text/x-vcard"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        message = size_error(upload.size)
        if message:
            raise forms.ValidationError(message)
        return upload


@page
@require_GET
def customer_export(request, fmt: str):
    """The customer list under the list page's filters, as a file."""
    return export.export_response(user=request.user, filters=list_filters(request), fmt=fmt)


@page
@require_GET
def contacts_vcard(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk)
    text = vcard.to_vcard(export.contacts_for_vcard(user=request.user, customer=customer))
    response = HttpResponse(text.encode("utf-8"), content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, export.vcard_filename(customer))
    return response


@page
def contacts_vcard_import(request, pk):
    customer = selectors.customer_get(user=request.user, pk=pk)
    require(access.can_edit(request.user, customer), _("You may not change the contacts of this customer."))
    form = VcardUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = vcard_import(by=request.user, customer=customer, data=form.cleaned_data["file"].read())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
    return render(request, "web/exports/vcard_import.html", {"customer": customer, "form": form, "result": result})
