"""The complaint pages: the queue, recording a complaint heard by phone or
face to face, a complaint's page (the nine steps, the SLA clock, the
customer's emotion with handling guidance, the timeline) with its actions,
and its files.

Every read goes through manyi.service.selectors (what the user may see: an
outsider gets 404), every write through manyi.service.services, which also
refuse what the user may not do (403). Each action is a small POST view that
redirects back with a message; when the service turns the input down, the
complaint's page comes back with the form open, what was typed kept and the
messages next to the fields."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from manyi.accounts.models import User
from manyi.accounts.selectors import active_user_get
from manyi.core.errors import (
    ApplicationError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from manyi.customers import access as customer_access
from manyi.customers import selectors as customer_selectors
from manyi.emotion.guidance import guidance
from manyi.service import access, causes, deadlines, selectors, services, uploads
from manyi.service.models import (
    STEPS,
    Complaint,
    ComplaintEvent,
    EventKind,
    FeedbackStatus,
    Step,
)
from manyi.web import emotion
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms_complaints import (
    AssignForm,
    ComplaintFilterForm,
    ComplaintForm,
    FeedbackCloseForm,
    FeedbackForm,
    ReasonForm,
    ReplyForm,
    StepForm,
    TextForm,
    read_uploads,
)
from manyi.web.htmx import is_htmx
from manyi.web.numbers import money
from manyi.web.pagination import paginate

SEVERITY_COLOURS = {"low": "secondary", "normal": "info", "high": "warning", "critical": "danger"}
FEEDBACK_COLOURS = {FeedbackStatus.OPEN: "warning", FeedbackStatus.ACKNOWLEDGED: "info", FeedbackStatus.CLOSED: "success"}
EVENT_ICONS = {
    EventKind.STEP: "bi-check2-circle",
    EventKind.MESSAGE: "bi-chat-left-quote",
    EventKind.REPLY: "bi-reply",
    EventKind.NOTE: "bi-sticky",
    EventKind.ASSIGNED: "bi-person-check",
    EventKind.ESCALATED: "bi-arrow-up-circle",
    EventKind.REOPENED: "bi-arrow-counterclockwise",
    EventKind.PAUSED: "bi-pause-circle",
    EventKind.RESUMED: "bi-play-circle",
    EventKind.OVERRIDE: "bi-shield-exclamation",
    EventKind.SLA_WARNING: "bi-alarm",
    EventKind.SLA_BREACH: "bi-exclamation-octagon",
    EventKind.FEEDBACK: "bi-send",
    EventKind.CHANGED: "bi-pencil",
}
CLOCKS = {"response": gettext_lazy("first response"), "resolution": gettext_lazy("resolution")}
CUSTOMER_CHOICES = 30  # customers offered on the new-complaint page before a search


# --- the SLA clock in words -----------------------------------------------------------------


def duration(seconds: float, *, business: bool = False) -> str:
    """"2 d 3 h", "5 h 20 min", "12 min"; working time is counted in hours only."""
    minutes = int(abs(seconds) // 60)
    days, hours, mins = minutes // (24 * 60), minutes // 60 % 24, minutes % 60
    if days and not business:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if minutes >= 60:
        return _("%(h)s h %(m)s min") % {"h": minutes // 60, "m": mins}
    return _("%(m)s min") % {"m": mins}


@dataclass
class ClockView:
    due: dt.datetime | None
    text: str
    colour: str  # a Bootstrap colour, "" for a clock running with time to spare


def resolution_clock(complaint: Complaint, clock: dict) -> ClockView:
    left, business = clock["resolution_remaining"], clock["mode"] == "business"
    if complaint.is_closed:
        if left is None:
            return ClockView(None, _("Closed"), "success")
        if left >= 0:
            return ClockView(clock["resolution_due"], _("Resolved in time"), "success")
        return ClockView(clock["resolution_due"], _("Resolved %(late)s late") % {"late": duration(left, business=business)}, "danger")
    if clock["paused"]:
        return ClockView(None, _("Waiting for the customer"), "secondary")
    if left is None:
        return ClockView(clock["resolution_due"], "", "")
    if clock["resolution_breached"]:
        return ClockView(clock["resolution_due"], _("Overdue by %(time)s") % {"time": duration(left, business=business)}, "danger")
    return ClockView(clock["resolution_due"], _("%(time)s left") % {"time": duration(left, business=business)}, "warning" if clock["warn"] else "")


def response_clock(complaint: Complaint, clock: dict) -> ClockView:
    left, business = clock["response_remaining"], clock["mode"] == "business"
    if left is None:
        return ClockView(clock["response_due"], "", "")
    if complaint.responded_at is not None:
        if left >= 0:
            return ClockView(clock["response_due"], _("Answered in time"), "success")
        return ClockView(clock["response_due"], _("Answered %(late)s late") % {"late": duration(left, business=business)}, "danger")
    if left < 0:
        return ClockView(clock["response_due"], _("Overdue by %(time)s") % {"time": duration(left, business=business)}, "danger")
    warn = left <= complaint.sla.get("warn_seconds", 0)
    return ClockView(clock["response_due"], _("%(time)s left") % {"time": duration(left, business=business)}, "warning" if warn else "")


def risk_colour(escalation: str) -> str:
    return emotion.ESCALATION_COLOURS.get(escalation, "secondary")


# --- the queue ---------------------------------------------------------------------------------


@dataclass
class Row:
    complaint: Complaint
    step: int  # 1..9
    resolution: ClockView
    severity_colour: str
    risk_colour: str
    escalation: str


def list_row(complaint: Complaint, now: dt.datetime) -> Row:
    return Row(
        complaint=complaint, step=complaint.step_index + 1, resolution=resolution_clock(complaint, deadlines.clock_state(complaint, now)),
        severity_colour=SEVERITY_COLOURS.get(complaint.severity, "secondary"), risk_colour=risk_colour(complaint.escalation),
        escalation=emotion.escalation_label(complaint.escalation),
    )  # fmt: skip


@page
def complaint_list(request):
    form = ComplaintFilterForm(request.GET)
    customer_pk = form.value("customer")
    customer = customer_selectors.customer_get(user=request.user, pk=customer_pk) if customer_pk else None
    filters = form.filters()
    page_obj = paginate(request, selectors.complaint_list(user=request.user, filters=filters))
    now = timezone.now()
    context = {
        "form": form, "filters": filters, "customer": customer, "page_obj": page_obj, "rows": [list_row(c, now) for c in page_obj],
        "steps": len(STEPS), "can_file": access.can_file(request.user),
    }  # fmt: skip
    template = "web/complaints/list.html#results" if is_htmx(request) else "web/complaints/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- recording a complaint ---------------------------------------------------------------------


def customer_label(customer) -> str:
    return f"{customer.name} · {customer.city}" if getattr(customer, "city", "") else customer.name


def customer_choices(user: User, q: str = "", *, keep=None) -> list[tuple[int, str]]:
    """The customers the user may see, matching the search (the latest changed
    ones without one), and the customer already chosen."""
    filters = customer_selectors.CustomerFilters(q=q.strip())
    found = list(customer_selectors.customer_list(user=user, filters=filters)[:CUSTOMER_CHOICES])
    if keep is not None and all(c.pk != keep.pk for c in found):
        found.insert(0, keep)
    return [(c.pk, customer_label(c)) for c in found]


def contact_choices(user: User, customer) -> list[tuple[int, str]]:
    if customer is None:
        return []
    return [(c.pk, f"{c.name} · {c.title}" if getattr(c, "title", "") else c.name) for c in customer_selectors.contact_list(user=user, customer=customer)]


def _chosen_customer(user: User, ref):
    """The customer the form names, when the user may see it."""
    if not ref:
        return None
    try:
        return customer_selectors.customer_get(user=user, pk=ref)
    except NotFound:
        return None


@page
def complaint_new(request):
    require(access.can_file(request.user), _("Your role may not record complaints."))
    post = request.POST if request.method == "POST" else None
    customer = _chosen_customer(request.user, (post or request.GET).get("customer", ""))
    q = request.GET.get("customer_q", "")
    form = ComplaintForm(
        post, request.FILES if post is not None else None, initial={"customer": customer.pk if customer else None},
        customers=customer_choices(request.user, q, keep=customer), contacts=contact_choices(request.user, customer),
    )  # fmt: skip
    if post is not None and form.is_valid():
        contact = None
        if customer is None:
            form.add_error("customer", _("Choose a customer from the list."))
        elif form.cleaned_data["contact"]:
            try:
                contact = customer_selectors.contact_get(user=request.user, pk=form.cleaned_data["contact"])
            except NotFound:
                form.add_error("contact", _("Choose a contact of this customer."))
        if not form.errors:
            data = form.cleaned_data
            filing = services.Filing(
                customer=customer, contact=contact, channel=data["channel"], subject=data["subject"], description=data["description"],
                wants=data["wants"], severity=data["severity"], files=read_uploads(request.FILES),
            )  # fmt: skip
            try:
                complaint = services.complaint_create(by=request.user, filing=filing)
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Complaint %(number)s recorded.") % {"number": complaint.number})
                return redirect("web:complaint_detail", pk=complaint.pk)
    context = {"form": form, "customer": customer, "customer_q": q, "files_lost": post is not None and bool(request.FILES)}
    return render(request, "web/complaints/new.html", context)


@page
def complaint_customer_options(request):
    """The customer <option>s matching a search, for the new-complaint page."""
    require(access.can_file(request.user), _("Your role may not record complaints."))
    choices = customer_choices(request.user, request.GET.get("customer_q", ""))
    return render(request, "web/complaints/new.html#customer_options", {"choices": choices})


@page
def complaint_contact_options(request):
    """The contact <option>s of the chosen customer, for the new-complaint page."""
    require(access.can_file(request.user), _("Your role may not record complaints."))
    customer = _chosen_customer(request.user, request.GET.get("customer", ""))
    return render(request, "web/complaints/new.html#contact_options", {"choices": contact_choices(request.user, customer)})


# --- a complaint's page --------------------------------------------------------------------


@dataclass
class StepView:
    number: int
    value: str
    label: str
    state: str  # done, skipped, current (the next to do), todo
    event: ComplaintEvent | None = None


def stepper(complaint: Complaint, events: list[ComplaintEvent]) -> list[StepView]:
    """The nine steps: those up to the complaint's step done (or skipped, as
    their latest event says), the next one current, the rest to do."""
    latest = {e.step: e for e in events if e.kind == EventKind.STEP}
    current = complaint.step_index
    views = []
    for i, step in enumerate(STEPS):
        event = latest.get(step) if i <= current else None
        if i <= current:
            state = "skipped" if event is not None and event.data.get("skipped") else "done"
        else:
            state = "current" if i == current + 1 else "todo"
        views.append(StepView(i + 1, step, str(Step(step).label), state, event))
    return views


def close_blockers(complaint: Complaint, events: list[ComplaintEvent], has_feedback: bool) -> list[str]:
    """Why closing would be refused now (the service's own rule, read from the
    timeline since the complaint was last reopened)."""
    since = events
    for i, event in enumerate(events):
        if event.kind == EventKind.REOPENED:
            since = events[i:]
    missing = []
    if not any(e.kind == EventKind.STEP and e.step == Step.RECHECKED and not e.data.get("skipped") for e in since):
        missing.append(_("the recheck with the customer has not been done"))
    if not has_feedback:
        missing.append(_("no feedback item has been sent to the responsible department"))
    return missing


def marked_reply(review: dict) -> SafeString:
    """The reviewed reply with each flagged phrase in a <mark> (overlapping
    ones merged); every piece of text escaped."""
    text = review.get("text", "")
    spans: list[list[int]] = []
    for f in sorted(review.get("findings", []), key=lambda f: (f["start"], f["end"])):
        start, end = max(0, int(f["start"])), min(len(text), int(f["end"]))
        if start >= end:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    out, at = [], 0
    for start, end in spans:
        out.append(escape(text[at:start]))
        out.append(f'<mark class="reply-flag bg-danger-subtle text-danger-emphasis fw-semibold">{escape(text[start:end])}</mark>')
        at = end
    out.append(escape(text[at:]))
    return mark_safe("".join(out).replace("\n", "<br>"))


@dataclass
class ReadingBadges:
    polarity: str
    polarity_colour: str
    score: str
    primary: str
    escalation: str
    escalation_colour: str
    tags: list[str]
    text: SafeString


@dataclass
class EventView:
    event: ComplaintEvent
    icon: str
    title: str
    colour: str = ""
    by: str = ""
    skipped: bool = False
    reading: ReadingBadges | None = None
    flagged: list[dict] = field(default_factory=list)
    confirmed: bool = False
    lines: list[str] = field(default_factory=list)


def reading_badges(interaction) -> ReadingBadges | None:
    reading = getattr(interaction, "emotion", None) if interaction is not None else None
    if reading is None:
        return None
    return ReadingBadges(
        polarity=emotion.polarity_label(reading.polarity), polarity_colour=emotion.POLARITY_COLOURS.get(reading.polarity, "secondary"),
        score=f"{reading.polarity_score:+.2f}", primary=emotion.label(emotion.EMOTION_LABELS, reading.primary),
        escalation=emotion.escalation_label(reading.escalation), escalation_colour=risk_colour(reading.escalation),
        tags=[emotion.label(emotion.TAG_LABELS, t) for t in reading.tags or ()],
        text=emotion.highlighted(interaction.customer_words(), reading.evidence or []),
    )  # fmt: skip


def event_views(events: list[ComplaintEvent]) -> list[EventView]:
    names = selectors.people_names([v for e in events if e.kind == EventKind.ASSIGNED for v in (e.data.get("from"), e.data.get("to"))])
    views = []
    for e in events:
        view = EventView(event=e, icon=EVENT_ICONS.get(e.kind, "bi-dot"), title=e.get_kind_display(), by=e.by.name if e.by else "")
        if e.kind == EventKind.STEP:
            view.title = step_label_text(e.step)
            view.skipped = bool(e.data.get("skipped"))
            view.colour = "secondary" if view.skipped else "success"
            if e.step == Step.RECEIVED:
                view.reading = reading_badges(e.interaction)
                if e.notes:
                    view.lines.append(_("The customer wants: %(wants)s") % {"wants": e.notes})
            else:
                view.lines += [
                    _("%(field)s: %(value)s") % {"field": _field_label(name), "value": _field_text(name, value)}
                    for name, value in e.data.items() if name in STEP_DATA and value
                ]  # fmt: skip
        elif e.kind == EventKind.MESSAGE:
            view.reading = reading_badges(e.interaction)
        elif e.kind == EventKind.REPLY:
            view.flagged = e.data.get("flagged") or []
            view.confirmed = bool(e.data.get("confirmed"))
        elif e.kind == EventKind.ASSIGNED:
            before, after = names.get(e.data.get("from"), "—"), names.get(e.data.get("to"), "—")
            view.lines.append(_("From %(before)s to %(after)s") % {"before": before, "after": after})
        elif e.kind == EventKind.OVERRIDE:
            view.colour = "warning"
            view.lines += [_("Closed although %(why)s") % {"why": why} for why in e.data.get("missing", [])]
        elif e.kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACH):
            view.colour = "warning" if e.kind == EventKind.SLA_WARNING else "danger"
            due = e.data.get("due")
            try:
                due_text = timezone.localtime(dt.datetime.fromisoformat(due)).strftime("%Y-%m-%d %H:%M") if due else ""
            except ValueError:
                due_text = ""
            view.lines.append(_("%(clock)s due %(due)s") % {"clock": str(CLOCKS.get(e.data.get("clock"), "")).capitalize(), "due": due_text})
        elif e.kind == EventKind.FEEDBACK:
            status = e.data.get("status", "")
            view.lines.append(str(FeedbackStatus(status).label) if status in FeedbackStatus.values else "")
        elif e.kind == EventKind.ESCALATED:
            view.colour = "danger"
        views.append(view)
    return views


# What a step event's data may record, in the order a page lists it.
STEP_DATA = ("wants", "cause", "responsibility", "severity", "department", "solution", "compensation", "compensation_amount", "recheck_result")


def _field_label(name: str) -> str:
    return str(Complaint._meta.get_field(name).verbose_name).capitalize()


def _field_text(name: str, value) -> str:
    """A recorded value as the page shows it: a choice's label, a cause's name, an amount in ¥."""
    if name == "cause":
        return causes.label(str(value))
    if name == "compensation_amount":
        try:
            return money(value, 2)
        except ArithmeticError:
            return str(value)
    choices = dict(Complaint._meta.get_field(name).choices or ())
    return str(choices.get(value, value))


def step_label_text(step: str) -> str:
    return f"{STEPS.index(step) + 1}/{len(STEPS)} {Step(step).label}" if step in STEPS else step


def _language() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "zh"


def _assignees(user: User, complaint: Complaint) -> list[tuple[int, str]]:
    people = customer_access.assignable_owners(user)
    if complaint.team_id:
        people = people.filter(team_id=complaint.team_id)
    return [(p.pk, p.name) for p in people]


def detail_context(request, complaint: Complaint, *, open_panel: str = "", **forms) -> dict:
    user = request.user
    events = selectors.complaint_events(user=user, complaint=complaint)
    can_handle = access.can_handle(user, complaint)
    can_override = access.can_override(user, complaint)
    feedback_items = selectors.feedback_for(user=user, complaint=complaint)
    clock = deadlines.clock_state(complaint)
    reading = services.latest_reading(complaint)
    customer = complaint.customer
    steps = []
    if reading is not None and (reading.primary == "anger" or reading.escalation == "high" or complaint.escalation == "high"):
        contact = complaint.contact
        style = customer.social_style or (contact.social_style if contact else "")
        temperament = customer.temperament or (contact.temperament if contact else "")
        steps = guidance(reading, style=style or None, temperament=temperament or None, language=_language())
    blockers = close_blockers(complaint, events, bool(feedback_items))
    context = {
        "complaint": complaint,
        "customer": customer,
        "steps": stepper(complaint, events),
        "step_count": len(STEPS),
        "timeline": event_views(events),
        "clock": clock,
        "response": response_clock(complaint, clock),
        "resolution": resolution_clock(complaint, clock),
        "severity_colour": SEVERITY_COLOURS.get(complaint.severity, "secondary"),
        "risk_colour": risk_colour(complaint.escalation),
        "escalation": emotion.escalation_label(complaint.escalation),
        "reading": reading,
        "reading_primary": emotion.label(emotion.EMOTION_LABELS, reading.primary) if reading else "",
        "reading_polarity": emotion.polarity_label(reading.polarity) if reading else "",
        "reading_colour": emotion.POLARITY_COLOURS.get(reading.polarity, "secondary") if reading else "",
        "guidance": steps,
        "cause": causes.label(complaint.cause),
        "compensation_amount": money(complaint.compensation_amount, 2) if complaint.compensation_amount is not None else "",
        "feedback_items": [(item, FEEDBACK_COLOURS.get(item.status, "secondary"), access.can_answer_feedback(user, item)) for item in feedback_items],
        "close_blockers": blockers,
        "can_handle": can_handle,
        "can_override": can_override,
        "open_panel": open_panel,
    }
    if can_handle:
        if not complaint.is_closed:
            context["step_form"] = forms.get("step_form") or StepForm(complaint=complaint, override=can_override and bool(blockers))
        context["reply_form"] = forms.get("reply_form") or ReplyForm()
        context["reply_review"] = forms.get("reply_review")
        context["message_form"] = forms.get("message_form") or TextForm(auto_id="message-%s", label=_("What the customer said"))
        context["note_form"] = forms.get("note_form") or TextForm(auto_id="note-%s", label=_("Internal note (not sent to the customer)"))
        context["pause_form"] = forms.get("pause_form") or ReasonForm(auto_id="pause-%s", label=_("What you are waiting for"))
        context["escalate_form"] = forms.get("escalate_form") or ReasonForm(auto_id="escalate-%s", label=_("Why it needs a manager"))
        context["reopen_form"] = forms.get("reopen_form") or ReasonForm(auto_id="reopen-%s", label=_("Why it is reopened"))
        context["feedback_form"] = forms.get("feedback_form") or FeedbackForm(initial={"department": complaint.department}, people=selectors.feedback_recipients())
    if can_override:
        context["assign_form"] = forms.get("assign_form") or AssignForm(initial={"assignee": complaint.assignee_id}, people=_assignees(user, complaint))
    close_form = forms.get("feedback_close_form")
    context["feedback_close_forms"] = {
        item.pk: close_form if close_form is not None and close_form.item.pk == item.pk else FeedbackCloseForm(item=item)
        for item, _colour, can_answer in context["feedback_items"] if can_answer and item.status != FeedbackStatus.CLOSED
    }  # fmt: skip
    return context


def _detail(request, complaint: Complaint, **forms):
    return render(request, "web/complaints/detail.html", detail_context(request, complaint, **forms))


@page
def complaint_detail(request, pk):
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    return _detail(request, complaint)


def _back(request, complaint: Complaint, message: str, anchor: str = ""):
    messages.success(request, message)
    response = redirect("web:complaint_detail", pk=complaint.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _act(request, complaint: Complaint, form, *, panel: str, form_name: str, call, done: str):
    """Validate the form and call the service; back to the page with a message
    when it worked, else the page again with the form open and its errors."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except (NotFound, PermissionDenied):
            raise
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        except ApplicationError as exc:  # the state does not allow it: say why at the top
            messages.error(request, exc.message)
            return _detail(request, complaint, open_panel=panel, **{form_name: form})
        else:
            return _back(request, complaint, done)
    messages.error(request, _("Nothing was saved: see the form below."))
    return _detail(request, complaint, open_panel=panel, **{form_name: form})


