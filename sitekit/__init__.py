"""What the hub and the relying applications share, shipped inside the installed package:
the DSFR page layout and macros (`templates/`), the static files (`static/`: the French state
design system's distributed files, `dsfr/`, and our own stylesheet and scripts) and the
gettext catalogues of every page (`locales/`). Each application adds its own `templates/`."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOCALES = HERE / "locales"
