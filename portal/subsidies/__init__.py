"""Government money on loans: which policies apply (one rule), budgets, and monthly payouts."""
