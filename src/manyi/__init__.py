"""Manyi (满意): an open-source CRM that treats a customer's emotion as data."""

__version__ = "0.1.0"
