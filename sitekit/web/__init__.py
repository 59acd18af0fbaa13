"""What every application's web layer shares: the Jinja2 page renderer (`pages.py`), the
page language and catalogues (`i18n.py`), the security headers middleware
(`security_headers.py`) and the local redirect check (`redirects.py`). The only part of
sitekit that imports Starlette and Jinja2."""
