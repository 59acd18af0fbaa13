"""Seed a benchmark hub (IDP_* environment): migrations, one confidential client, N users
with the real argon2id cost. Prints {client_id, secret, users} as JSON."""

from __future__ import annotations

import json
import sys

from idp import admin
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.migrate import upgrade

PASSWORD = "Bench-mark-2026!"

settings = Settings.from_env()
upgrade(settings.database_url)
rt = Runtime.build(settings)
now = rt.clock.now()
client = admin.add_client(
    rt.db, now, client_id="bench", redirect_uris=["http://127.0.0.1:9/callback"],
    grant_types=["authorization_code", "refresh_token", "client_credentials"],
    scope="openid profile api")
users = []
for i in range(int(sys.argv[1])):
    username = f"bench-user-{i}"
    admin.add_user(rt.db, rt.passwords, now, username=username, password=PASSWORD,
                   given_name="Utilisateur", family_name=f"Banc {i}", phone="+33600000003")
    users.append(username)
rt.close()
print(json.dumps({"client_id": "bench", "secret": client.secret, "users": users}))
