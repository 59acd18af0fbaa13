"""Marker for user-facing texts chosen outside templates (extracted by Babel, translated
where shown). Any layer may use it; translation happens in the web layer."""


def N_(message: str) -> str:
    return message


class Text(str):
    """A message id with the values to put into its translation ("At least {n} digits").
    Templates' `_()` formats it; elsewhere it reads as its message id."""

    values: dict[str, object]

    def __new__(cls, message: str, **values: object) -> "Text":
        text = super().__new__(cls, message)
        text.values = values
        return text
