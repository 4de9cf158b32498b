"""Complaints (客户投诉): the queue, filing, the nine steps, the customer's
messages and the replies (checked for words never to say), the SLA clock's
pauses, escalation, files, feedback to the department that caused it, and the
caller's notifications.

Every read goes through service.selectors (what the caller may see: anyone
else gets 404), every write through service.services."""

from django.conf import settings
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from manyi.accounts.selectors import active_user_get
from manyi.api.complaints_schemas import (
    STEP_FIELDS,
    AssignIn,
    ComplaintIn,
    ComplaintListItem,
    ComplaintOut,
    ComplaintQuery,
    EventOut,
    FeedbackCloseIn,
    FeedbackIn,
    FeedbackOut,
    LongReasonIn,
    NoteForm,
    NotificationOut,
    NotificationQuery,
    NotificationReadIn,
    NotificationReadOut,
    ReasonIn,
    ReplyFlaggedOut,
    ReplyIn,
    StepIn,
    TextIn,
)
from manyi.api.errors import ERRORS, WRITE_ERRORS, referenced, renamed
from manyi.api.pagination import Page, PageParams, paginate
from manyi.api.schemas import CheckReplyOut, PathId
from manyi.core.errors import NotFound
from manyi.customers.selectors import contact_get, customer_get
from manyi.service import selectors, services, uploads
from manyi.service.models import Complaint, ComplaintEvent, FeedbackItem

router = Router(tags=["complaints"])

_FILE = {"schema": {"type": "string", "format": "binary"}}
_DOWNLOAD = {
    "description": "The file, as an attachment, with the type read from its own first bytes when it was uploaded.",
    "content": {content_type: _FILE for content_type in uploads.EXTENSIONS},
}


def _complaint(request: HttpRequest, complaint_id: int) -> Complaint:
    return selectors.complaint_get(user=request.auth, pk=complaint_id)


def _detail(request: HttpRequest, complaint: Complaint) -> Complaint:
    """The complaint as the caller now sees it, read again after a write."""
    return selectors.complaint_get(user=request.auth, pk=complaint.pk)


def _event(request: HttpRequest, complaint: Complaint, event: ComplaintEvent) -> ComplaintEvent:
    """One event as the timeline shows it (its author, reading and files loaded)."""
    return next(e for e in selectors.complaint_events(user=request.auth, complaint=complaint) if e.pk == event.pk)


# Routes with a fixed first segment come first: "/notifications" would otherwise be taken for "/{complaint_id}".

# --- notifications -------------------------------------------------------------


@router.get("/notifications", response={200: Page[NotificationOut], **ERRORS})
def notification_list(request: HttpRequest, paging: Query[PageParams], filters: Query[NotificationQuery]) -> dict:
    """Your notifications, newest first."""
    return paginate(selectors.notification_list(user=request.auth, unread_only=filters.unread), paging)


@router.post("/notifications/read", response={200: NotificationReadOut, **WRITE_ERRORS})
def notification_read(request: HttpRequest, payload: NotificationReadIn) -> dict:
    """Mark your notifications read: those named, or all of them."""
    return {"read": services.notification_read(user=request.auth, ids=payload.ids)}


# --- files -----------------------------------------------------------------------


