"""Loyalty pages (会员积分): the members list, the member card with its ledger,
redeeming, adjusting and reversing points, enrolling a customer, recording a
referral, and the programme's settings (tiers, earn rules, rewards)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from manyi.core.errors import ApplicationError, ValidationFailed
from manyi.customers.access import visible_customers
from manyi.customers.selectors import customer_get
from manyi.loyalty import access, selectors, services
from manyi.loyalty.models import MemberStatus, Reward, RuleCode
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms import FilterForm, style
from manyi.web.pagination import paginate

SORT_CHOICES = [
    ("-joined", gettext_lazy("Newest members first")),
    ("joined", gettext_lazy("Oldest members first")),
    ("-balance", gettext_lazy("Highest balance first")),
    ("balance", gettext_lazy("Lowest balance first")),
]


class MemberFilterForm(FilterForm):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name or member number")}))  # fmt: skip
    tier = forms.TypedChoiceField(label=gettext_lazy("Tier"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=[("", gettext_lazy("Any")), *MemberStatus.choices])
    sort = forms.ChoiceField(label=gettext_lazy("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("Any")), *((t.pk, t.label) for t in selectors.tiers())]

    @property
    def active(self) -> bool:
        return any(self.value(name) for name in ("q", "tier", "status"))

    def filters(self) -> selectors.MemberFilters:
        return selectors.MemberFilters(
            q=self.value("q") or "", tier=self.value("tier"), status=self.value("status") or "", sort=self.value("sort") or "-joined"
        )


class AdjustForm(forms.Form):
    points = forms.IntegerField(label=gettext_lazy("Points (negative to take away)"), min_value=-services.MAX_POINTS, max_value=services.MAX_POINTS)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, widget=forms.TextInput(attrs={"autofocus": True}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)


class ReferralForm(forms.Form):
    referrer = forms.IntegerField(label=gettext_lazy("Referred by (customer)"), min_value=1, widget=forms.Select)
    referred = forms.IntegerField(label=gettext_lazy("New customer"), min_value=1, widget=forms.Select)


class RewardForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = ("name", "description", "cost", "stock", "active")
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)


def _message_of(exc: ApplicationError) -> str:
    return " ".join(m for ms in exc.fields.values() for m in ms) or exc.message


@page
def loyalty_members(request):
    form = MemberFilterForm(request.GET)
    page_obj = paginate(request, selectors.member_list(user=request.user, filters=form.filters()))
    context = {"form": form, "page_obj": page_obj, "can_settings": access.can_see_settings(request.user)}
    return render(request, "web/loyalty/members.html", context)


def _card_context(request, member, *, adjust_form=None) -> dict:
    page_obj = paginate(request, selectors.member_entries(member=member))
    rows = [(e, selectors.describe(e), selectors.reversible(e)) for e in page_obj]
    customer = member.customer
    can_write = access.can_write(request.user, customer) and member.status == MemberStatus.ACTIVE
    return {
        "member": member, "customer": customer, "card": selectors.member_card(member=member), "page_obj": page_obj, "rows": rows,
        "rewards": selectors.rewards_offered() if can_write else [], "can_write": can_write,
        "can_reverse": access.can_write(request.user, customer), "can_adjust": access.can_adjust(request.user, customer),
        "adjust_form": adjust_form or AdjustForm(), "redemptions": selectors.member_redemptions(member=member)[:10],
    }  # fmt: skip


@page
def loyalty_member(request, pk):
    member = selectors.member_get(user=request.user, pk=pk)
    return render(request, "web/loyalty/member.html", _card_context(request, member))


@page
@require_POST
def loyalty_enroll(request, customer_pk):
    """Enrol a customer (the button on the customer page posts here)."""
    customer = customer_get(user=request.user, pk=customer_pk)
    require(access.can_write(request.user, customer), _("Your role may only read the loyalty programme."))
    try:
        member = services.member_enroll(customer=customer, by=request.user)
    except ApplicationError as exc:
        if exc.code != "already_member":
            raise
        messages.info(request, exc.message)
        member = selectors.member_of_customer(customer=customer)
    else:
        messages.success(request, _("%(name)s is now member %(number)s.") % {"name": customer.name, "number": member.number})
    return redirect("web:loyalty_member", pk=member.pk)


@page
@require_POST
def loyalty_redeem(request, pk):
    member = selectors.member_get(user=request.user, pk=pk)
    require(access.can_write(request.user, member.customer), _("Your role may only read the loyalty programme."))
    reward = selectors.reward_get(pk=request.POST.get("reward"))
    try:
        services.points_redeem(member=member, reward=reward, by=request.user)
    except ApplicationError as exc:
        messages.error(request, _message_of(exc))
    else:
        messages.success(request, _("“%(name)s” redeemed for %(points)d points.") % {"name": reward.name, "points": reward.cost})
    return redirect("web:loyalty_member", pk=member.pk)


@page
def loyalty_adjust(request, pk):
    member = selectors.member_get(user=request.user, pk=pk)
    require(access.can_adjust(request.user, member.customer), _("Only the team's manager or an administrator may adjust points."))
    if request.method != "POST":
        return redirect("web:loyalty_member", pk=member.pk)
    form = AdjustForm(request.POST)
    if form.is_valid():
        try:
            services.points_adjust(member=member, by=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        except ApplicationError as exc:
            form.add_error("points", exc.message)
        else:
            messages.success(request, _("Points adjusted."))
            return redirect("web:loyalty_member", pk=member.pk)
    return render(request, "web/loyalty/member.html", _card_context(request, member, adjust_form=form), status=400)


@page
def loyalty_reverse(request, pk):
    """Confirm (GET) and write (POST) the reversal of a ledger entry."""
    entry = selectors.entry_get(user=request.user, pk=pk)
    member = entry.member
    require(access.can_write(request.user, member.customer), _("Your role may only read the loyalty programme."))
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.points_reverse(entry=entry, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Entry reversed."))
            return redirect("web:loyalty_member", pk=member.pk)
    context = {"entry": entry, "member": member, "form": form, "description": selectors.describe(entry), "reversible": selectors.reversible(entry)}
    return render(request, "web/loyalty/reverse.html", context, status=400 if form.errors else 200)


def _customer_choices(request) -> list:
    """The customers the user sees, by name (the first 500: a select stays usable)."""
    rows = visible_customers(request.user).order_by("name").values_list("pk", "name")[:500]
    return [("", "—"), *rows]


@page
def loyalty_referral(request):
    """Record that one customer referred another (both visible to the user)."""
    require(not request.user.is_read_only, _("Your role may only read the loyalty programme."))
    form = ReferralForm(request.POST or None, initial={"referrer": request.GET.get("referrer"), "referred": request.GET.get("referred")})
    choices = _customer_choices(request)
    for name in ("referrer", "referred"):
        form.fields[name].widget.choices = choices
    style(form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referrer = customer_get(user=request.user, pk=data["referrer"])
            referred = customer_get(user=request.user, pk=data["referred"])
            services.referral_record(referrer=referrer, referred=referred, by=request.user)
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Referral recorded: %(referrer)s referred %(referred)s.") % {"referrer": referrer.name, "referred": referred.name})
            return redirect("web:customer_detail", pk=referrer.pk)
    return render(request, "web/loyalty/referral.html", {"form": form}, status=400 if form.errors else 200)


def _tier_rows(post) -> list[dict]:
    names = ("id", "name", "name_en", "threshold", "multiplier", "benefits")
    columns = [post.getlist(f"tier_{n}") for n in names]
    deleted = set(post.getlist("tier_delete"))
    rows = []
    for i, values in enumerate(zip(*columns, strict=False)):
        row = dict(zip(names, values, strict=True))
        if not row["id"] and not any(row[n] for n in ("name", "name_en", "threshold", "benefits")):
            continue  # the empty row for a new tier, left empty
        row["delete"] = str(i) in deleted
        rows.append(row)
    return rows


@page
def loyalty_settings(request):
    """Tiers and earn rules (administrators), the rewards catalogue
    (administrators and managers); everyone else is turned away."""
    user = request.user
    require(access.can_see_settings(user), _("Only managers and administrators may open the programme's settings."))
    editing = selectors.reward_get(pk=request.GET["reward"], offered_only=False) if request.GET.get("reward") else None
    reward_form = RewardForm(instance=editing)
    tier_rows, tier_errors, rule_errors = None, {}, {}
    if request.method == "POST":
        try:
            if "save_tiers" in request.POST:
                tier_rows = _tier_rows(request.POST)
                services.tiers_save(by=user, rows=tier_rows)
                messages.success(request, _("Tiers saved."))
                return redirect("web:loyalty_settings")
            if "save_rules" in request.POST:
                rows = {code: {"points": request.POST.get(f"rule_{code}_points"), "active": request.POST.get(f"rule_{code}_active")} for code in RuleCode.values}
                services.rules_save(by=user, rows=rows)
                messages.success(request, _("Earn rules saved."))
                return redirect("web:loyalty_settings")
            reward_form = RewardForm(request.POST, instance=editing)
            if reward_form.is_valid():
                saved = services.reward_save(by=user, data=reward_form.cleaned_data, reward=editing)
                messages.success(request, _("Reward “%(name)s” saved.") % {"name": saved.name})
                return redirect("web:loyalty_settings")
        except ValidationFailed as exc:
            if "save_tiers" in request.POST:
                tier_errors = exc.fields
            elif "save_rules" in request.POST:
                rule_errors = exc.fields
            else:
                add_service_errors(reward_form, exc)
    tiers = tier_rows if tier_rows is not None else [
        {"id": t.pk, "name": t.name, "name_en": t.name_en, "threshold": t.threshold, "multiplier": t.multiplier, "benefits": t.benefits}
        for t in selectors.tiers()
    ]  # fmt: skip
    tier_table = [(i, row, {k.split(".", 1)[1]: v for k, v in tier_errors.items() if k.split(".", 1)[0] == str(i)}) for i, row in enumerate(tiers)]
    rules = selectors.rules()
    rule_rows = [(code, label, rules[code], rule_errors.get(f"{code}.points", [])) for code, label in RuleCode.choices]
    context = {
        "tier_table": tier_table, "new_index": len(tiers), "rule_rows": rule_rows, "rewards": selectors.rewards_all(),
        "reward_form": reward_form, "editing": editing, "can_configure": access.can_configure_programme(user),
        "has_errors": bool(tier_errors or rule_errors or reward_form.errors),
    }  # fmt: skip
    return render(request, "web/loyalty/settings.html", context, status=400 if context["has_errors"] else 200)