def _handled(request, pk) -> Complaint:
    """The complaint (404 for who may not see it); 403 for who may not handle it."""
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    require(access.can_handle(request.user, complaint), _("You may not handle this complaint."))
    return complaint


@page
def complaint_step(request, pk):
    """GET: the step form for the step chosen (the form's part for htmx, the
    page without a script); POST: record the step."""
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    if request.method != "POST":
        require(access.can_handle(request.user, complaint), _("You may not handle this complaint."))
        if complaint.is_closed:
            return redirect("web:complaint_detail", pk=complaint.pk)
        events = selectors.complaint_events(user=request.user, complaint=complaint)
        blockers = close_blockers(complaint, events, complaint.feedback_items.exists())
        form = StepForm(complaint=complaint, step=request.GET.get("step"), override=access.can_override(request.user, complaint) and bool(blockers))
        if is_htmx(request):
            context = {"complaint": complaint, "step_form": form, "close_blockers": blockers, "can_override": access.can_override(request.user, complaint)}
            return render(request, "web/complaints/detail.html#step_form", context)
        return _detail(request, complaint, open_panel="step", step_form=form)
    complaint = _handled(request, pk)
    override = access.can_override(request.user, complaint)
    form = StepForm(request.POST, complaint=complaint, override=override)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.complaint_step(
                complaint=complaint, by=request.user, step=data["step"], notes=data.get("notes", ""), data=form.service_data(),
                skip_reason=data.get("skip_reason", ""), override_reason=data.get("override_reason", ""),
            )  # fmt: skip
        except (NotFound, PermissionDenied):
            raise
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        except ApplicationError as exc:
            target = {"step_skipped": "skip_reason", "close_refused": "override_reason"}.get(exc.code)
            form.add_error(target if target in form.fields else None, exc.message)
        else:
            return _back(request, complaint, _("Step “%(step)s” recorded.") % {"step": Step(data["step"]).label})
    messages.error(request, _("The step was not recorded: see the form below."))
    return _detail(request, complaint, open_panel="step", step_form=form)


