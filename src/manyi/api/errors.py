"""The one place where errors become JSON: every body has a stable `code`,
a `message` for people and, for field errors, `fields` {name: [messages]}."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from manyi.api.schemas import ErrorOut
from manyi.core.errors import ApplicationError, NotFound, ValidationFailed

# accounts.services.api_token_issue raises a plain ApplicationError (400) for bad credentials.
STATUS_BY_CODE = {"invalid_credentials": 401}
# django-ninja's own HttpErrors; the one a client meets is 400, a body that is not JSON.
HTTP_CODES = {400: "bad_request"}

# The error responses the routes document in the OpenAPI; a body that is not JSON is a 400.
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, **ERRORS}


def field_name(loc: tuple) -> str:
    """("body", "payload", "tags", 3) -> "tags"; ("query", "page_size") -> "page_size"."""
    source, *rest = loc
    if source == "body" and len(rest) > 1:
        rest = rest[1:]
    return str(rest[0]) if rest else str(source)


@contextmanager
def referenced(field: str) -> Iterator[None]:
    """A record named in the request body that the user cannot see is an error of that field."""
    try:
        yield
    except NotFound as exc:
        raise ValidationFailed(exc.message, fields={field: [exc.message]}) from exc


@contextmanager
def renamed(**names: str) -> Iterator[None]:
    """Report a service's field errors under the names the API uses (contact -> contact_id)."""
    try:
        yield
    except ApplicationError as exc:
        exc.fields = {names.get(k, k): v for k, v in exc.fields.items()}
        raise


def install(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict) -> HttpResponse:
        response = api.create_response(request, body, status=status)
        if status == 401:
            response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return respond(request, STATUS_BY_CODE.get(exc.code, exc.status), exc.as_dict())

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            fields.setdefault(field_name(error["loc"]), []).append(error["msg"])
        body = {"code": "validation_error", "message": _("Please correct the fields marked below."), "fields": fields}
        return respond(request, 422, body)

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = {"code": "unauthorized", "message": _("Send a valid token: Authorization: Bearer <token>.")}
        return respond(request, 401, body)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return respond(request, exc.status_code, {"code": code, "message": exc.message})

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, {"code": "not_found", "message": _("Not found.")})
