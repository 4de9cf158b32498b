"""Record-level access: the one place that says who may see and change a customer.

- administrator: every customer;
- manager: the customers of their team (owned by a team member);
- analyst: the customers of their team, read-only;
- sales rep: customers they own or that are shared with them;
- service agent: customers they serve (and any they own).
Sensitive personal fields: the owner, a manager of the owner's team, administrators.
"""

from __future__ import annotations

from django.db.models import F, Lookup, Q, QuerySet

from manyi.accounts.models import Role, User
from manyi.customers.models import AccessKind, Customer, CustomerAccess


class InSubqueryArray(Lookup):
    """`id IN (SELECT customer_id ...)`, written for PostgreSQL as
    `id = ANY(ARRAY(SELECT ...))`: the array is computed once and ORed with
    the owner index (BitmapOr), where the IN form, ORed with `owner_id = x`,
    makes PostgreSQL read every customer (and misjudges how many rows an OR
    with it keeps). SQLite's planner handles the IN form itself (a
    multi-index OR)."""

    lookup_name = "in_granted"

    def _sides(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, rhs, [*lhs_params, *rhs_params]

    def as_sql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler, connection):
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", params


def visible_customers(user: User, *, include_deleted: bool = False) -> QuerySet[Customer]:
    qs = Customer.objects.all()
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_admin:
        return qs
    if user.role in (Role.MANAGER, Role.ANALYST):
        if user.team_id is None:
            return qs.filter(owner_id=user.id)
        return qs.filter(team_id=user.team_id)
    kind = AccessKind.SERVICE if user.role == Role.SERVICE else AccessKind.SHARED
    granted = CustomerAccess.objects.filter(user_id=user.id, kind=kind).values("customer_id")
    return qs.filter(Q(owner_id=user.id) | Q(InSubqueryArray(F("pk"), granted)))


def visible_parts(user: User) -> list[QuerySet[Customer]]:
    """The live customers of visible_customers(user), as disjoint querysets
    whose union is exactly that set: for a rep or an agent, the customers they
    own and, apart, those granted to them that they do not own. Each part is
    answered from one index (owner, updated_at, id), where the OR of the two
    makes both databases look up every visible row to sort a page."""
    if not sees_own_and_granted_only(user) or not user.is_active:
        return [visible_customers(user)]
    live = Customer.objects.filter(deleted_at__isnull=True)
    kind = AccessKind.SERVICE if user.role == Role.SERVICE else AccessKind.SHARED
    granted = CustomerAccess.objects.filter(user_id=user.id, kind=kind).values("customer_id")
    return [live.filter(owner_id=user.id), live.filter(pk__in=granted).exclude(owner_id=user.id)]


def sees_own_and_granted_only(user: User) -> bool:
    """Reps and service agents: a few thousand customers, not a team's or everyone's."""
    return bool(user and user.is_authenticated) and not user.is_admin and user.role not in (Role.MANAGER, Role.ANALYST)


def can_create_customers(user: User) -> bool:
    return user.is_authenticated and not user.is_read_only


def can_edit(user: User, customer: Customer) -> bool:
    """Change the profile, contacts, owner and sharing."""
    if user.is_admin:
        return True
    if user.is_manager:
        return user.team_id is not None and customer.team_id == user.team_id
    return user.role in (Role.SALES, Role.SERVICE) and customer.owner_id == user.id


def can_log_interaction(user: User, customer: Customer) -> bool:
    """Anyone who sees the customer and is not read-only (shared reps, serving agents)."""
    return not user.is_read_only


def can_see_sensitive(user: User, customer: Customer) -> bool:
    if user.is_admin or customer.owner_id == user.id:
        return True
    return user.is_manager and user.team_id is not None and customer.team_id == user.team_id


def can_assign_owner(user: User) -> bool:
    return user.is_admin or user.is_manager


def assignable_owners(user: User) -> QuerySet[User]:
    qs = User.objects.filter(is_active=True).exclude(role=Role.ANALYST).order_by("display_name", "username")
    if user.is_admin:
        return qs
    if user.is_manager and user.team_id:
        return qs.filter(team_id=user.team_id)
    return qs.filter(pk=user.pk)
