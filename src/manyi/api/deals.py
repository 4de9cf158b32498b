"""Sales work (deals)."""

from ninja import Router

router = Router(tags=["deals"])
