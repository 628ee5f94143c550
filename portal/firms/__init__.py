"""Firms (enterprises): registration, profile and size classification."""
