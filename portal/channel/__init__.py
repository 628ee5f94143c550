"""The bank and the firm on an accepted lead: contacts, messages, document requests and the
documents themselves, and the firm's profile as the bank decided on it."""
