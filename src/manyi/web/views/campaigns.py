"""Campaign pages for staff: the campaigns, writing one with its audience
(and a live count of who it would reach), its page (progress while it sends,
launch / pause / resume / cancel, a sample of the message, the recipients,
what came back, and for a win-back campaign the result against the held-back
control group), the message templates, and a customer's consent to marketing.

Who may do what is the engine's (manyi.campaigns.selectors): analysts read,
service agents and people outside the campaign's team see nothing."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from manyi.campaigns import merge, selectors, services
from manyi.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    ChannelKind,
    Recipient,
    RecipientStatus,
    Template,
)
from manyi.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from manyi.customers import access
from manyi.customers.selectors import customer_get
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms_campaigns import (
    DEFAULT_SORT,
    CampaignFilterForm,
    CampaignForm,
    ConsentForm,
    RecipientFilterForm,
    TemplateForm,
    template_label,
)
from manyi.web.htmx import is_htmx
from manyi.web.numbers import percent
from manyi.web.pagination import paginate

STATUS_COLOURS = {
    CampaignStatus.DRAFT: "secondary", CampaignStatus.SCHEDULED: "info", CampaignStatus.SENDING: "primary",
    CampaignStatus.PAUSED: "warning", CampaignStatus.DONE: "success", CampaignStatus.CANCELLED: "dark",
}  # fmt: skip
RECIPIENT_COLOURS = {
    RecipientStatus.PENDING: "light", RecipientStatus.SENDING: "info", RecipientStatus.SENT: "success",
    RecipientStatus.FAILED: "danger", RecipientStatus.SKIPPED: "secondary", RecipientStatus.UNCERTAIN: "warning",
}  # fmt: skip
SORT_FIELDS = {"created": "created_at", "name": "name", "launched": "launched_at"}
MERGE_FIELD_HELP = {
    "name": gettext_lazy("The customer's name (张三, 北京华为科技有限公司)."),
    "honorific": gettext_lazy("How the letter addresses them: 王先生 / 王女士 (Mr Wang / Ms Wang in English) for a person, the name for a company."),
    "company": gettext_lazy("The company's name (empty for a person)."),
    "owner_name": gettext_lazy("The account owner (the sales rep)."),
    "owner_phone": gettext_lazy("The owner's phone."),
    "unsubscribe_url": gettext_lazy("The customer's personal unsubscribe link (an e-mail without it gets one at the end)."),
    "points": gettext_lazy("The loyalty points balance (may be empty)."),
}
EVENTS_SHOWN = 20
POLL_SECONDS = 3


def _require_see(user) -> None:
    require(selectors.can_see_campaigns(user), _("Your role does not use campaigns."))


def _require_run(user) -> None:
    require(selectors.can_run_campaigns(user), _("Your role may not run campaigns."))


# --- the list ---------------------------------------------------------------------------------


@page
def campaign_list(request):
    _require_see(request.user)
    form = CampaignFilterForm(request.GET)
    sort = form.value("sort") or DEFAULT_SORT
    qs = selectors.campaign_list(user=request.user, status=form.value("status") or "", kind=form.value("kind") or "")
    field = SORT_FIELDS[sort.lstrip("-")]
    qs = qs.order_by(f"-{field}" if sort.startswith("-") else field, "-id")
    page_obj = paginate(request, qs)
    campaigns = list(page_obj)
    sent = selectors.campaign_sent_counts(campaign_ids=[c.pk for c in campaigns])
    rows = [(c, STATUS_COLOURS.get(c.status, "secondary"), sent.get(c.pk, {"total": 0, "sent": 0})) for c in campaigns]
    context = {"form": form, "page_obj": page_obj, "rows": rows, "sort": sort, "can_run": selectors.can_run_campaigns(request.user)}
    return render(request, "web/campaigns/list.html", context)


# --- writing a campaign --------------------------------------------------------------------------


def _preview_context(request, form: CampaignForm, campaign: Campaign | None) -> dict:
    audience = form.audience()
    channel = form.cleaned_data.get("channel") or ChannelKind.EMAIL
    try:
        audience = services.audience_check(audience)
    except ValidationFailed as exc:
        return {"preview_error": exc.message}
    share = min(max(form.control_fraction(), 0.0), services.MAX_CONTROL_SHARE)
    return {"counts": selectors.audience_counts(user=request.user, audience=audience, channel=channel, control_share=share, campaign=campaign), "channel": channel}


@page
def campaign_audience_preview(request):
    """The htmx answer to every change of the campaign form: the audience counts."""
    _require_run(request.user)
    ref = request.GET.get("campaign", "")
    campaign = selectors.campaign_get(user=request.user, pk=ref) if ref else None
    form = CampaignForm(request.GET, user=request.user, campaign=campaign)
    return render(request, "web/campaigns/_audience_preview.html", _preview_context(request, form, campaign) | {"oob": True})


@page
def campaign_template_options(request):
    """The template choices for the channel picked (htmx swaps them into the select)."""
    _require_run(request.user)
    channel = request.GET.get("channel", "")
    templates = selectors.template_list(user=request.user, channel=channel if channel in ChannelKind.values else "")
    return render(request, "web/campaigns/_template_options.html", {"templates": [(t.pk, template_label(t)) for t in templates]})


def _edit(request, *, campaign: Campaign | None, save):
    launched = campaign is not None and campaign.status != CampaignStatus.DRAFT
    initial = CampaignForm.initial_from(campaign) if campaign else None
    form = CampaignForm(request.POST if request.method == "POST" else None, user=request.user, campaign=campaign, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            return save(form.service_data(launched=launched))
        except ValidationFailed as exc:
            add_service_errors(form, exc)
    preview = None
    if not launched:  # a launched campaign's audience is its recipients now
        start = initial or {"kind": CampaignKind.MARKETING, "channel": ChannelKind.EMAIL}
        preview = _preview_context(request, form if form.is_bound else CampaignForm(start, user=request.user, campaign=campaign), campaign)
    context = {"form": form, "campaign": campaign, "launched": launched, "preview": preview, "templates_exist": selectors.template_list(user=request.user).exists()}
    return render(request, "web/campaigns/form.html", context)


@page
def campaign_new(request):
    _require_run(request.user)

    def save(data):
        campaign = services.campaign_create(by=request.user, data=data)
        messages.success(request, _("Campaign “%(name)s” saved as a draft.") % {"name": campaign.name})
        return redirect("web:campaign_detail", pk=campaign.pk)

    return _edit(request, campaign=None, save=save)


@page
def campaign_edit(request, pk):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    require(selectors.can_manage(request.user, campaign), _("Only the campaign's author, their manager or an administrator may change it."))
    if campaign.status in (CampaignStatus.DONE, CampaignStatus.CANCELLED):
        messages.info(request, _("This campaign has finished; it can no longer change."))
        return redirect("web:campaign_detail", pk=campaign.pk)

    def save(data):
        services.campaign_update(campaign=campaign, by=request.user, data=data)
        messages.success(request, _("Campaign “%(name)s” saved.") % {"name": campaign.name})
        return redirect("web:campaign_detail", pk=campaign.pk)

    return _edit(request, campaign=campaign, save=save)


# --- a campaign's page ----------------------------------------------------------------------------


def _progress(campaign: Campaign) -> dict:
    counts = selectors.campaign_counts(campaign=campaign)
    total = counts["total"] or 1
    waiting = counts[RecipientStatus.PENDING] + counts[RecipientStatus.SENDING]
    parts = [
        ("sent", pgettext("campaign messages", "Sent"), counts[RecipientStatus.SENT], "bg-success"),
        ("failed", pgettext("campaign messages", "Failed"), counts[RecipientStatus.FAILED], "bg-danger"),
        ("uncertain", pgettext("campaign messages", "Uncertain"), counts[RecipientStatus.UNCERTAIN], "bg-warning"),
        ("skipped", pgettext("campaign messages", "Skipped"), counts[RecipientStatus.SKIPPED], "bg-secondary"),
        ("pending", pgettext("campaign messages", "Waiting"), waiting, "bg-info"),
    ]
    bars = [{"key": k, "label": label, "n": n, "share": round(n * 100 / total, 2), "colour": colour} for k, label, n, colour in parts]
    done = counts[RecipientStatus.SENT] + counts[RecipientStatus.FAILED] + counts[RecipientStatus.SKIPPED] + counts[RecipientStatus.UNCERTAIN]
    return {"counts": counts, "bars": bars, "done_percent": percent(done / total if counts["total"] else None), "waiting": waiting}


def _state_context(request, campaign: Campaign) -> dict:
    manage = selectors.can_manage(request.user, campaign)
    context = {
        "campaign": campaign, "colour": STATUS_COLOURS.get(campaign.status, "secondary"), "manage": manage,
        "polling": campaign.status in (CampaignStatus.SENDING, CampaignStatus.SCHEDULED), "poll_seconds": POLL_SECONDS,
    } | _progress(campaign)  # fmt: skip
    if manage and campaign.status == CampaignStatus.DRAFT:
        context["launch"] = selectors.audience_counts(
            user=request.user, audience=campaign.audience, channel=campaign.channel, control_share=campaign.control_share, campaign=campaign
        )
    return context


def _sample_message(request, campaign: Campaign):
    """The message as one recipient gets it: the first one of the treatment
    group, or before launch the first customer of the audience. Built on
    unsaved copies, so its unsubscribe link is a sample that changes nobody's consent."""
    customer = selectors.sample_customer(user=request.user, campaign=campaign)
    if customer is None:
        return None
    shown = copy.copy(campaign)
    shown.public_url = campaign.public_url or request.build_absolute_uri("/")
    address = customer.email if campaign.channel == ChannelKind.EMAIL else (customer.mobile or customer.phone)
    return customer, services.message_for(Recipient(campaign=shown, customer=customer, address=address), shown)


