"""Risk compensation: banks claim a share of a loan's loss from a policy's pool."""