@router.get("/attachments/{attachment_id}", url_name="complaint_attachment", response=ERRORS, openapi_extra={"responses": {200: _DOWNLOAD}})
def attachment_download(request: HttpRequest, attachment_id: PathId) -> FileResponse:
    """A file added to a complaint you may see."""
    attachment = selectors.attachment_get(user=request.auth, pk=attachment_id)
    base = uploads.root().resolve()
    path = (base / attachment.path).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise NotFound(_("File not found."))
    response = FileResponse(path.open("rb"), as_attachment=True, filename=attachment.name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- feedback items ----------------------------------------------------------------


@router.post("/feedback/{item_id}/acknowledge", response={200: FeedbackOut, **WRITE_ERRORS})
def feedback_acknowledge(request: HttpRequest, item_id: PathId) -> FeedbackItem:
    """The recipient, or a manager of the team: the department has taken it in."""
    item = selectors.feedback_get(user=request.auth, pk=item_id)
    return services.feedback_acknowledge(item=item, by=request.auth)


@router.post("/feedback/{item_id}/close", response={200: FeedbackOut, **WRITE_ERRORS})
def feedback_close(request: HttpRequest, item_id: PathId, payload: FeedbackCloseIn) -> FeedbackItem:
    """The recipient, or a manager of the team: what the department changed."""
    item = selectors.feedback_get(user=request.auth, pk=item_id)
    return services.feedback_close(item=item, by=request.auth, action_taken=payload.action_taken)


# --- the queue and filing ------------------------------------------------------------


@router.get("", response={200: Page[ComplaintListItem], **ERRORS})
def complaint_list(request: HttpRequest, paging: Query[PageParams], filters: Query[ComplaintQuery]) -> dict:
    """The complaints you may see: open ones by risk unless asked otherwise."""
    if filters.customer is not None:
        customer_get(user=request.auth, pk=filters.customer)
    data = filters.model_dump(mode="json")
    data["severity"], data["channel"] = data["severity"] or "", data["channel"] or ""
    return paginate(selectors.complaint_list(user=request.auth, filters=selectors.ComplaintFilters(**data)), paging)


@router.post("", response={201: ComplaintOut, **WRITE_ERRORS})
def complaint_create(request: HttpRequest, payload: ComplaintIn) -> Status:
    """File a complaint (step 1, received) for a customer you may see. The
    description is read by the emotion engine; the SLA targets of the matching
    policy apply."""
    with referenced("customer"):
        customer = customer_get(user=request.auth, pk=payload.customer)
    contact = None
    if payload.contact is not None:
        with referenced("contact"):
            contact = contact_get(user=request.auth, pk=payload.contact)
    filing = services.Filing(
        customer=customer, contact=contact, channel=payload.channel, subject=payload.subject, description=payload.description,
        wants=payload.wants, severity=payload.severity,
    )  # fmt: skip
    complaint = services.complaint_create(by=request.auth, filing=filing)
    return Status(201, _detail(request, complaint))


@router.get("/{complaint_id}", response={200: ComplaintOut, **ERRORS})
def complaint_get(request: HttpRequest, complaint_id: PathId) -> Complaint:
    return _complaint(request, complaint_id)


@router.get("/{complaint_id}/events", response={200: list[EventOut], **ERRORS})
def complaint_events(request: HttpRequest, complaint_id: PathId) -> list:
    """The timeline, oldest first: every step, message, reply, note, pause and
    escalation, with the emotion reading of the customer's words and the files."""
    return selectors.complaint_events(user=request.auth, complaint=_complaint(request, complaint_id))


# --- the process ----------------------------------------------------------------------


@router.post("/{complaint_id}/steps", response={200: ComplaintOut, **WRITE_ERRORS})
def complaint_step(request: HttpRequest, complaint_id: PathId, payload: StepIn) -> Complaint:
    """Record the next step. 400 with code `step_skipped` (a later step without
    skip_reason), `step_done`, `closed`, or `close_refused` (closing without a
    recheck or a feedback item, and no manager's override_reason)."""
    complaint = _complaint(request, complaint_id)
    with renamed(**STEP_FIELDS):
        complaint = services.complaint_step(
            complaint=complaint, by=request.auth, step=payload.step, notes=payload.notes, data=payload.data.model_dump(mode="json", exclude_unset=True),
            skip_reason=payload.skip_reason, override_reason=payload.override_reason,
        )  # fmt: skip
    return _detail(request, complaint)


@router.post("/{complaint_id}/messages", response={201: EventOut, **WRITE_ERRORS})
def complaint_message(request: HttpRequest, complaint_id: PathId, payload: TextIn) -> Status:
    """What the customer said next: read for emotion; a paused clock starts again."""
    complaint = _complaint(request, complaint_id)
    event = services.complaint_message(complaint=complaint, by=request.auth, text=payload.text)
    return Status(201, _event(request, complaint, event))


@router.post("/{complaint_id}/replies", response={201: EventOut, 409: ReplyFlaggedOut, **WRITE_ERRORS})
def complaint_reply(request: HttpRequest, complaint_id: PathId, payload: ReplyIn) -> Status:
    """Log a reply to the customer. 409 (`reply_flagged`) when the reply
    checker finds words never to say to a complaining customer, with better
    wordings; send again with confirm=true to send it anyway (recorded)."""
    complaint = _complaint(request, complaint_id)
    event = services.complaint_reply(complaint=complaint, by=request.auth, text=payload.text, confirm=payload.confirm)
    return Status(201, _event(request, complaint, event))


@router.post("/{complaint_id}/reply-check", response={200: CheckReplyOut, **WRITE_ERRORS})
def complaint_reply_check(request: HttpRequest, complaint_id: PathId, payload: TextIn) -> dict:
    """Review a draft reply in the light of the customer's latest words; nothing is stored."""
    return services.reply_review(complaint=_complaint(request, complaint_id), text=payload.text)


@router.post("/{complaint_id}/pause", response={200: ComplaintOut, **WRITE_ERRORS})
def complaint_pause(request: HttpRequest, complaint_id: PathId, payload: ReasonIn) -> Complaint:
    """Stop the resolution clock while waiting for the customer (400 `not_running` when stopped already)."""
    complaint = services.complaint_pause(complaint=_complaint(request, complaint_id), by=request.auth, reason=payload.reason)
    return _detail(request, complaint)


@router.post("/{complaint_id}/resume", response={200: ComplaintOut, **WRITE_ERRORS})
def complaint_resume(request: HttpRequest, complaint_id: PathId) -> Complaint:
    """Start the clock again (400 `not_paused` when it runs)."""
    complaint = services.complaint_resume(complaint=_complaint(request, complaint_id), by=request.auth)
    return _detail(request, complaint)


@router.post("/{complaint_id}/escalate", response={200: ComplaintOut, **WRITE_ERRORS})
def complaint_escalate(request: HttpRequest, complaint_id: PathId, payload: LongReasonIn) -> Complaint:
    """Hand it up to the team's managers, who are notified."""
    complaint = services.complaint_escalate(complaint=_complaint(request, complaint_id), by=request.auth, reason=payload.reason)
    return _detail(request, complaint)


@router.post("/{complaint_id}/reopen", response={200: ComplaintOut, **WRITE_ERRORS})
def complaint_reopen(request: HttpRequest, complaint_id: PathId, payload: LongReasonIn) -> Complaint:
    """Open a closed complaint again, back at "analysed" (400 `not_closed` otherwise)."""
    complaint = services.complaint_reopen(complaint=_complaint(request, complaint_id), by=request.auth, reason=payload.reason)
    return _detail(request, complaint)


@router.post("/{complaint_id}/assign", response={200: ComplaintOut, **WRITE_ERRORS})
def complaint_assign(request: HttpRequest, complaint_id: PathId, payload: AssignIn) -> Complaint:
    """Managers of the team: give it to an active member of the team."""
    complaint = _complaint(request, complaint_id)
    with referenced("assignee_id"):
        assignee = active_user_get(ref=payload.assignee_id, field="assignee_id")
    with renamed(assignee="assignee_id"):
        complaint = services.complaint_assign(complaint=complaint, by=request.auth, assignee=assignee)
    return _detail(request, complaint)


@router.post("/{complaint_id}/attachments", response={201: EventOut, **WRITE_ERRORS})
def complaint_attach(request: HttpRequest, complaint_id: PathId, note: Form[NoteForm], files: File[list[UploadedFile]]) -> Status:
    """Add up to five files (images, PDF or plain text; at most 5 MB each,
    checked by their own first bytes) with a note, as multipart/form-data."""
    complaint = _complaint(request, complaint_id)
    limit = settings.MANYI_ATTACHMENT_MAX_FILES
    read = tuple(uploads.Upload.from_file(file) for file in files[: limit + 1])  # one too many is enough to refuse
    event = services.complaint_note(complaint=complaint, by=request.auth, text=note.text, files=read)
    return Status(201, _event(request, complaint, event))


@router.post("/{complaint_id}/feedback", response={201: FeedbackOut, **WRITE_ERRORS})
def feedback_create(request: HttpRequest, complaint_id: PathId, payload: FeedbackIn) -> Status:
    """Send what must change to the department that caused the complaint (反馈)."""
    complaint = _complaint(request, complaint_id)
    recipient = None
    if payload.recipient_id is not None:
        with referenced("recipient_id"):
            recipient = active_user_get(ref=payload.recipient_id, field="recipient_id")
    with renamed(recipient="recipient_id"):
        item = services.feedback_create(complaint=complaint, by=request.auth, department=payload.department or "", summary=payload.summary, recipient=recipient)
    return Status(201, item)
