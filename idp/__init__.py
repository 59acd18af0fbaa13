"""OpenID Connect identity provider for French public services.

Packages, from the outside in (dependencies point one way, top to bottom; the layer
contracts of pyproject.toml, checked by ``lint-imports``, enforce it):

- ``app``         create_app(settings): routes, middleware, lifespan — read this first
- ``web``         HTTP glue: pages (login, consent, logout; every form POST through one CSRF
                  guard, pages/form_guard.py), the protocol endpoints, middleware (request
                  limits)
- ``portal``      the user's own pages' logic, no HTTP: portal home, password change, contact,
                  deletion of an account (and of inactive ones)
- ``oidc``        the protocol: authlib grants and endpoints, checks, keys, claims, subjects
- ``accounts``    people: passwords, throttling, recovery, second factor, postal address
- ``messaging``   the outbox and its senders: e-mail, SMS, tokens POSTed to applications
- ``storage``     the hub's models, repositories and migrations (with ``sitekit.storage``,
                  the only code importing SQLAlchemy)
- ``settings``    every configuration key, with its default and meaning
- ``cli``         the ``idp`` command

What the relying applications share with the hub (the database helper, page renderer,
security headers, text markers, background loops, redirect check) is in ``sitekit``, which
imports neither ``idp`` nor ``clients``; ``idp`` never imports ``clients``.
"""

__version__ = "0.1.0"
