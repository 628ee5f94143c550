"""The catalogue of bank products and government policy products."""