@page
@require_POST
def complaint_reply(request, pk):
    complaint = _handled(request, pk)
    form = ReplyForm(request.POST)
    review = None
    if form.is_valid():
        try:
            event = services.complaint_reply(complaint=complaint, by=request.user, text=form.cleaned_data["text"], confirm=form.cleaned_data["confirm"])
        except services.ReplyFlagged as exc:
            review = {**exc.review, "marked": marked_reply(exc.review), "flagged": True}
            form = ReplyForm(initial={"text": request.POST.get("text", "")})
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            done = _("Reply sent anyway; the flagged words are recorded.") if event.data.get("confirmed") else _("Reply recorded.")
            return _back(request, complaint, done)
    if review is None:
        messages.error(request, _("The reply was not sent: see the form below."))
    return _detail(request, complaint, open_panel="reply", reply_form=form, reply_review=review)


@page
@require_POST
def complaint_reply_check(request, pk):
    """The reply checker's view of a draft; nothing is stored or sent."""
    complaint = _handled(request, pk)
    text = request.POST.get("text", "").strip()
    review = services.reply_review(complaint=complaint, text=text) if text else None
    if review is not None:
        review = {**review, "marked": marked_reply(review), "flagged": False}
    return render(request, "web/complaints/detail.html#reply_review", {"complaint": complaint, "reply_review": review, "checked": True})


