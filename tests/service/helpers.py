"""Complaints as the tests need them, written through the services."""

from manyi.service import services
from manyi.service.models import Step


def file_complaint(customer, *, by, channel="phone", subject="净水器漏水", description="新买的净水器漏水，地板都泡了，很生气。", severity="normal", **extra):
    filing = services.Filing(customer=customer, channel=channel, subject=subject, description=description, severity=severity, **extra)
    return services.complaint_create(by=by, filing=filing)


PROCESS = [
    (Step.CONFIRMED, {"wants": "换一台新的"}),
    (Step.CALMED, {}),
    (Step.ANALYSED, {"cause": "product/manufacturing", "responsibility": "ours", "severity": "normal", "department": "production"}),
    (Step.PROPOSED, {"solution": "上门换新机"}),
    (Step.AGREED, {}),
    (Step.CARRIED_OUT, {}),
    (Step.RECHECKED, {"recheck_result": "satisfied"}),
]


def close_properly(complaint, *, by, recipient=None, recheck="satisfied"):
    """Walk every step, send a feedback item, close."""
    for step, data in PROCESS:
        if step == Step.RECHECKED:
            data = {"recheck_result": recheck}
        services.complaint_step(complaint=complaint, by=by, step=step, data=data)
    services.feedback_create(complaint=complaint, by=by, department="production", summary="密封圈批次不良，来料检验要加严", recipient=recipient)
    return services.complaint_step(complaint=complaint, by=by, step=Step.CLOSED, notes="已总结")
