"""Domain errors: raised by services and selectors, turned into a message, a 4xx
JSON body or an exit status at the edge (page, API, command)."""

from __future__ import annotations


class ApplicationError(Exception):
    """An error the user can act on. `code` is stable; `message` is for people.

    `fields` maps a field name to a list of messages, for form-like errors.
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None):
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.fields = {k: [str(m) for m in v] for k, v in (fields or {}).items()}

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class ValidationFailed(ApplicationError):
    status = 422
    code = "validation_error"


class NotFound(ApplicationError):
    """Also raised for records the user may not see: an outsider learns nothing."""

    status = 404
    code = "not_found"


class PermissionDenied(ApplicationError):
    status = 403
    code = "permission_denied"
