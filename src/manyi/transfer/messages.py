"""What an import says about a cell, a row or a file, in the user's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from manyi.transfer.fields import FieldError
from manyi.transfer.readers import FileProblem


def field_message(error: FieldError, value: Any) -> str:
    shown = str(value if value is not None else "")
    if len(shown) > 40:
        shown = shown[:40] + "…"
    code, limit = error.code, error.limit
    if code == "too_long":
        return ngettext(
            "Longer than %(n)d character (%(length)d).", "Longer than %(n)d characters (%(length)d).", limit
        ) % {"n": limit, "length": len(str(value))}
    if code == "choice":
        return _("“%(value)s” is not one of the choices (%(choices)s).") % {"value": shown, "choices": ", ".join(limit)}
    messages = {
        "phone": _("“%(value)s” is not a valid phone number; use e.g. 138 1234 5678 or 010-8888 6666."),
        "email": _("“%(value)s” is not an e-mail address."),
        "url": _("“%(value)s” is not a web address."),
        "date": _("“%(value)s” is not a date; use e.g. 2024年3月5日, 2024/3/5 or 2024-03-05."),
        "no_such_date": _("“%(value)s” is not a day of the calendar."),
        "datetime": _("“%(value)s” is not a date and time; use e.g. 2024-03-05 14:30."),
        "number": _("“%(value)s” is not a number."),
        "whole": _("“%(value)s” is not a whole number."),
        "negative": _("“%(value)s” is below zero."),
        "boolean": _("“%(value)s” is neither yes (是) nor no (否)."),
        "credit_code": _("“%(value)s” is not a unified social credit code (18 letters and digits)."),
        "too_many_tags": _("More than %(limit)s tags."),
        "tag_too_long": _("A tag is longer than %(limit)s characters."),
        "too_big": _("“%(value)s” is too large (at most %(limit)s)."),
    }
    return messages.get(code, _("“%(value)s” cannot be stored here.")) % {"value": shown, "limit": limit}


def file_message(problem: FileProblem) -> str:
    messages = {
        "empty": _("The file is empty."),
        "binary": _("This is not a CSV or Excel file (it holds binary data). Save it as .csv or .xlsx and upload it again."),
        "encoding": _("The file's characters could not be read as UTF-8, GBK/GB18030 or Big5. Choose its encoding, or save it as UTF-8."),
        "unknown_encoding": _("“%(detail)s” is not an encoding Manyi knows."),
        "xls": _("Old Excel files (.xls, Excel 97–2003) cannot be read. Save it as .xlsx or CSV in Excel and upload it again."),
        "bad_xlsx": _("The Excel file is damaged or not an .xlsx workbook (%(detail)s)."),
        "csv": _("The file stops being a table at line %(detail)s."),
        "one_column": _("Only one column was found. Is the delimiter right? (The header reads “%(detail)s”.)"),
        "no_name": _("No column is chosen for the required field “%(detail)s”."),
        "missing": _("The uploaded file is no longer on the server; upload it again."),
    }
    return messages.get(problem.code, problem.code) % {"detail": problem.detail}


def row_message(code: str, **values: Any) -> str:
    messages = {
        "required": _("Required; the cell is empty."),
        "ragged": _("The row has %(found)d cells, the header %(expected)d. Is a delimiter or a quote missing?"),
        "undecodable": _("Holds characters that are not in the file's encoding (%(encoding)s)."),
        "no_customer": _("No customer you may change is called “%(value)s”."),
        "ambiguous_customer": _("%(count)d customers are called “%(value)s”; add the unified social credit code column to tell them apart."),
        "no_product": _("No product has the code or name “%(value)s”."),
        "owner": _("“%(value)s” is not a user you may give customers to."),
        "duplicate_row": _("Same customer as line %(line)d of this file (%(reason)s)."),
        "duplicate": _("Already in Manyi as “%(name)s” (%(reason)s)."),
        "duplicate_hidden": _("Already in Manyi, held by someone else (%(reason)s)."),
        "order_mixed": _("Line %(line)d of the same order names another customer or date."),
    }
    return messages[code] % values


def reason_label(reason: str) -> str:
    return {
        "credit_code": _("same unified social credit code"),
        "mobile": _("same mobile"),
        "email": _("same e-mail"),
        "phone": _("same phone and name"),
        "name": _("same name"),
        "contact": _("same contact"),
        "interaction": _("same interaction"),
        "order": _("same order number"),
        "unchanged": _("nothing new to add"),
    }.get(reason, reason)
