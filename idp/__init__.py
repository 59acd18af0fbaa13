"""OpenID Connect identity provider for French public services.

Packages, from the outside in (dependencies point one way, top to bottom):

- ``app``         create_app(settings): routes, middleware, lifespan — read this first
- ``web``         HTTP glue: pages (login, consent, logout; every form POST through one CSRF
                  guard, pages/form_guard.py), middleware (request limits, security headers)
- ``oidc``        the protocol: authlib grants and endpoints, checks, keys, claims, subjects
- ``accounts``    people: password hashing and verification
- ``storage``     the only package importing SQLAlchemy: models, repositories, migrations
- ``settings``    every configuration key, with its default and meaning
- ``cli``         the ``idp`` command
"""

__version__ = "0.1.0"
