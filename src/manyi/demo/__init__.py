"""Deterministic demo data: two sales teams, a user for every role, about 200
Chinese customers with contacts, and a few thousand interactions over the last
two years. Everything is written through the services, as a user would."""
