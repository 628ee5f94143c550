"""Financing needs and matching them to products."""