def _result_context(campaign: Campaign) -> dict:
    result = selectors.campaign_result(campaign=campaign)
    p = result.p_value
    if p is None:
        reading = _("Not enough data yet: both groups need customers, and someone must have bought again.")
        tone = "secondary"
    elif p < 0.05:
        if (result.difference or 0) > 0:
            reading = _("Significant at 5%: more customers bought again after the campaign than in the held-back group.")
        else:
            reading = _("Significant at 5%: fewer customers bought again after the campaign than in the held-back group.")
        tone = "success" if (result.difference or 0) > 0 else "danger"
    else:
        reading = _("Not yet distinguishable from chance: the difference could be luck.")
        tone = "warning"
    difference = None if result.difference is None else f"{result.difference * 100:+.1f}"
    return {
        "result": result, "reading": reading, "tone": tone, "difference": difference,
        "treatment_rate": percent(result.treatment.rate, 1), "control_rate": percent(result.control.rate, 1),
        "p_text": None if p is None else ("< 0.001" if p < 0.001 else f"{p:.3f}"), "result_days": selectors.RESULT_DAYS,
    }  # fmt: skip


@page
def campaign_detail(request, pk):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    form = RecipientFilterForm(request.GET)
    recipients = selectors.recipient_list(
        campaign=campaign, status=form.value("status") or "", group=form.value("group") or "", skip_reason=form.value("reason") or ""
    )
    page_obj = paginate(request, recipients)
    events = selectors.campaign_events(campaign=campaign, limit=EVENTS_SHOWN)
    context = _state_context(request, campaign) | {
        "form": form, "page_obj": page_obj, "events": events, "sample": _sample_message(request, campaign),
        "recipient_colours": RECIPIENT_COLOURS, "uncertain": RecipientStatus.UNCERTAIN, "failed": RecipientStatus.FAILED,
    }  # fmt: skip
    context["control_percent"] = percent(campaign.control_share)
    if campaign.kind == CampaignKind.WINBACK and campaign.launched_at is not None:
        context |= _result_context(campaign)
    return render(request, "web/campaigns/detail.html", context)


