"""Customer value analytics (domain §1, §4, §7, §8): orders, RFM, lifetime value,
churn risk, grades and next-product suggestions."""
