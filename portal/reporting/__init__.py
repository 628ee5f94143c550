"""Monthly loan status reporting: what banks report each month, by form or file, and by when."""
