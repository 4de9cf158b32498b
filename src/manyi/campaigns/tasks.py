"""Background work of campaigns. Tasks are thin: they call a service."""

from django_tasks import task


@task()
def campaign_send(campaign_id: int) -> dict:
    """Send the next batches a campaign's throttle allows, and queue the next run."""
    from manyi.campaigns import services

    services.campaign_start_scheduled(campaign_id=campaign_id)
    return services.campaign_send_run(campaign_id=campaign_id)


@task()
def campaigns_revive() -> list[int]:
    """Queue a run for campaigns whose sending stalled (a worker died) or whose time has come."""
    from manyi.campaigns import services

    return services.campaigns_revive()
