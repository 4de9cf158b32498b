"""Sales work (quotes)."""

from ninja import Router

router = Router(tags=["quotes"])