@page
@require_POST
def complaint_message(request, pk):
    complaint = _handled(request, pk)
    form = TextForm(request.POST, request.FILES, auto_id="message-%s", label=_("What the customer said"))

    def call(data):
        services.complaint_message(complaint=complaint, by=request.user, text=data["text"], files=read_uploads(request.FILES))

    return _act(request, complaint, form, panel="message", form_name="message_form", call=call, done=_("The customer's message is logged."))


@page
@require_POST
def complaint_note(request, pk):
    complaint = _handled(request, pk)
    form = TextForm(request.POST, request.FILES, auto_id="note-%s", label=_("Internal note (not sent to the customer)"))

    def call(data):
        services.complaint_note(complaint=complaint, by=request.user, text=data["text"], files=read_uploads(request.FILES))

    return _act(request, complaint, form, panel="note", form_name="note_form", call=call, done=_("Note added."))


@page
@require_POST
def complaint_pause(request, pk):
    complaint = _handled(request, pk)
    form = ReasonForm(request.POST, auto_id="pause-%s", label=_("What you are waiting for"))

    def call(data):
        services.complaint_pause(complaint=complaint, by=request.user, reason=data["reason"])

    return _act(request, complaint, form, panel="pause", form_name="pause_form", call=call, done=_("The clock is paused until the customer answers."))


