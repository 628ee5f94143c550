"""Supervision: loan status reports, monthly reports and the LPR table."""
