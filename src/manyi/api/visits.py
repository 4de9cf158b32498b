"""Sales work (visits)."""

from ninja import Router

router = Router(tags=["visits"])