@page
@require_POST
def complaint_resume(request, pk):
    complaint = _handled(request, pk)
    try:
        services.complaint_resume(complaint=complaint, by=request.user)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("web:complaint_detail", pk=complaint.pk)
    return _back(request, complaint, _("The clock runs again."))


@page
@require_POST
def complaint_escalate(request, pk):
    complaint = _handled(request, pk)
    form = ReasonForm(request.POST, auto_id="escalate-%s", label=_("Why it needs a manager"))

    def call(data):
        services.complaint_escalate(complaint=complaint, by=request.user, reason=data["reason"])

    return _act(request, complaint, form, panel="escalate", form_name="escalate_form", call=call, done=_("Escalated: the team's managers are told."))


@page
@require_POST
def complaint_reopen(request, pk):
    complaint = _handled(request, pk)
    form = ReasonForm(request.POST, auto_id="reopen-%s", label=_("Why it is reopened"))

    def call(data):
        services.complaint_reopen(complaint=complaint, by=request.user, reason=data["reason"])

    return _act(request, complaint, form, panel="reopen", form_name="reopen_form", call=call, done=_("Reopened: the complaint is back at “analysed”."))


@page
@require_POST
def complaint_assign(request, pk):
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    require(access.can_override(request.user, complaint), _("Only a manager of the team may reassign a complaint."))
    form = AssignForm(request.POST, people=_assignees(request.user, complaint))

    def call(data):
        assignee = active_user_get(ref=data["assignee"], field="assignee")
        services.complaint_assign(complaint=complaint, by=request.user, assignee=assignee)

    def call_checked(data):
        try:
            call(data)
        except NotFound as exc:  # no such colleague: a field error, not a missing page
            raise ValidationFailed(exc.message, fields=exc.fields) from exc

    return _act(request, complaint, form, panel="assign", form_name="assign_form", call=call_checked, done=_("Assigned."))


