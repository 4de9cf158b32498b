"""Who may see and handle a complaint: the one place that says so.

- administrator: every complaint;
- manager and analyst: their team's complaints (the analyst read-only);
- sales rep and service agent: complaints assigned to them and those of the
  customers they may see (customers.access);
- anyone else (an outsider): nothing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from manyi.accounts.models import Role, User
from manyi.customers import access as customer_access
from manyi.service.models import Complaint, FeedbackItem


def visible_complaints(user: User) -> QuerySet[Complaint]:
    qs = Complaint.objects.all()
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_admin:
        return qs
    if user.role in (Role.MANAGER, Role.ANALYST):
        if user.team_id is None:
            return qs.filter(assignee_id=user.id)
        return qs.filter(team_id=user.team_id)
    return qs.filter(Q(assignee_id=user.id) | Q(customer__in=customer_access.visible_customers(user).values("pk")))


def can_see(user: User, complaint: Complaint) -> bool:
    return visible_complaints(user).filter(pk=complaint.pk).exists()


def is_team_manager(user: User, complaint: Complaint) -> bool:
    return user.is_admin or (user.is_manager and user.team_id is not None and complaint.team_id == user.team_id)


def can_handle(user: User, complaint: Complaint) -> bool:
    """Record steps, reply, pause, escalate: anyone who sees it and is not read-only."""
    return bool(user.is_authenticated and not user.is_read_only and can_see(user, complaint))


def can_override(user: User, complaint: Complaint) -> bool:
    """Close without a recheck or a feedback item, or assign to someone else."""
    return is_team_manager(user, complaint)


def can_file(user: User) -> bool:
    return bool(user.is_authenticated and not user.is_read_only)


def can_answer_feedback(user: User, item: FeedbackItem) -> bool:
    """The department's recipient, or a manager of the complaint's team."""
    return bool(user.is_authenticated and not user.is_read_only) and (item.recipient_id == user.id or is_team_manager(user, item.complaint))


def visible_feedback(user: User) -> QuerySet[FeedbackItem]:
    if not user or not user.is_authenticated or not user.is_active:
        return FeedbackItem.objects.none()
    return FeedbackItem.objects.filter(Q(recipient_id=user.id) | Q(complaint__in=visible_complaints(user).values("pk")))
