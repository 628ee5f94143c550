"""The supervision figures: one definition each, computed live or read from rollups kept fresh."""
