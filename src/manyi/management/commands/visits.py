import csv
import io
from typing import ClassVar

from django.core.management.base import BaseCommand, CommandError

# Exit status for input the command cannot use (a week that is no week, an unknown rep or team).
USAGE = 2
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
CSV_HEADER = ("rep", "date", "weekday", "stop", "arrival", "customer", "grade", "address", "travel_km", "travel_minutes", "checked_in", "holiday")


class Command(BaseCommand):
    requires_system_checks: ClassVar[list[str]] = []  # no pages served
    help = "Visit plans from the terminal: print, make or export a rep's or a team's week (text, CSV for Excel, iCalendar)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{plan}")
        plan = actions.add_parser("plan", help="a week's visit plan, each day's stops in route order")
        plan.add_argument("--week", required=True, help="ISO week, e.g. 2026-W49")
        who = plan.add_mutually_exclusive_group(required=True)
        who.add_argument("--rep", help="the rep's username")
        who.add_argument("--team", help="every sales rep of this team (its name)")
        plan.add_argument("--make", action="store_true", help="plan the week first (visits checked in are kept)")
        plan.add_argument("--format", choices=("text", "csv", "ics"), default="text", help="text (default), csv (UTF-8 with BOM, opens in Excel) or ics")
        plan.add_argument("--output", help="write to this file instead of the terminal")

    def handle(self, *args, action: str, **options):
        from manyi.accounts.models import Role, Team, User
        from manyi.core.errors import ApplicationError
        from manyi.sales import planner
        from manyi.sales.selectors import visits as selectors
        from manyi.sales.services import visits as services

        try:
            monday = planner.parse_iso_week(options["week"].strip())
        except ValueError:
            raise CommandError(f"--week {options['week']!r} is not a week: write it as 2026-W49.", returncode=USAGE) from None
        if options["rep"]:
            rep = User.objects.filter(username=options["rep"], is_active=True).first()
            if rep is None:
                raise CommandError(f"No active user {options['rep']!r}.", returncode=USAGE)
            reps = [rep]
        else:
            team = Team.objects.filter(name=options["team"]).first()
            if team is None:
                raise CommandError(f"No team {options['team']!r}.", returncode=USAGE)
            reps = list(User.objects.filter(team=team, is_active=True, role=Role.SALES).order_by("username"))
            if not reps:
                raise CommandError(f"Team {team.name!r} has no active sales reps.", returncode=USAGE)
        plans = []
        try:
            for rep in reps:
                # From the terminal the operator acts as the rep, planning their own week.
                if options["make"]:
                    plans.append(services.visit_plan_make(by=rep, rep=rep, monday=monday))
                else:
                    plans.append(selectors.week_plan(user=rep, rep=rep, monday=monday))
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        fmt = options["format"]
        if fmt == "ics":
            data = self._ics(plans)
        elif fmt == "csv":
            data = self._csv(plans).encode("utf-8-sig")
        else:
            data = self._text(plans).encode()
        if options["output"]:
            with open(options["output"], "wb") as out:
                out.write(data)
            visits = sum(p.visits for p in plans)
            self.stdout.write(f"Wrote {visits} visits of {len(plans)} rep(s), week {plans[0].week}, to {options['output']}.")
        else:
            self.stdout.write(data.decode("utf-8"), ending="")  # a CSV keeps its BOM

    @staticmethod
    def _text(plans) -> str:
        lines = []
        for plan in plans:
            lines.append(f"{plan.rep.name} ({plan.rep.username}) — week {plan.week}: {plan.visits} visits, {plan.km} km, about {plan.hours} h")
            for day in plan.days:
                head = f"  {WEEKDAYS[day.day.weekday()]} {day.day.isoformat()}"
                if day.holiday:
                    lines.append(f"{head}  statutory holiday (法定假日): no visits")
                    continue
                lines.append(f"{head}  {day.visits} visits, {day.km} km, {day.hours} h")
                for s in day.stops:
                    time = s.arrive_at.strftime("%H:%M") if s.arrive_at else "--:--"
                    km = "" if s.travel_km is None else f"{s.travel_km:.1f} km"
                    done = "  ✓" if s.done else ""
                    lines.append(f"    {s.stop:>2}  {time}  {s.grade}  {s.customer_name}  {km}{done}".rstrip())
            for u in plan.unplaced:
                lines.append(f"  no weekday: {u.name} ({u.grade}) — {u.reason}")
            if plan.no_coordinates:
                lines.append(f"  not on the map (add latitude and longitude): {', '.join(p.name for p in plan.no_coordinates)}")
            lines.append("")
        return "\n".join(lines)

    @staticmethod
    def _csv(plans) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for plan in plans:
            for day in plan.days:
                for s in day.stops:
                    writer.writerow((
                        plan.rep.username, day.day.isoformat(), WEEKDAYS[day.day.weekday()], s.stop,
                        s.arrive_at.strftime("%H:%M") if s.arrive_at else "", s.customer_name, s.grade, s.address,
                        "" if s.travel_km is None else f"{s.travel_km:.1f}", "" if s.travel_minutes is None else s.travel_minutes,
                        "yes" if s.done else "", "yes" if day.holiday else "",
                    ))  # fmt: skip
        return out.getvalue()

    @staticmethod
    def _ics(plans) -> bytes:
        from django.conf import settings
        from django.utils import translation

        from manyi.sales.ical import visits_calendar
        from manyi.sales.models import PlannedVisit

        minutes = {plan.rep.pk: plan.visit_minutes for plan in plans}
        ids = [s.id for plan in plans for day in plan.days for s in day.stops]
        visits = PlannedVisit.objects.filter(pk__in=ids).select_related("customer").order_by("day", "rep_id", "stop")
        name = plans[0].rep.name if len(plans) == 1 else f"{len(plans)} reps"
        with translation.override(settings.LANGUAGE_CODE):
            return visits_calendar(visits, name=f"Manyi {name} {plans[0].week}", visit_minutes=lambda v: minutes.get(v.rep_id, 40))
