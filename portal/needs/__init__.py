"""Financing needs: what a firm asks for, its matches and applications, offers, withdrawal."""
