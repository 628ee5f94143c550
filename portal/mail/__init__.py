"""E-mail: an outbox written in the event's transaction, sent by the scheduler through SMTP."""
