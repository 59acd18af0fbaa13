"""People: passwords and account rules. No HTTP, no SQL."""
