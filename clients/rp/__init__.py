"""Relying-party toolkit shared by the applications protected by the hub (APA now, Chorus
and the service-public account later): login through the hub with authlib's Starlette
client (`login.py`), server-side sessions ended by back-channel logout (`sessions.py`),
the one CSRF guard of an application's forms (`forms.py`), and bearer-token checks for APIs
(`bearer.py`)."""
