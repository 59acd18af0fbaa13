"""What the hub and the relying applications share, shipped inside the installed package, so
that each application (and the relying-party toolkit, `clients/rp`) depends on it and never
on the hub: the DSFR page layout and macros (`templates/`), the static files (`static/`: the
French state design system's distributed files, `dsfr/`, and our own stylesheet and scripts)
and the gettext catalogues of every page (`locales/`); and the code both sides use:

- `web/`            the Jinja2 page renderer (`pages.py`), page languages and catalogues
                    (`i18n.py`), the security headers middleware (`security_headers.py`), the
                    local redirect check (`redirects.py`)
- `storage/`        the engine and transaction helper (`database.py`), bounded waits
                    (`timeouts.py`), `StorageUnavailable` (`errors.py`), ORM conventions
                    (`orm.py`), Alembic helpers (`migrate.py`)
- `settings.py`     reading and checking settings from the environment (`SettingError`)
- `texts.py`        `N_()` and `Text`, the markers of user-facing texts chosen in code
- `background.py`   `Every`, a periodic daemon thread
- `log_hygiene.py`  the loggers held at a level where they write no secret

sitekit imports neither `idp` nor `clients` (pyproject.toml's layer contracts). Each
application adds its own `templates/`."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOCALES = HERE / "locales"
