"""Pure numpy calculations (no Django): RFM, lifetime value, grades, cohorts,
next-product suggestions. Each takes and returns arrays."""
