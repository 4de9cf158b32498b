from typing import ClassVar

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    requires_system_checks: ClassVar[list[str]] = []  # no pages served
    help = "Complaints from the terminal: check the SLA clocks now, or read the complaint mailbox once."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{sweep,poll-mail}")
        actions.add_parser("sweep", help="warn before SLA breaches and escalate breached complaints (each once), refresh the risks")
        mail = actions.add_parser("poll-mail", help="file the new mail of MANYI_COMPLAINT_MAILBOX (or --mailbox) as complaints")
        mail.add_argument("--mailbox", help="imap://user:password@host:port/INBOX (default: MANYI_COMPLAINT_MAILBOX)")
        mail.add_argument("--limit", type=int, default=100, help="read at most this many mails (default 100)")

    def handle(self, *args, action: str, **options):
        if action == "sweep":
            from manyi.service.deadlines import sla_sweep

            counts = sla_sweep()
            self.stdout.write(f"Checked {counts['checked']} open complaints: {counts['warnings']} warnings and {counts['breaches']} breaches sent.")
            return
        from django.conf import settings

        from manyi.service.intake import mailbox_poll
        from manyi.service.mailbox import MailboxError, mailbox_from_url

        url = options["mailbox"] or settings.MANYI_COMPLAINT_MAILBOX
        if not url:
            raise CommandError("No mailbox: set MANYI_COMPLAINT_MAILBOX or pass --mailbox imap://user:password@host:port/INBOX.")
        try:
            counts = mailbox_poll(mailbox=mailbox_from_url(url), limit=options["limit"])
        except (MailboxError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Read {counts['read']} mails: {counts['filed']} filed, {counts['skipped']} seen before or without a sender, {counts['failed']} failed (left unread)."
        )
        if counts["failed"]:
            raise CommandError("Some mails could not be filed; the log says why.")