@page
def campaign_progress(request, pk):
    """The status, the progress bar and the buttons; polled while the campaign sends."""
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    return render(request, "web/campaigns/_state.html", _state_context(request, campaign) | {"polled": is_htmx(request)})


def _act(request, pk, run, done: str):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    try:
        run(campaign)
    except PermissionDenied:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"name": campaign.name})
    return redirect("web:campaign_detail", pk=campaign.pk)


@page
@require_POST
def campaign_launch(request, pk):
    public_url = request.build_absolute_uri("/")
    return _act(
        request, pk, lambda c: services.campaign_launch(campaign=c, by=request.user, public_url=public_url),
        _("Campaign “%(name)s” is launched."),
    )  # fmt: skip


@page
@require_POST
def campaign_pause(request, pk):
    return _act(request, pk, lambda c: services.campaign_pause(campaign=c, by=request.user), _("Campaign “%(name)s” is paused."))


@page
@require_POST
def campaign_resume(request, pk):
    return _act(request, pk, lambda c: services.campaign_resume(campaign=c, by=request.user), _("Campaign “%(name)s” goes on sending."))


@page
@require_POST
def campaign_cancel(request, pk):
    return _act(request, pk, lambda c: services.campaign_cancel(campaign=c, by=request.user), _("Campaign “%(name)s” is cancelled."))


@page
@require_POST
def campaign_recipient_resend(request, pk):
    """A person decided to send an uncertain or failed message again."""
    recipient = selectors.recipient_get(user=request.user, pk=pk)
    try:
        services.recipient_resend(recipient=recipient, by=request.user)
    except PermissionDenied:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message to %(name)s will be sent again.") % {"name": recipient.customer.name})
    return redirect(reverse("web:campaign_detail", args=[recipient.campaign_id]) + "#recipients")


