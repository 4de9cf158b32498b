"""Satisfaction (domain §6): CSAT, NPS and expectation-vs-perception surveys."""
