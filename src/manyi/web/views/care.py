"""Care pages (客户关怀): the "today" agenda with a greeting draft for each
occasion, logging what was said as an interaction, and the follow-up tasks."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from manyi.accounts.models import User
from manyi.care import selectors, services
from manyi.care.models import FollowUpKind
from manyi.core.errors import ApplicationError, ValidationFailed
from manyi.customers import access
from manyi.customers.selectors import customer_get
from manyi.interactions.models import Channel
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms import DATE, FilterForm, style
from manyi.web.htmx import is_htmx
from manyi.web.pagination import paginate

# The customers offered in the task form's picker (the user's own first).
PICKER_LIMIT = 500
CHANNELS = [(c, Channel(c).label) for c in services.CHANNEL_KINDS]


class FollowUpForm(forms.Form):
    customer = forms.TypedChoiceField(label=gettext_lazy("customer"), coerce=int)
    title = forms.CharField(label=gettext_lazy("title"), max_length=services.TITLE_MAX)
    due_on = forms.DateField(label=gettext_lazy("due"), widget=DATE)
    detail = forms.CharField(label=gettext_lazy("detail"), required=False, max_length=services.DETAIL_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    assignee = forms.TypedChoiceField(label=gettext_lazy("assigned to"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        customers = access.visible_customers(user).order_by("name", "pk").values_list("pk", "name", "owner_id")[:PICKER_LIMIT]
        rows = sorted(customers, key=lambda r: (r[2] != user.pk, r[1]))
        self.fields["customer"].choices = [("", "—"), *((pk, name) for pk, name, _owner in rows)]
        people = list(access.assignable_owners(user))
        if len(people) > 1:
            self.fields["assignee"].choices = [("", _("Me")), *((p.pk, str(p)) for p in people if p.pk != user.pk)]
        else:
            del self.fields["assignee"]
        self.initial.setdefault("due_on", timezone.localdate())
        style(self)


class FollowUpFilterForm(FilterForm):
    status = forms.ChoiceField(
        label=gettext_lazy("status"), required=False,
        choices=[("open", gettext_lazy("Open")), ("overdue", gettext_lazy("Overdue")), ("done", gettext_lazy("Done")), ("all", gettext_lazy("All"))],
    )  # fmt: skip
    kind = forms.ChoiceField(label=gettext_lazy("kind"), required=False, choices=[("", gettext_lazy("Any")), *FollowUpKind.choices])
    assignee = forms.TypedChoiceField(label=gettext_lazy("assigned to"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in selectors.SORTS], widget=forms.HiddenInput)

    def __init__(self, data, *, people: list[tuple[int, str]]):
        super().__init__(data)
        self.fields["assignee"].choices = [("", gettext_lazy("Anyone")), *people]

    def filters(self) -> selectors.FollowUpFilters:
        return selectors.FollowUpFilters(
            status=self.value("status") or "open", kind=self.value("kind") or "", assignee=self.value("assignee"), sort=self.value("sort") or "due"
        )

    @property
    def active(self) -> bool:
        return bool(self.value("kind") or self.value("assignee")) or (self.value("status") or "open") != "open"


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else fallback


def _assignee(user: User, pk: int | None) -> User | None:
    return access.assignable_owners(user).filter(pk=pk).first() if pk else None


@page
def today(request):
    agenda = selectors.agenda(user=request.user, day=timezone.localdate())
    context = {"agenda": agenda, "channels": CHANNELS, "can_write": not request.user.is_read_only}
    if not request.user.is_read_only:
        context["form"] = FollowUpForm(user=request.user)
    return render(request, "web/care/today.html", context)


@page
def followup_list(request):
    people = selectors.assignee_choices(user=request.user)
    form = FollowUpFilterForm(request.GET, people=people)
    page_obj = paginate(request, selectors.followup_list(user=request.user, filters=form.filters()))
    context = {"form": form, "page_obj": page_obj, "sort": form.value("sort") or "due", "today": timezone.localdate(),
               "team": selectors.sees_team(request.user), "can_write": not request.user.is_read_only}  # fmt: skip
    return render(request, "web/care/followup_list.html", context)


@page
def followup_new(request):
    require(not request.user.is_read_only, _("Your role may not open tasks."))
    initial = {}
    if request.GET.get("customer"):
        initial["customer"] = customer_get(user=request.user, pk=request.GET["customer"]).pk
    form = FollowUpForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            customer = customer_get(user=request.user, pk=data["customer"])
            task = services.followup_create(
                by=request.user, customer=customer, title=data["title"], due_on=data["due_on"], detail=data["detail"],
                assignee=_assignee(request.user, data.get("assignee")),
            )  # fmt: skip
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Task “%(title)s” added, due %(due)s.") % {"title": task.title, "due": task.due_on.isoformat()})
            return redirect(_next_url(request, reverse("web:today")))
    return render(request, "web/care/followup_form.html", {"form": form}, status=422 if form.errors else 200)


@page
@require_POST
def followup_done(request, pk):
    """Mark a task done (with its outcome); htmx gets the task's row back."""
    task = selectors.followup_get(user=request.user, pk=pk)
    require(not request.user.is_read_only, _("Your role may not complete tasks."))
    try:
        task = services.followup_done(follow_up=task, by=request.user, outcome=request.POST.get("outcome", ""))
    except ApplicationError as exc:
        if is_htmx(request):
            return render(request, "web/care/_task_done.html", {"task": task, "error": exc.message}, status=409)
        messages.error(request, exc.message)
    else:
        if is_htmx(request):
            return render(request, "web/care/_task_done.html", {"task": task})
        messages.success(request, _("Task “%(title)s” done.") % {"title": task.title})
    return redirect(_next_url(request, reverse("web:followup_list")))


@page
@require_POST
def care_log(request):
    """Log a greeting (or a follow-up's words) from the agenda as an interaction."""
    require(not request.user.is_read_only, _("Your role may not log interactions."))
    occasion = selectors.occasion_resolve(user=request.user, data=request.POST)
    try:
        services.greeting_log(
            by=request.user, customer=occasion.customer, text=request.POST.get("text", ""), channel=request.POST.get("channel", Channel.WECHAT),
            subject=occasion.subject, contact=occasion.contact, follow_up=occasion.follow_up, source=occasion.source,
        )  # fmt: skip
    except ApplicationError as exc:
        message = " ".join(m for ms in exc.fields.values() for m in ms) if isinstance(exc, ValidationFailed) and exc.fields else exc.message
        if is_htmx(request):
            return render(request, "web/care/_logged.html", {"error": message}, status=422)
        messages.error(request, message)
    else:
        if is_htmx(request):
            return render(request, "web/care/_logged.html", {"customer": occasion.customer})
        messages.success(request, _("Logged on %(customer)s.") % {"customer": occasion.customer.name})
    return redirect(_next_url(request, reverse("web:today")))