# --- templates -----------------------------------------------------------------------------------


def can_edit_template(user, template: Template) -> bool:
    """The rule of campaigns.services.template_update, for showing the button."""
    if not selectors.can_run_campaigns(user):
        return False
    return user.is_admin or template.created_by_id == user.pk or (user.is_manager and template.team_id == user.team_id)


@page
def campaign_template_list(request):
    _require_see(request.user)
    channel = request.GET.get("channel", "")
    templates = selectors.template_list(user=request.user, channel=channel if channel in ChannelKind.values else "").select_related("created_by")
    page_obj = paginate(request, templates)
    rows = [(t, can_edit_template(request.user, t)) for t in page_obj]
    context = {"page_obj": page_obj, "rows": rows, "channel": channel, "channels": ChannelKind.choices, "can_run": selectors.can_run_campaigns(request.user)}
    return render(request, "web/campaigns/template_list.html", context)


def _template_edit(request, *, template: Template | None, save):
    initial = TemplateForm.initial_from(template) if template else None
    form = TemplateForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            return save(form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
    preview = _template_preview_context(request, form.data if form.is_bound else (initial or {}))
    context = {"form": form, "template": template, "merge_fields": [(f, MERGE_FIELD_HELP[f]) for f in merge.FIELDS], "preview": preview}
    return render(request, "web/campaigns/template_form.html", context)


def _template_preview_context(request, data) -> dict:
    """The message rendered for the first customer the user can see, or the errors naming the fault."""
    channel = data.get("channel") or ChannelKind.EMAIL
    if channel not in ChannelKind.values:
        channel = ChannelKind.EMAIL
    subject, body = data.get("subject", ""), data.get("body", "")
    if not body.strip():
        return {"empty": True}
    try:
        services.template_check(channel=channel, subject=subject, body=body)
    except ValidationFailed as exc:
        return {"errors": [m for ms in exc.fields.values() for m in ms if m]}
    customer = access.visible_customers(request.user).select_related("owner").order_by("pk").first()
    if customer is None:
        return {"no_customer": True}
    language = data.get("language") or "zh-hans"
    template = Template(name="", channel=channel, language=language, subject=subject if channel == ChannelKind.EMAIL else "", body=body)
    campaign = Campaign(name="", channel=channel, template=template, public_url=request.build_absolute_uri("/"))
    address = customer.email if channel == ChannelKind.EMAIL else (customer.mobile or customer.phone)
    return {"customer": customer, "message": services.message_for(Recipient(campaign=campaign, customer=customer, address=address), campaign), "channel": channel}


@page
@require_POST
def campaign_template_preview(request):
    """The htmx answer to typing in the template editor (a read: nothing is saved)."""
    _require_see(request.user)
    return render(request, "web/campaigns/_template_preview.html", {"preview": _template_preview_context(request, request.POST)})


@page
def campaign_template_new(request):
    _require_run(request.user)

    def save(data):
        template = services.template_create(by=request.user, data=data)
        messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
        return redirect("web:campaign_template_list")

    return _template_edit(request, template=None, save=save)


@page
def campaign_template_edit(request, pk):
    template = selectors.template_get(user=request.user, pk=pk)
    require(can_edit_template(request.user, template), _("Only the author, their manager or an administrator may change this template."))

    def save(data):
        services.template_update(template=template, by=request.user, data=data)
        messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
        return redirect("web:campaign_template_list")

    return _template_edit(request, template=template, save=save)


# --- consent ------------------------------------------------------------------------------------


@page
def customer_consent(request, pk):
    """A customer's consent to marketing per channel, its whole history, and
    (with edit access to the customer) recording a grant or a withdrawal."""
    customer = customer_get(user=request.user, pk=pk)
    can_write = access.can_edit(request.user, customer) and not request.user.is_read_only
    form = ConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        require(can_write, _("You may not change this customer's consent."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.consent_record(
                    customer=customer, channel=data["channel"], granted=data["granted"], source=data["source"], by=request.user, note=data["note"].strip()
                )
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Consent recorded."))
                return redirect("web:customer_consent", pk=customer.pk)
    states = []
    for channel, label in ChannelKind.choices:
        event = selectors.consent_state(customer=customer, channel=channel)
        states.append({"channel": label, "event": event, "state": "never" if event is None else "given" if event.granted else "withdrawn"})
    context = {
        "customer": customer, "states": states, "page_obj": paginate(request, selectors.consent_history(customer=customer)), "form": form,
        "can_write": can_write,
    }  # fmt: skip
    return render(request, "web/campaigns/consent.html", context)