@page
@require_POST
def complaint_feedback_new(request, pk):
    complaint = _handled(request, pk)
    form = FeedbackForm(request.POST, people=selectors.feedback_recipients())

    def call(data):
        recipient = None
        if data.get("recipient"):
            try:
                recipient = active_user_get(ref=data["recipient"], field="recipient")
            except NotFound as exc:
                raise ValidationFailed(exc.message, fields=exc.fields) from exc
        services.feedback_create(complaint=complaint, by=request.user, department=data["department"], summary=data["summary"], recipient=recipient)

    return _act(request, complaint, form, panel="feedback", form_name="feedback_form", call=call, done=_("Feedback item sent to the department."))


def _after_feedback(request, item, message: str, *, error: bool = False):
    """Back to the complaint's page, or to the feedback inbox for a recipient who may not see the complaint."""
    (messages.error if error else messages.success)(request, message)
    if access.can_see(request.user, item.complaint):
        return redirect("web:complaint_detail", pk=item.complaint_id)
    return redirect("web:feedback_list")


@page
@require_POST
def complaint_feedback_acknowledge(request, pk):
    item = selectors.feedback_get(user=request.user, pk=pk)
    require(access.can_answer_feedback(request.user, item), _("Only the recipient or a manager of the team may answer this feedback item."))
    try:
        services.feedback_acknowledge(item=item, by=request.user)
    except (NotFound, PermissionDenied):
        raise
    except ApplicationError as exc:
        return _after_feedback(request, item, exc.message, error=True)
    return _after_feedback(request, item, _("Feedback item acknowledged."))


