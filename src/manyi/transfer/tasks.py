"""Background work of imports. Tasks are thin: they call a service."""

from django_tasks import task

from manyi.core.errors import ApplicationError


@task()
def run_import(job_id: int, by_id: int) -> str:
    """Run or resume an import; returns its status ("running" when another
    worker holds it)."""
    from manyi.accounts.models import User
    from manyi.transfer.models import ImportJob
    from manyi.transfer.services import import_run

    by = User.objects.get(pk=by_id)
    try:
        return import_run(by=by, job=ImportJob.objects.get(pk=job_id)).status
    except ApplicationError as exc:
        if exc.code in ("running", "finished"):
            return exc.code
        raise
