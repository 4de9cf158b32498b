"""Complaints over the API."""

from ninja import Router

router = Router(tags=["complaints"])
