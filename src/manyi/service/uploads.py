"""Attachments of complaints: what may be uploaded (checked by the file's own
first bytes, not its name), and where it is kept."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

# The kinds a customer or an agent may attach: images, PDF, plain text.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
)
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp", "application/pdf": ".pdf", "text/plain": ".txt"}


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    data: bytes

    @classmethod
    def from_file(cls, file: Any) -> Upload:
        """From a Django UploadedFile, reading no more than one byte past the limit."""
        data = file.read(settings.MANYI_ATTACHMENT_MAX_BYTES + 1)
        return cls(name=getattr(file, "name", "") or "file", data=data)


def sniff(data: bytes) -> str | None:
    """The content type of an allowed file, from its first bytes; None for anything else."""
    for magic, offset, content_type in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:4096]
    if b"\x00" in head:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            return None
    if re.search(r"<\s*(script|html|svg|iframe)\b", text[:4096], re.IGNORECASE):
        return None
    return "text/plain"


def safe_name(name: str) -> str:
    """The file's own name without folders or control characters, at most 100 characters."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", base).strip(" .") or "file"
    return base[:100]


def check_all(files: Any, errors: dict[str, list[str]]) -> None:
    """Add a message under "files" for each upload that may not be stored."""
    files = tuple(files or ())
    if len(files) > settings.MANYI_ATTACHMENT_MAX_FILES:
        errors.setdefault("files", []).append(_("At most %(n)d files at a time.") % {"n": settings.MANYI_ATTACHMENT_MAX_FILES})
    limit = settings.MANYI_ATTACHMENT_MAX_BYTES
    for upload in files:
        name = safe_name(upload.name)
        if len(upload.data) > limit:
            errors.setdefault("files", []).append(_("%(name)s is larger than %(mb)d MB.") % {"name": name, "mb": limit // (1024 * 1024)})
        elif not upload.data:
            errors.setdefault("files", []).append(_("%(name)s is empty.") % {"name": name})
        elif sniff(upload.data) is None:
            errors.setdefault("files", []).append(_("%(name)s is not an image, a PDF or a plain-text file.") % {"name": name})


def root() -> Path:
    return Path(settings.MANYI_ATTACHMENT_DIR)


def store_all(*, complaint, event, files: Any, by) -> list:
    """Write checked uploads under random names. Should the transaction roll
    back, a written file stays behind under its random name, linked from nothing."""
    from manyi.service.models import Attachment

    stored = []
    for upload in tuple(files or ()):
        content_type = sniff(upload.data)
        relative = f"{complaint.pk}/{secrets.token_urlsafe(16)}{EXTENSIONS[content_type]}"
        path = root() / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.data)
        stored.append(
            Attachment.objects.create(
                complaint=complaint, event=event, name=safe_name(upload.name), content_type=content_type,
                size=len(upload.data), path=relative, uploaded_by=by,
            )
        )
    return stored

