"""The customer list as a file (CSV or XLSX), under the list's filters."""

from typing import Literal

from django.http import HttpRequest, HttpResponseBase
from ninja import Field, Query, Router

from manyi.api.errors import ERRORS
from manyi.api.schemas import CustomerQuery
from manyi.customers import selectors
from manyi.transfer import export

router = Router(tags=["customers"])


class ExportQuery(CustomerQuery):
    format: Literal[export.FORMATS] = Field("csv", description="csv: UTF-8 with a BOM (opens in Excel); xlsx: an Excel workbook.")


_FILE = {"schema": {"type": "string", "format": "binary"}}
_DOWNLOAD = {
    "description": "The file, as an attachment. Rows come in the order the customers were created; `sort` does not apply. "
    "Sensitive personal fields are never exported.",
    "content": {"text/csv": _FILE, export.XLSX_CONTENT_TYPE: _FILE},
}


@router.get("/export", response=ERRORS, openapi_extra={"responses": {200: _DOWNLOAD}})
def customer_export(request: HttpRequest, query: Query[ExportQuery]) -> HttpResponseBase:
    filters = selectors.CustomerFilters(**query.model_dump(exclude={"format"}))
    return export.export_response(user=request.auth, filters=filters, fmt=query.format)
