"""The loyalty programme (domain §7): members, tiers, an append-only points ledger, rewards."""
