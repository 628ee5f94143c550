"""In-portal notifications."""
