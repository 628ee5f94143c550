"""Leads routed to banks, and the loans they become."""
