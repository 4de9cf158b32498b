"""How numbers read on the pages, the same in both languages (zh_Hans
formats have no thousands separator): ¥1,234,567, 12%, 1,234."""

from __future__ import annotations

from decimal import Decimal


def money(value, places: int = 0) -> str:
    """¥ with thousands separators in both languages: ¥1,234,567."""
    if value is None:
        return "—"
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    return f"¥{number + 0:,.{places}f}"  # + 0 turns -0 into 0


def percent(share: float | None, places: int = 0) -> str:
    if share is None:
        return "—"
    if 0 < share < 0.005 and places == 0:
        return "<1%"
    return f"{share * 100:.{places}f}%"


def count(n: int) -> str:
    return f"{n:,}"
