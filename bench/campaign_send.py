"""Campaign sending throughput: N recipients through a local SMTP server
(aiosmtpd in its own process), Manyi's sender (one SMTP connection per batch)
beside the baseline of one connection per message, in the same run.

    python bench/campaign_send.py                 # 2,000 recipients each way
    python bench/campaign_send.py -n 10000
    python bench/campaign_send.py --profile       # where the sender's time goes

A fresh SQLite database in a temporary folder; customers with e-mail consent;
no throttle (the limit is above N) so what is measured is the sending itself:
claim, merge, sign the unsubscribe link, SMTP, record.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def smtp_server(port: int, ready, counter) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="recipients per campaign (default 2,000)")
    parser.add_argument("--profile", action="store_true", help="print the sender's top functions by cumulative time")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="manyi-bench-campaign-"))
    port = free_port()
    os.environ.update(MANYI_DATA_DIR=str(folder), MANYI_SMTP_URL=f"smtp://127.0.0.1:{port}", MANYI_MAIL_FROM="news@manyi.example",
                      DJANGO_SETTINGS_MODULE="manyi.settings")  # fmt: skip
    os.environ.pop("MANYI_DATABASE_URL", None)
    ready, counter = multiprocessing.Event(), multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=smtp_server, args=(port, ready, counter), daemon=True)
    server.start()
    ready.wait(30)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from manyi.accounts.models import Role, Team, User
    from manyi.campaigns import channels, services
    from manyi.campaigns.models import ConsentEvent, Recipient, RecipientStatus
    from manyi.customers.models import Customer

    call_command("migrate", verbosity=0)
    reverse("web:login")  # the URL configuration loads once, before anything is timed
    team = Team.objects.create(name="华东一组")
    rep = User.objects.create(username="rep", display_name="王小明", role=Role.SALES, team=team, phone="021-5555 0101")

    class ConnectionPerMessage(channels.EmailChannel):
        """The baseline: open, send and close an SMTP connection for each message."""

        def send(self, message):
            self.open()
            try:
                return super().send(message)
            finally:
                self.close()

    def run(label: str, channel_class) -> float:
        customers = Customer.objects.bulk_create(
            [Customer(name=f"{label}{i}", kind="individual", gender="female", owner=rep, team=team, email=f"{label}{i}@example.com") for i in range(args.n)],
            batch_size=2000,
        )
        ConsentEvent.objects.bulk_create([ConsentEvent(customer=c, channel="email", granted=True, source="import") for c in customers], batch_size=2000)
        template = services.template_create(by=rep, data={"name": label, "channel": "email", "subject": "{{honorific}}，新品上市", "body": "{{honorific}}您好：\n新品上市，欢迎致电{{owner_name}} {{owner_phone}}。"})
        campaign = services.campaign_create(by=rep, data={"name": label, "channel": "email", "template": template, "throttle_limit": args.n * 10, "throttle_window": 1, "audience": {"owner": rep.pk}})
        customer_ids = [c.pk for c in customers]
        services.campaign_launch(campaign=campaign, by=rep, public_url="https://crm.example.com")
        Recipient.objects.filter(campaign=campaign).exclude(customer_id__in=customer_ids).update(status=RecipientStatus.SKIPPED)
        before = counter.value
        original = channels.EmailChannel
        services.channel_for = lambda kind: channel_class()
        try:
            started = time.perf_counter()
            if args.profile and channel_class is original:
                import cProfile
                import pstats

                profile = cProfile.Profile()
                profile.runcall(services.campaign_send_run, campaign_id=campaign.pk, run_seconds=3600)
                elapsed = time.perf_counter() - started
                pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
            else:
                services.campaign_send_run(campaign_id=campaign.pk, run_seconds=3600)
                elapsed = time.perf_counter() - started
        finally:
            services.channel_for = channels.channel_for
        sent = Recipient.objects.filter(campaign=campaign, status=RecipientStatus.SENT).count()
        assert sent == args.n and counter.value - before == args.n, (sent, counter.value - before)
        return elapsed

    print(f"Campaign sending, {args.n:,} recipients through aiosmtpd on 127.0.0.1 (database: {connection.vendor}; {timezone.now():%Y-%m-%d})")
    manyi = run("batch", channels.EmailChannel)
    baseline = run("single", ConnectionPerMessage)
    print()
    print("| sender | seconds | messages/s |")
    print("|---|---:|---:|")
    print(f"| Manyi: one SMTP connection per batch of {services.BATCH_SIZE} | {manyi:.2f} | {args.n / manyi:,.0f} |")
    print(f"| baseline: one SMTP connection per message | {baseline:.2f} | {args.n / baseline:,.0f} |")
    print(f"\nspeed-up: {baseline / manyi:.2f}×")
    server.terminate()


if __name__ == "__main__":
    main()
