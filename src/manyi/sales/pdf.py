"""A quote version as the customer sees it: the printable page and its PDF,
both from the template web/quotes/print.html, in the quote's own language,
with the team's company name and details (SalesSettings).

`quote_document` is the breakdown an honest quote shows (domain §5): the
lines grouped into parts with each part's subtotal and share, the discount
and what it is against, the total beside the market reference price, the
workload (roles, people, days, person-days), the difficulty and the quality
it buys. The quote's page shows the same breakdown.

The PDF is drawn by WeasyPrint. The template's font stack puts "Noto Sans CJK
SC" first, so Chinese renders on a server with fonts-noto-cjk; nothing is
fetched while drawing (the template holds its own styles), so no text a user
typed can make the server load an address.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation

from manyi.sales.config import settings_for
from manyi.sales.models import Difficulty, Quote, QuoteVersion
from manyi.sales.services.quote_content import percent_text

TEMPLATE = "web/quotes/print.html"
FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
CENT = Decimal("0.01")


def yuan(value: Decimal | None) -> str:
    """¥1,234.50; "—" for nothing."""
    if value is None:
        return "—"
    number = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"¥{number + 0:,.2f}"


def amount_text(value: Decimal | float) -> str:
    """2, 2.5, 0.125: no trailing zeros, never an exponent."""
    return format(Decimal(str(value)).normalize(), "f")


@dataclass
class DocLine:
    position: int
    description: str
    sku: str
    quantity: str
    unit: str
    unit_price: str
    amount: str


@dataclass
class DocPart:
    name: str  # "" for lines given no part
    lines: list[DocLine] = field(default_factory=list)
    subtotal: Decimal = Decimal(0)
    subtotal_text: str = ""
    share: str = ""  # of the subtotal, "42%"


@dataclass
class DocWork:
    role: str
    people: int
    days: str
    person_days: str


@dataclass
class QuoteDocument:
    quote: Quote
    version: QuoteVersion
    company_name: str
    company_details: str
    parts: list[DocPart]
    subtotal: str
    discount_percent: str  # "" without a discount
    discount_amount: str
    discount_condition: str
    total: str
    market_reference: str  # "" when none was given
    market_reference_note: str
    market_difference: str  # "−¥1,200.00 (−8%)" against the market reference
    below_market: bool
    work: list[DocWork]
    people: int
    person_days: str
    difficulty: str
    difficulty_note: str
    quality_note: str
    notes: str
    valid_until: dt.date | None
    issued_on: dt.date


def _parts(version: QuoteVersion) -> list[DocPart]:
    parts: dict[str, DocPart] = {}
    for line in version.lines.all():
        part = parts.setdefault(line.part, DocPart(line.part))
        part.lines.append(DocLine(
            line.position, line.description, line.product.sku if line.product_id else "", amount_text(line.quantity), line.unit,
            yuan(line.unit_price), yuan(line.amount),
        ))  # fmt: skip
        part.subtotal += line.amount
    number = 0
    for part in parts.values():
        for doc_line in part.lines:  # numbered as they are shown, part after part
            number += 1
            doc_line.position = number
        part.subtotal_text = yuan(part.subtotal)
        part.share = f"{part.subtotal / version.subtotal * 100:.0f}%" if version.subtotal else "—"
    return list(parts.values())


def _difference(total: Decimal, reference: Decimal | None) -> tuple[str, bool]:
    if reference is None:
        return "", False
    gap = total - reference
    sign = "−" if gap < 0 else "+" if gap > 0 else "±"
    share = f" ({sign}{abs(gap) / reference * 100:.0f}%)" if reference else ""
    return f"{sign}{yuan(abs(gap))}{share}", gap < 0


def quote_document(*, quote: Quote, version: QuoteVersion) -> QuoteDocument:
    """The breakdown of one version, its texts in the active language."""
    company = settings_for(quote.team_id)
    difference, below = _difference(version.total, version.market_reference)
    work, people, person_days = [], 0, Decimal(0)
    for row in version.workload or []:
        days = Decimal(str(row.get("days", 0)))
        count = int(row.get("people", 0))
        work.append(DocWork(str(row.get("role", "")), count, amount_text(days), amount_text(days * count)))
        people += count
        person_days += days * count
    discount = version.subtotal - version.total
    return QuoteDocument(
        quote=quote, version=version, company_name=company.company_name, company_details=company.company_details,
        parts=_parts(version), subtotal=yuan(version.subtotal),
        discount_percent=percent_text(version.discount_percent) if version.discount_percent else "",
        discount_amount=yuan(discount), discount_condition=version.discount_condition, total=yuan(version.total),
        market_reference=yuan(version.market_reference) if version.market_reference is not None else "",
        market_reference_note=version.market_reference_note, market_difference=difference, below_market=below,
        work=work, people=people, person_days=amount_text(person_days),
        difficulty=str(Difficulty(version.difficulty).label), difficulty_note=version.difficulty_note,
        quality_note=version.quality_note, notes=version.notes, valid_until=version.valid_until,
        issued_on=timezone.localdate(version.created_at),
    )  # fmt: skip


def render_html(*, quote: Quote, version: QuoteVersion, screen: bool = False, extra: dict | None = None) -> str:
    """The printable page, in the quote's language. `screen` adds the toolbar
    (print, PDF, back) that the printout and the PDF leave out."""
    with translation.override(version.language):
        context = {"doc": quote_document(quote=quote, version=version), "font_stack": FONT_STACK, "screen": screen, **(extra or {})}
        return render_to_string(TEMPLATE, context)


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"quote PDFs load nothing: {url[:80]}")


def render_pdf(*, quote: Quote, version: QuoteVersion) -> bytes:
    """The PDF of a version, from the same template as the printable page."""
    import weasyprint  # heavy; only the PDF needs it

    html = render_html(quote=quote, version=version)
    return weasyprint.HTML(string=html, base_url=str(Path(__file__).resolve().parent), url_fetcher=_no_fetch).write_pdf()


def pdf_filename(quote: Quote, version: QuoteVersion) -> str:
    return f"{quote.number}-v{version.number}.pdf"
