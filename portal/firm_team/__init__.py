"""A firm's own account: its colleagues, who owns it, and everything the portal holds about it."""
