"""Financial institutions and government agencies."""
