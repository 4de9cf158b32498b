import getpass
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from manyi.accounts.models import Role
from manyi.accounts.services import team_get_or_create, user_create
from manyi.core.errors import ApplicationError


def _error_text(exc: ApplicationError) -> str:
    lines = [exc.message]
    lines += [f"  {field}: {message}" for field, messages in exc.fields.items() for message in messages]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Create a user with a role (admin, manager, sales, service, analyst) and, optionally, a team."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        parser.add_argument("--team", help="team name; the team is created if it does not exist")
        parser.add_argument("--password", help="the password; asked for twice when left out")
        parser.add_argument("--email", default="")
        parser.add_argument("--display-name", default="", help="the name shown in Manyi, e.g. 王小明")

    def handle(self, *args, username: str, role: str, team: str | None, password: str | None, email: str, display_name: str, **options):
        if password is None:
            password = self._ask_password()
        try:
            with transaction.atomic():
                team_obj, team_created = team_get_or_create(name=team) if team else (None, False)
                user = user_create(username=username, password=password, role=role, team=team_obj, email=email, display_name=display_name)
        except ApplicationError as exc:
            raise CommandError(_error_text(exc)) from exc
        if team_created:
            self.stdout.write(f"Created team “{team_obj.name}”.")
        self.stdout.write(self.style.SUCCESS(f"Created user “{user.username}” ({user.get_role_display()})."))

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for a password: pass --password.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return first
