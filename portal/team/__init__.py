"""An institution's team and settings, run by its own admins; invitations by e-mail."""
