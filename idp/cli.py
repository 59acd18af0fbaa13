"""The `idp` command (also `python -m idp`). Human-readable output; `--json` for scripts."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any

from idp import admin
from idp.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except admin.AdminError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        while _opened:  # database connections and threads of the runtimes used
            _opened.pop().close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idp", description="OpenID Connect hub")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers()

    serve = sub.add_parser("serve", help="run the hub (applies migrations first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-upgrade", action="store_true", help="do not apply migrations")
    serve.set_defaults(handler=cmd_serve)

    demo = sub.add_parser("demo", help="run the demo on SQLite with demo clients and users")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(handler=cmd_demo)

    db = sub.add_parser("db", help="database").add_subparsers()
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=cmd_db_upgrade)

    clients = sub.add_parser("clients", help="relying applications").add_subparsers()
    add = clients.add_parser("add", help="register a client; prints its secret once")
    add.add_argument("--client-id", required=True)
    add.add_argument("--name")
    add.add_argument("--redirect-uri", action="append", default=[])
    add.add_argument("--post-logout-redirect-uri", action="append", default=[])
    add.add_argument("--auth-method", default="client_secret_basic",
                     choices=["client_secret_basic", "client_secret_post", "private_key_jwt",
                              "none"])
    add.add_argument("--grant-type", action="append", default=[],
                     choices=["authorization_code", "refresh_token", "client_credentials"])
    add.add_argument("--scope", default="openid profile email")
    add.add_argument("--audience", action="append", default=[],
                     help="aud of its access tokens (resource servers); default its client_id")
    add.add_argument("--jwks-uri")
    add.add_argument("--id-token-alg", default="RS256", choices=["RS256", "ES256"])
    add.add_argument("--backchannel-logout-uri")
    add.add_argument("--subject-type", default="public", choices=["public", "pairwise"])
    add.add_argument("--access-rule", help="e.g. 'group:apa', 'population:portal'")
    add.add_argument("--home-url", help="the application's start page (portal link)")
    add.add_argument("--secret-lifetime-days", type=int,
                     help="the secret expires after this many days (technical users: 365)")
    add.set_defaults(handler=cmd_clients_add)
    clients.add_parser("list").set_defaults(handler=cmd_clients_list)
    show = clients.add_parser("show")
    show.add_argument("client_id")
    show.set_defaults(handler=cmd_clients_show)
    remove = clients.add_parser("remove")
    remove.add_argument("client_id")
    remove.set_defaults(handler=cmd_clients_remove)

    users = sub.add_parser("users", help="accounts").add_subparsers()
    uadd = users.add_parser("add")
    uadd.add_argument("--username", required=True)
    uadd.add_argument("--password", help="or IDP_NEW_PASSWORD in the environment")
    uadd.add_argument("--email")
    uadd.add_argument("--given-name")
    uadd.add_argument("--family-name")
    uadd.add_argument("--phone")
    uadd.add_argument("--siret")
    uadd.add_argument("--group", action="append", default=[])
    uadd.add_argument("--population", default="portal",
                      choices=["portal", "citizen", "technical"])
    uadd.set_defaults(handler=cmd_users_add)
    users.add_parser("list").set_defaults(handler=cmd_users_list)
    unlock = users.add_parser("unlock", help="lift a lock after too many failed logins")
    unlock.add_argument("username")
    unlock.set_defaults(handler=cmd_users_unlock)
    no_factor = users.add_parser(
        "remove-second-factor",
        help="turn off two-step verification of a user who lost both phone and recovery codes")
    no_factor.add_argument("username")
    no_factor.set_defaults(handler=cmd_users_remove_second_factor)
    reset = users.add_parser("reset-password",
                             help="set a temporary password, to be changed at the next login")
    reset.add_argument("username")
    reset.add_argument("--password", help="or IDP_NEW_PASSWORD; generated when absent")
    reset.set_defaults(handler=cmd_users_reset_password)
    ushow = users.add_parser("show")
    ushow.add_argument("username")
    ushow.set_defaults(handler=cmd_users_show)
    udisable = users.add_parser("disable")
    udisable.add_argument("username")
    udisable.set_defaults(handler=cmd_users_disable)

    keys = sub.add_parser("keys", help="signing keys").add_subparsers()
    keys.add_parser("list").set_defaults(handler=cmd_keys_list)
    keys.add_parser("rotate").set_defaults(handler=cmd_keys_rotate)
    return parser


# Output -------------------------------------------------------------------------------------


def emit(args: argparse.Namespace, value: Any, human: str) -> None:
    if args.json:
        print(json.dumps(value, indent=2, ensure_ascii=False))
    else:
        print(human)


def _fields(data: dict[str, Any]) -> str:
    width = max(len(k) for k in data)
    return "\n".join(f"{k.ljust(width)}  {_text(v)}" for k, v in data.items())


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    return "-" if value is None else str(value)


# Commands -----------------------------------------------------------------------------------


_opened: list[Any] = []


def _runtime():  # type: ignore[no-untyped-def]
    """The runtime of a command; main() closes it when the command ends."""
    from idp.runtime import Runtime
    from idp.storage.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    runtime = Runtime.build(settings)
    _opened.append(runtime)
    return runtime


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from idp.storage.migrate import current_revision, upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    revision = current_revision(settings.database_url)
    emit(args, {"revision": revision}, f"database at revision {revision}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from idp.log_hygiene import keep_secrets_out_of_logs

    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level.upper())
    keep_secrets_out_of_logs()
    if not args.no_upgrade:
        from idp.storage.migrate import upgrade

        upgrade(settings.database_url)
    from idp.clock import SystemClock
    from idp.oidc.keys import KeyStore

    KeyStore(settings.keys_dir, SystemClock(), settings.key_retire_after)  # create keys once
    # glibc gives each thread its own malloc arena and keeps freed argon2 buffers in them;
    # two arenas keep a worker's memory flat (the workers inherit the environment).
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    uvicorn.run(
        "idp.asgi:app_factory", factory=True, host=args.host, port=args.port,
        workers=args.workers, loop="uvloop", http="httptools", log_level=settings.log_level,
        access_log=False, proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from idp.demo import run_demo

    return run_demo(args.host, args.port)


def cmd_clients_add(args: argparse.Namespace) -> int:
    rt = _runtime()
    new = admin.add_client(
        rt.db, rt.clock.now(), client_id=args.client_id, name=args.name,
        redirect_uris=args.redirect_uri, post_logout_redirect_uris=args.post_logout_redirect_uri,
        auth_method=args.auth_method, grant_types=args.grant_type or None, scope=args.scope,
        audience=args.audience, jwks_uri=args.jwks_uri, id_token_alg=args.id_token_alg,
        backchannel_logout_uri=args.backchannel_logout_uri, subject_type=args.subject_type,
        access_rule=args.access_rule, home_url=args.home_url,
        secret_lifetime=args.secret_lifetime_days * 86400 if args.secret_lifetime_days else None,
    )
    value = dict(new.client, client_secret=new.secret)
    human = _fields(new.client)
    if new.secret:
        human += (f"\n\nclient_secret  {new.secret}\n"
                  "Keep it now: it is stored hashed and will not be shown again.")
    emit(args, value, human)
    return 0


def cmd_clients_list(args: argparse.Namespace) -> int:
    from idp.storage.repositories import clients as clients_repo

    rt = _runtime()
    with rt.db.read() as s:
        rows = [admin.client_as_dict(c) for c in clients_repo.list_clients(s)]
    human = "\n".join(f"{c['client_id']:<24} {c['token_endpoint_auth_method']:<20} "
                      f"{_text(c['grant_types'])}" for c in rows) or "no clients"
    emit(args, rows, human)
    return 0


def cmd_clients_show(args: argparse.Namespace) -> int:
    from idp.storage.repositories import clients as clients_repo

    rt = _runtime()
    with rt.db.read() as s:
        row = clients_repo.get_client(s, args.client_id)
        if row is None:
            raise admin.AdminError(f"no client {args.client_id!r}")
        data = admin.client_as_dict(row)
    emit(args, data, _fields(data))
    return 0


def cmd_clients_remove(args: argparse.Namespace) -> int:
    from idp.storage.repositories import clients as clients_repo

    rt = _runtime()
    with rt.db.transaction() as s:
        if not clients_repo.remove_client(s, args.client_id):
            raise admin.AdminError(f"no client {args.client_id!r}")
    emit(args, {"removed": args.client_id}, f"client {args.client_id} removed")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    password = args.password or os.environ.get("IDP_NEW_PASSWORD")
    if not password:
        raise admin.AdminError("give --password or set IDP_NEW_PASSWORD")
    rt = _runtime()
    data = admin.add_user(
        rt.db, rt.passwords, rt.clock.now(), username=args.username, password=password,
        email=args.email, given_name=args.given_name, family_name=args.family_name,
        phone=args.phone, siret=args.siret, groups=args.group, population=args.population,
    )
    emit(args, data, _fields(data))
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from idp.storage.repositories import accounts as accounts_repo

    rt = _runtime()
    with rt.db.read() as s:
        rows = [admin.account_as_dict(a) for a in accounts_repo.list_accounts(s)]
    human = "\n".join(
        f"{a['username']:<28} {a['population']:<10} {'disabled' if a['disabled'] else 'active'}"
        for a in rows) or "no users"
    emit(args, rows, human)
    return 0


def cmd_users_show(args: argparse.Namespace) -> int:
    from idp.storage.repositories import accounts as accounts_repo

    rt = _runtime()
    with rt.db.read() as s:
        account = accounts_repo.find_by_username(s, args.username)
        if account is None:
            raise admin.AdminError(f"no user {args.username!r}")
        data = admin.account_as_dict(account)
    emit(args, data, _fields(data))
    return 0


def cmd_users_disable(args: argparse.Namespace) -> int:
    from idp.storage.repositories import accounts as accounts_repo

    rt = _runtime()
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_username(s, args.username)
        if account is None or not accounts_repo.disable_account(s, args.username):
            raise admin.AdminError(f"no user {args.username!r}")
        rt.audit.write(s, "account.disabled_by_operator", account_id=account.id)
    emit(args, {"disabled": args.username}, f"user {args.username} disabled")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    rt = _runtime()
    keys = rt.keys.list()
    human = "\n".join(f"{k['kid']:<32} {k['alg']:<6} {k['state']:<9} "
                      f"{'retire_at ' + str(k['retire_at']) if 'retire_at' in k else ''}"
                      for k in keys)
    emit(args, keys, human)
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    rt = _runtime()
    keys = rt.keys.rotate()
    emit(args, keys, "keys rotated:\n" + "\n".join(
        f"{k['kid']:<32} {k['alg']:<6} {k['state']}" for k in keys))
    return 0


def cmd_users_unlock(args: argparse.Namespace) -> int:
    from idp.accounts import throttling
    from idp.storage.repositories import accounts as accounts_repo

    rt = _runtime()
    rules = throttling.ThrottleRules.from_settings(rt.settings, rt.keys)
    with rt.db.transaction() as s:
        lifted = throttling.unlock(s, rules, args.username)
        account = accounts_repo.find_by_username(s, args.username)
        rt.audit.write(s, "account.unlocked_by_operator",
                       account_id=account.id if account else None, was_locked=lifted,
                       identifier_hmac=throttling.identifier_digest(rules.identifier_key,
                                                                    args.username))
    emit(args, {"unlocked": args.username, "was_locked": lifted},
         f"user {args.username} unlocked" if lifted else f"user {args.username} was not locked")
    return 0


def cmd_users_remove_second_factor(args: argparse.Namespace) -> int:
    """For the assistance desk, once the user's identity was checked out of band."""
    from idp.accounts import second_factor
    from idp.storage.repositories import accounts as accounts_repo

    rt = _runtime()
    with rt.db.read() as s:
        account = accounts_repo.find_by_username(s, args.username)
    if account is None:
        raise admin.AdminError(f"no user {args.username!r}")
    had = second_factor.is_enrolled(rt.db, account.id)
    second_factor.remove(rt, account.id, "second_factor.removed_by_operator")
    emit(args, {"username": args.username, "removed": had},
         f"two-step verification of {args.username} turned off" if had
         else f"{args.username} had no two-step verification")
    return 0


def cmd_users_reset_password(args: argparse.Namespace) -> int:
    """The assistance desk's reset: a temporary password that has already expired, so the
    user must choose a new one at the next login (the lock, if any, is lifted too)."""
    import secrets

    from idp.accounts import throttling
    from idp.storage.repositories import accounts as accounts_repo
    from idp.storage.repositories import passwords as passwords_repo

    rt = _runtime()
    password = args.password or os.environ.get("IDP_NEW_PASSWORD") or (
        secrets.token_urlsafe(9) + "-7")
    rules = throttling.ThrottleRules.from_settings(rt.settings, rt.keys)
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_username(s, args.username)
        if account is None:
            raise admin.AdminError(f"no user {args.username!r}")
        passwords_repo.change_password(s, account.id, account.password_hash,
                                       rt.passwords.hash(password), now=0,
                                       keep=rt.policies(account.population).history)
        throttling.unlock(s, rules, args.username)
        rt.audit.write(s, "password.reset_by_operator", account_id=account.id)
    emit(args, {"username": args.username, "temporary_password": password},
         f"temporary password for {args.username}: {password}\n"
         "It must be changed at the next login.")
    return 0
