"""Campaigns and win-back (domain §7, §8): consent, templates, segments, the outbox, e-mail and SMS."""
