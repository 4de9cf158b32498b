"""A team's sales configuration, with the company defaults where the team has
set nothing of its own."""

from __future__ import annotations

import datetime as dt

from manyi.sales.models import SalesSettings, Stage

DAY_START = dt.time(9, 0)  # a day's route leaves the office at nine; a visit without an arrival time is put there
DAY_END = dt.time(18, 0)  # a route back at the office later than this is flagged

# The sales platform of domain §5, from outside the wall to inside it: (key,
# name, English name, probability %, inside the wall). Written on first use,
# and again if they were ever all removed.
DEFAULT_STAGES = (
    ("prospect", "潜在客户", "Prospect, first contact", 10, False),
    ("developing", "积极发展", "Being developed", 25, False),
    ("negotiating", "洽谈中", "Negotiating", 50, False),
    ("first_purchase", "初次购买", "First purchase", 80, True),
    ("existing", "现有客户", "Existing customer", 90, True),
    ("key", "重要客户", "Key customer", 95, True),
)


def stages_for(team_id: int | None) -> list[Stage]:
    """The pipeline's columns for a team, in order: its own, else the defaults."""
    if team_id is not None:
        own = list(Stage.objects.filter(team_id=team_id, active=True).order_by("position"))
        if own:
            return own
    defaults = list(Stage.objects.filter(team__isnull=True, active=True).order_by("position"))
    if not defaults and not Stage.objects.filter(team__isnull=True).exists():
        for position, (key, name, name_en, probability, inside) in enumerate(DEFAULT_STAGES, 1):
            Stage.objects.get_or_create(team=None, key=key, defaults={"name": name, "name_en": name_en, "position": position,
                                                                      "probability": probability, "inside_wall": inside})  # fmt: skip
        defaults = list(Stage.objects.filter(team__isnull=True, active=True).order_by("position"))
    return defaults


def settings_for(team_id: int | None) -> SalesSettings:
    """The team's settings row, or an unsaved one holding the defaults."""
    if team_id is not None:
        found = SalesSettings.objects.filter(team_id=team_id).first()
        if found:
            return found
    return SalesSettings(team_id=team_id)


def visits_per_month(settings: SalesSettings) -> dict[str, float]:
    return {"A": float(settings.visits_a), "B": float(settings.visits_b), "C": float(settings.visits_c), "D": float(settings.visits_d)}
