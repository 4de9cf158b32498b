"""A team's sales configuration, with the company defaults where the team has
set nothing of its own."""

from __future__ import annotations

from manyi.sales.models import SalesSettings, Stage


def stages_for(team_id: int | None) -> list[Stage]:
    """The pipeline's columns for a team, in order: its own, else the defaults."""
    if team_id is not None:
        own = list(Stage.objects.filter(team_id=team_id, active=True).order_by("position"))
        if own:
            return own
    return list(Stage.objects.filter(team__isnull=True, active=True).order_by("position"))


def settings_for(team_id: int | None) -> SalesSettings:
    """The team's settings row, or an unsaved one holding the defaults."""
    if team_id is not None:
        found = SalesSettings.objects.filter(team_id=team_id).first()
        if found:
            return found
    return SalesSettings(team_id=team_id)


def visits_per_month(settings: SalesSettings) -> dict[str, float]:
    return {"A": float(settings.visits_a), "B": float(settings.visits_b), "C": float(settings.visits_c), "D": float(settings.visits_d)}