@page
@require_POST
def complaint_feedback_close(request, pk):
    item = selectors.feedback_get(user=request.user, pk=pk)
    require(access.can_answer_feedback(request.user, item), _("Only the recipient or a manager of the team may answer this feedback item."))
    form = FeedbackCloseForm(request.POST, item=item)
    if form.is_valid():
        try:
            services.feedback_close(item=item, by=request.user, action_taken=form.cleaned_data["action_taken"])
        except (NotFound, PermissionDenied):
            raise
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return _after_feedback(request, item, _("Feedback item closed with the action taken."))
    if not access.can_see(request.user, item.complaint):  # a recipient outside the team has no page to show the form on
        return _after_feedback(request, item, " ".join(str(m) for messages_ in form.errors.values() for m in messages_), error=True)
    complaint = selectors.complaint_get(user=request.user, pk=item.complaint_id)
    messages.error(request, _("Nothing was saved: see the form below."))
    return _detail(request, complaint, feedback_close_form=form)


# --- files -----------------------------------------------------------------------------------


@page
def complaint_attachment(request, pk):
    """A file of a complaint the user may see; images open in the browser,
    anything else downloads. Served sandboxed and never sniffed."""
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    base = uploads.root().resolve()
    path = (base / attachment.path).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise Http404(_("File not found."))
    inline = attachment.content_type.startswith("image/")
    response = FileResponse(path.open("rb"), as_attachment=not inline, filename=attachment.name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
