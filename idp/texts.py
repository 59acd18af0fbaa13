"""Marker for user-facing texts chosen outside templates (extracted by Babel, translated
where shown). Any layer may use it; translation happens in the web layer."""


def N_(message: str) -> str:
    return message
