"""The logic of the user's own pages (no HTTP): password change, later contact details,
application list and history."""
