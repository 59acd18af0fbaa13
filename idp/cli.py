"""The `idp` command (also `python -m idp`). Human-readable output; `--json` for scripts."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import OperationalError

from idp import admin, admin_providers, cli_audit, cli_providers
from idp.accounts import address
from idp.cli_output import UNSAFE, dated, iso, safe, when
from idp.federation.pivot import PivotIdentity
from idp.federation.providers import InvalidProvider, split_list
from idp.oidc.clients import CONSENT_MODES, GRANT_TYPES
from idp.settings import Settings
from idp.storage.location import NothingThere
from sitekit.settings import SettingError
from sitekit.storage.errors import StorageUnavailable

if TYPE_CHECKING:
    from idp.runtime import Runtime
    from sitekit.storage.database import Database
CONSENT_HELP = ("what the person sees before data goes to the application: explicit (a consent "
                "page; private-sector applications), information (a page listing the data "
                "sent; public services), none (the operator's own applications)")
EVENTS_HELP = ("where a Security Event Token is pushed when a user's account is deleted "
               "(RFC 8935; https, or http on loopback; docs/account-events.md)")
CITIZEN_FACING_HELP = ("FranceConnect's request rules: state and nonce of 22+ characters, "
                       "acr_values required")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except SettingError as exc:
        # One line, no traceback: which variable, what is wrong, what is allowed.
        print(f"idp: {exc}", file=sys.stderr)
        return 2
    except InvalidProvider as exc:  # a refused value of an FI: as a bad setting
        print(f"idp: {exc}", file=sys.stderr)
        return 2
    except (admin.AdminError, NothingThere) as exc:
        print(f"error: {safe(str(exc))}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `idp audit list | head`: the reader left, nothing to say
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python's own advice (signal docs)
        return 1
    except (OperationalError, StorageUnavailable) as exc:  # server down, disk full...
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [repr(exc)])[0]
        print(f"error: the database cannot be used: {reason}", file=sys.stderr)
        return 1
    finally:
        while _opened:  # database connections and threads of the runtimes used
            _opened.pop()()


def _json_option(parser: argparse.ArgumentParser, default: Any = argparse.SUPPRESS) -> None:
    # SUPPRESS below the top level: a subcommand without --json keeps the value given
    # before it, so `idp --json clients list` and `idp clients list --json` are the same.
    parser.add_argument("--json", action="store_true", default=default,
                        help="machine-readable output")


class _Commands:
    """Subcommands that all accept --json wherever it is put."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._sub = parser.add_subparsers()

    def add(self, name: str, **options: Any) -> argparse.ArgumentParser:
        # `idp CMD --help` opens with what `idp --help` says of it.
        options.setdefault("description", options.get("help"))
        parser = self._sub.add_parser(name, **options)
        _json_option(parser)
        return parser

    def group(self, name: str, **options: Any) -> _Commands:
        return _Commands(self.add(name, **options))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idp", description="OpenID Connect hub")
    _json_option(parser, default=False)
    sub = _Commands(parser)

    serve = sub.add("serve", help="run the hub (applies migrations first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-upgrade", action="store_true", help="do not apply migrations")
    serve.set_defaults(handler=cmd_serve)

    demo = sub.add("demo", help="try the hub: demo people, APA beside it on --port + 1, "
                               "e-mails kept in var/demo-mail/; Ctrl-C stops it all")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000,
                      help="the hub's port (the issuer follows unless IDP_ISSUER is set)")
    demo.add_argument("--lang", default="fr", choices=["fr", "en"],
                      help="language of what the demo prints")
    demo.set_defaults(handler=cmd_demo)

    db = sub.group("db", help="the database: `idp db upgrade` applies its migrations")
    db.add("upgrade", help="apply migrations").set_defaults(handler=cmd_db_upgrade)

    clients = sub.group("clients", help="relying applications")
    add = clients.add("add", help="register a client; prints its secret once")
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
    add.add_argument("--introspection-signed-alg", choices=["RS256", "ES256"],
                     help="answer its introspection requests always as a signed JWT (RFC 9701)")
    add.add_argument("--userinfo-signed-alg", choices=["RS256", "ES256"],
                     help="answer its userinfo requests as a signed JWT (OIDC Core §5.3.2)")
    add.add_argument("--backchannel-logout-uri")
    add.add_argument("--account-events-uri", help=EVENTS_HELP)
    add.add_argument("--subject-type", default="public", choices=["public", "pairwise"])
    add.add_argument("--access-rule", help="e.g. 'group:apa', 'population:portal'")
    add.add_argument("--home-url", help="the application's start page (portal link)")
    add.add_argument("--secret-lifetime-days", type=int,
                     help="the secret expires after this many days (technical users: 365)")
    add.add_argument("--consent", default="explicit", choices=list(CONSENT_MODES),
                     help=CONSENT_HELP)
    add.add_argument("--citizen-facing", action="store_true", help=CITIZEN_FACING_HELP)
    add.add_argument("--providers", help="FI ids its users may log in with, comma-separated "
                                         "(default or '': every FI)")
    add.set_defaults(handler=cmd_clients_add)
    update = clients.add("update", help="change a client's registration (options not given "
                                        "are left as they are)")
    update.add_argument("client_id")
    update.add_argument("--name")
    update.add_argument("--scope", help="the registered scopes, replaced as a whole")
    update.add_argument("--redirect-uri", action="append",
                        help="repeat for each; replaces the registered list")
    update.add_argument("--post-logout-redirect-uri", action="append",
                        help="repeat for each; replaces the list ('' alone: none)")
    update.add_argument("--grant-type", action="append", choices=list(GRANT_TYPES),
                        help="repeat for each; replaces the list")
    update.add_argument("--auth-method", choices=["client_secret_basic", "client_secret_post"],
                        help="switch between the two secret methods (the secret is kept); to "
                             "or from private_key_jwt or none: register a new client")
    update.add_argument("--audience", action="append",
                        help="aud of its access tokens, repeat for each; replaces the list "
                             "('' alone: its client_id)")
    update.add_argument("--jwks-uri", help="its public keys (private_key_jwt); '' : none")
    update.add_argument("--id-token-alg", choices=["RS256", "ES256"])
    update.add_argument("--introspection-signed-alg", choices=["RS256", "ES256", ""],
                        help="RS256 or ES256: signed introspection answers (RFC 9701); '': JSON")
    update.add_argument("--userinfo-signed-alg", choices=["RS256", "ES256", ""],
                        help="RS256 or ES256: signed userinfo answers; '': JSON")
    update.add_argument("--backchannel-logout-uri", help="'' : not told of logouts")
    update.add_argument("--home-url", help="the application's start page; '' : none")
    update.add_argument("--access-rule", help="e.g. 'group:apa population:portal' (any of "
                                              "them admits); '' : every account")
    update.add_argument("--secret-lifetime-days", type=int, metavar="DAYS",
                        help="the current secret expires DAYS from now (0: never)")
    update.add_argument("--consent", choices=list(CONSENT_MODES), help=CONSENT_HELP)
    facing = update.add_mutually_exclusive_group()
    facing.add_argument("--citizen-facing", dest="citizen_facing", action="store_true",
                        default=None, help=CITIZEN_FACING_HELP)
    facing.add_argument("--not-citizen-facing", dest="citizen_facing", action="store_false",
                        help="the ordinary request rules")
    update.add_argument("--providers", help="FI ids its users may log in with, comma-separated "
                                            "('': every FI)")
    update.add_argument("--account-events-uri", help=EVENTS_HELP + " ('': not told)")
    update.add_argument("--registration-scopes", metavar="SCOPES",
                        help="scopes the clients it registers may have (RFC 7591; it needs "
                             "the 'registration' scope too); '' : it may register none")
    update.add_argument("--registration-audience", action="append", metavar="AUDIENCE",
                        help="an audience the clients it registers may have; repeat for each, "
                             "replaces the list ('' alone: none)")
    update.add_argument("--registration-max-secret-days", type=int, metavar="DAYS",
                        help="longest lifetime of their secrets, in days (0: no limit)")
    update.set_defaults(handler=cmd_clients_update)
    clients.add("list", help="every client, one a line").set_defaults(
        handler=cmd_clients_list)
    rotate = clients.add("rotate-secret", help="give a client a new secret, printed once; the "
                                               "old one is refused at once everywhere")
    rotate.add_argument("client_id")
    rotate.add_argument("--secret-lifetime-days", type=int, metavar="DAYS",
                        help="the new secret expires after DAYS (default: as the old one "
                             "was set, else never; 0: never)")
    rotate.set_defaults(handler=cmd_clients_rotate_secret)
    show = clients.add("show", help="a client's registration (never its secret)")
    show.add_argument("client_id")
    show.set_defaults(handler=cmd_clients_show)
    remove = clients.add("remove", help="delete a client; its tokens stop working at once")
    remove.add_argument("client_id")
    remove.set_defaults(handler=cmd_clients_remove)

    users = sub.group("users", help="accounts")
    uadd = users.add("add", help="create an account (portal, citizen or technical)")
    uadd.add_argument("--username", required=True)
    uadd.add_argument("--password", help="or IDP_NEW_PASSWORD in the environment")
    _account_options(uadd, default_population="portal")
    _identity_options(uadd, required=False)
    uadd.set_defaults(handler=cmd_users_add)
    uupdate = users.add("update", help="change an account's fields (not its password: "
                                       "see reset-password); an empty value clears a field")
    uupdate.add_argument("username", help="any name the account logs in with, in any case")
    uupdate.add_argument("--new-username", help="the new identifier")
    _account_options(uupdate, default_population=None)
    uupdate.add_argument("--add-group", action="append", metavar="GROUP",
                         help="put the account in GROUP (access rules 'group:GROUP'); "
                              "repeat for several")
    uupdate.add_argument("--remove-group", action="append", metavar="GROUP",
                         help="take the account out of GROUP; repeat for several")
    uupdate.set_defaults(handler=cmd_users_update)
    users.add(
        "check-identifiers",
        help="recompute login names under IDP_AGENT_EMAIL_DOMAINS; list accounts lacking "
             "one because another account has it (exit status 1 if any)",
    ).set_defaults(handler=cmd_users_check_identifiers)
    users.add("list", help="every account, one a line").set_defaults(handler=cmd_users_list)
    unlock = users.add("unlock", help="lift a lock after too many failed logins")
    unlock.add_argument("username")
    unlock.set_defaults(handler=cmd_users_unlock)
    no_factor = users.add(
        "remove-second-factor",
        help="turn off two-step verification of a user who lost both phone and recovery codes")
    no_factor.add_argument("username")
    no_factor.set_defaults(handler=cmd_users_remove_second_factor)
    reset = users.add("reset-password",
                      help="set a temporary password, to be changed at the next login")
    reset.add_argument("username")
    reset.add_argument("--password", help="or IDP_NEW_PASSWORD; generated when absent")
    reset.set_defaults(handler=cmd_users_reset_password)
    identity = users.add(
        "set-identity", help="set the account's pivot identity (checked as an identity "
                             "provider's answer is), so this hub states it as a provider")
    identity.add_argument("username", help="any name the account logs in with, in any case")
    identity.add_argument("--given-name", required=True, help="first names, space-separated")
    identity.add_argument("--family-name", required=True, help="birth name")
    _identity_options(identity, required=True)
    identity.set_defaults(handler=cmd_users_set_identity)
    ushow = users.add("show", help="an account: state, lock, two-step verification, "
                                     "password expiry, groups, identity providers")
    ushow.add_argument("username")
    ushow.set_defaults(handler=cmd_users_show)
    udisable = users.add("disable", help="refuse the account's logins (audited; undo with "
                                           "enable)")
    udisable.add_argument("username")
    udisable.set_defaults(handler=cmd_users_disable)
    uenable = users.add("enable", help="let a disabled account log in again (audited)")
    uenable.add_argument("username")
    uenable.set_defaults(handler=cmd_users_enable)
    udelete = users.add("delete", help="delete an account for good, as its owner can "
                                       "(applications told, address blocked, audit kept "
                                       "without identity; docs/account-events.md)")
    udelete.add_argument("username", help="any name the account logs in with, in any case")
    udelete.add_argument("--yes", action="store_true", help="required: the deletion is final")
    udelete.set_defaults(handler=cmd_users_delete)

    kit = cli_providers.CommandKit(emit, _fields, _runtime, _reader)
    cli_providers.add_commands(sub, kit)
    cli_audit.add_commands(sub, kit)

    keys = sub.group("keys", help="signing keys")
    keys.add("list", help="the signing keys and their states (creates none)").set_defaults(
        handler=cmd_keys_list)
    keys.add("rotate", help="next key signs, current one published until retire_at, "
                           "a new next key").set_defaults(handler=cmd_keys_rotate)
    return parser


def _account_options(parser: argparse.ArgumentParser, default_population: str | None) -> None:
    """The fields of an account that `users add` sets and `users update` changes."""
    parser.add_argument("--email")
    parser.add_argument("--given-name")
    parser.add_argument("--family-name")
    parser.add_argument("--phone")
    parser.add_argument("--siret")
    parser.add_argument("--group", action="append",
                        help="repeat for several; `users update` replaces the list "
                             "(--group '' empties it)")
    parser.add_argument("--population", default=default_population,
                        choices=["portal", "citizen", "technical"])
    # Postal address, the `address` claim (OIDC Core §5.1.1).
    parser.add_argument("--street-address", help="street and number; lines separated by \\n")
    parser.add_argument("--postal-code")
    parser.add_argument("--locality", help="town or city")
    parser.add_argument("--region")
    parser.add_argument("--country")


def _identity_options(parser: argparse.ArgumentParser, required: bool) -> None:
    """The pivot identity (idp/federation/pivot.py) beside --given-name and --family-name."""
    parser.add_argument("--birthdate", required=required,
                        help="YYYY-MM-DD (presumed: YYYY-MM-00, YYYY-00-00)")
    parser.add_argument("--gender", required=required, choices=["male", "female"])
    parser.add_argument("--birthcountry", required=required,
                        help="INSEE COG country code, France 99100")
    parser.add_argument("--birthplace", help="INSEE COG commune code, born in France only")
    parser.add_argument("--usage-name", help="usage name (preferred_username)")


def _pivot_identity(args: argparse.Namespace) -> PivotIdentity | None:
    """The pivot identity the options give, checked; None when `users add` gives none."""
    options = ("birthdate", "gender", "birthcountry", "birthplace", "usage_name")
    if not any(getattr(args, name) is not None for name in options):
        return None
    return admin.pivot_identity({
        "given_name": args.given_name, "family_name": args.family_name,
        "preferred_username": args.usage_name, "birthdate": args.birthdate,
        "gender": args.gender, "birthplace": args.birthplace,
        "birthcountry": args.birthcountry})


def _postal_address(args: argparse.Namespace) -> dict[str, str | None]:
    return {name: getattr(args, name) for name in address.FIELDS}


# Output -------------------------------------------------------------------------------------


def emit(args: argparse.Namespace, value: Any, human: str) -> None:
    """Print `value` as JSON (dates as ISO 8601) or the `human` text; neither ever carries a
    control character, an invisible format character or a lone surrogate to the terminal
    (an escape sequence in a stored value cannot drive it)."""
    if args.json:
        text = json.dumps(dated(value, iso), indent=2, ensure_ascii=False)
        print(UNSAFE.sub(lambda m: json.dumps(m.group())[1:-1], text))
    else:
        print(safe(human, keep_lines=True))


def _fields(data: dict[str, Any]) -> str:
    data = dated(data, when)
    width = max(len(k) for k in data)
    return "\n".join(f"{k.ljust(width)}  {_text(v)}" for k, v in data.items())


def _text(value: Any) -> str:
    if isinstance(value, dict) and "formatted" in value:  # the address claim
        return safe(str(value["formatted"]).replace("\n", ", "))
    if isinstance(value, list):
        return ", ".join(safe(str(v)) for v in value) or "-"
    return "-" if value is None else safe(str(value))


# Commands -----------------------------------------------------------------------------------


_opened: list[Callable[[], None]] = []


def _settings() -> Settings:
    """The settings of a command, every one checked (SettingError names the variable)."""
    from idp.accounts.policy import PasswordPolicies
    from idp.portal.content import SiteContent

    settings = Settings.from_env()
    PasswordPolicies.load(settings.password_policies_file)
    SiteContent.load(settings.content_file)
    return settings


def _runtime(existing: bool = False) -> Runtime:
    """The runtime of a command that writes; main() closes it when the command ends.

    Migrations are applied first. `existing`: the command changes something that must
    already be there (a user, a client), so a missing database is an error, not created.
    """
    from idp.runtime import Runtime
    from idp.storage.migrate import upgrade

    settings = _settings()
    if existing:
        _check_existing_database(settings)
    upgrade(settings.database_url)
    runtime = Runtime.build(settings)
    _opened.append(runtime.close)
    return runtime


def _check_existing_database(settings: Settings) -> None:
    from idp.storage.location import OtherSchema, existing_schema

    # Tables of an older version are fine: the command upgrades them first.
    with contextlib.suppress(OtherSchema):
        existing_schema(settings.database_url)


def _reader() -> Database:
    """The database of a command that only reads: it must exist with the current tables;
    nothing is created (no file, no table, no key)."""
    from idp.storage.location import existing_schema
    from sitekit.storage.database import Database

    settings = _settings()
    existing_schema(settings.database_url)
    db = Database(settings.database_url, pool_size=1)
    _opened.append(db.dispose)
    return db


def _list_command(args: argparse.Namespace, query: Callable[[Any], Any],
                  as_dict: Callable[[Any], dict[str, Any]], empty: str,
                  line: Callable[[dict[str, Any]], str]) -> int:
    """`clients list`, `users list`: every row as a dict, one line each (or `empty`)."""
    with _reader().read() as s:
        rows = [as_dict(r) for r in query(s)]
    emit(args, rows, "\n".join(line(r) for r in rows) or empty)
    return 0


def _show_command(args: argparse.Namespace, find: Callable[[Any], Any],
                  as_dict: Callable[[Any], dict[str, Any]], missing: str) -> int:
    """`clients show`, `users show`: the one row `find` returns, or the error `missing`."""
    with _reader().read() as s:
        row = find(s)
        if row is None:
            raise admin.AdminError(missing)
        data = as_dict(row)
    emit(args, data, _fields(data))
    return 0


def _find_account(session: Any, username: str) -> Any:
    from idp.storage.repositories import accounts as accounts_repo

    return accounts_repo.find_by_login(session, username)


def _account_or_fail(session: Any, username: str) -> Any:
    """The account a command names by login name, or the operator's `no user` error."""
    account = _find_account(session, username)
    if account is None:
        raise admin.AdminError(f"no user {admin.quoted(username)}")
    return account


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from idp.accounts.login_name_sync import follow_agent_domains
    from idp.storage.migrate import current_revision, upgrade
    from sitekit.storage.database import Database

    settings = _settings()
    upgrade(settings.database_url)
    revision = current_revision(settings.database_url)
    db = Database(settings.database_url)
    try:
        follow_agent_domains(db, settings.agent_email_domains)
    finally:
        db.dispose()
    emit(args, {"revision": revision}, f"database at revision {revision}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from idp.metrics import prepare_multiprocess
    from sitekit.logs import configure_logging

    settings = _settings()
    # JSON lines or text (sitekit/logs.py), for this process, uvicorn, Alembic and workers.
    log_config = configure_logging(settings.log_level, settings.log_format or None,
                                   {"idp.access": "info"} if settings.access_log else None)
    if args.workers > 1:
        prepare_multiprocess()  # the workers' metrics summed at each scrape (idp/metrics.py)
    if not args.no_upgrade:
        from idp.storage.migrate import upgrade

        upgrade(settings.database_url)
    from idp.clock import SystemClock
    from idp.oidc.keys import KeyStore
    from sitekit.web.http_protocol import CoalescingHttpToolsProtocol

    KeyStore(settings.keys_dir, SystemClock(), settings.key_retire_after)  # create keys once
    # glibc gives each thread its own malloc arena and keeps freed argon2 buffers in them;
    # two arenas keep a worker's memory flat (the workers inherit the environment).
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    if args.workers > 1 and not settings.argon2_threads:
        # The cores shared out among the workers: each hashing thread keeps its argon2
        # buffers in its malloc arena (idp/accounts/passwords.py).
        os.environ["IDP_ARGON2_THREADS"] = str(max(1, (os.cpu_count() or 1) // args.workers))
    options: dict[str, Any] = dict(
        factory=True, host=args.host, port=args.port, workers=args.workers, loop="uvloop",
        http=CoalescingHttpToolsProtocol, log_level=settings.log_level, log_config=log_config,
        # No "server: uvicorn" header: it tells an attacker what runs, and costs every answer.
        server_header=False,
        access_log=False, proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None)
    if args.workers > 1:
        from idp.workers import run_workers

        # One listening socket per worker (SO_REUSEPORT), so connections spread (issue 16).
        # uvicorn kills a worker that has not answered its health ping within 5 s, which a
        # starting worker (imports, app) misses on a busy machine: killed, restarted, killed.
        run_workers(uvicorn.Config("idp.asgi:app_factory", timeout_worker_healthcheck=30,
                                   **options))
    else:
        uvicorn.run("idp.asgi:app_factory", **options)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from idp.demo import run_demo

    return run_demo(args.host, args.port, args.lang)


def cmd_clients_add(args: argparse.Namespace) -> int:
    rt = _runtime()
    new = admin.add_client(
        rt.db, rt.clock.now(), client_id=args.client_id, name=args.name,
        redirect_uris=args.redirect_uri, post_logout_redirect_uris=args.post_logout_redirect_uri,
        auth_method=args.auth_method, grant_types=args.grant_type or None, scope=args.scope,
        audience=args.audience, jwks_uri=args.jwks_uri, id_token_alg=args.id_token_alg,
        introspection_alg=args.introspection_signed_alg, userinfo_alg=args.userinfo_signed_alg,
        backchannel_logout_uri=args.backchannel_logout_uri,
        account_events_uri=args.account_events_uri, subject_type=args.subject_type,
        access_rule=args.access_rule, home_url=args.home_url,
        secret_lifetime=args.secret_lifetime_days * 86400 if args.secret_lifetime_days else None,
        consent_mode=args.consent, citizen_facing=args.citizen_facing,
        allowed_providers=admin_providers.check_allowed_providers(
            rt.db, list(split_list(args.providers)) if args.providers else None),
    )
    value = dict(new.client, client_secret=new.secret)
    human = _fields(new.client)
    if new.secret:
        human += (f"\n\nclient_secret  {new.secret}\n"
                  "Keep it now: it is stored hashed and will not be shown again.")
    emit(args, value, human)
    return 0


def cmd_clients_update(args: argparse.Namespace) -> int:
    def listed(values: list[str] | None) -> list[str] | None:  # [""]: an empty list
        return None if values is None else [v for v in values if v]

    rt = _runtime(existing=True)
    data = admin.update_client(
        rt.db, rt.clock.now(), args.client_id, name=args.name, scope=args.scope,
        redirect_uris=args.redirect_uri,
        post_logout_redirect_uris=listed(args.post_logout_redirect_uri),
        grant_types=args.grant_type, auth_method=args.auth_method,
        audience=listed(args.audience), jwks_uri=args.jwks_uri, id_token_alg=args.id_token_alg,
        introspection_alg=args.introspection_signed_alg, userinfo_alg=args.userinfo_signed_alg,
        backchannel_logout_uri=args.backchannel_logout_uri, home_url=args.home_url,
        access_rule=args.access_rule, secret_lifetime_days=args.secret_lifetime_days,
        consent_mode=args.consent,
        citizen_facing=args.citizen_facing, account_events_uri=args.account_events_uri,
        allowed_providers=None if args.providers is None else (
            admin_providers.check_allowed_providers(rt.db, list(split_list(args.providers)))
            or []),
        registration_scope=args.registration_scopes,
        registration_audiences=listed(args.registration_audience),
        registration_max_secret_days=args.registration_max_secret_days,
        audit=rt.audit,
    )
    emit(args, data, _fields(data))
    return 0


def cmd_clients_rotate_secret(args: argparse.Namespace) -> int:
    rt = _runtime(existing=True)
    rotated = admin.rotate_client_secret(rt.db, rt.audit, rt.clock.now(), args.client_id,
                                         args.secret_lifetime_days)
    emit(args, {"client_id": rotated.client_id, "client_secret": rotated.secret,
                "client_secret_expires_at": rotated.expires_at},
         f"client_secret  {rotated.secret}\n"
         f"expires        {when(rotated.expires_at) if rotated.expires_at else 'never'}\n"
         "Keep it now: it is stored hashed and will not be shown again. The old secret is "
         "refused from now on.")
    return 0


def cmd_clients_list(args: argparse.Namespace) -> int:
    from idp.storage.repositories import clients as clients_repo

    return _list_command(
        args, clients_repo.list_clients, admin.client_as_dict, "no clients",
        lambda c: f"{c['client_id']:<24} {c['token_endpoint_auth_method']:<20} "
                  f"{_text(c['grant_types'])}"
                  + (f"  owner {c['owner_client_id']}" if c["owner_client_id"] else ""))


def cmd_clients_show(args: argparse.Namespace) -> int:
    from idp.storage.repositories import clients as clients_repo

    return _show_command(args, lambda s: clients_repo.get_client(s, args.client_id),
                         admin.client_as_dict, f"no client {admin.quoted(args.client_id)}")


def cmd_clients_remove(args: argparse.Namespace) -> int:
    from idp.storage.repositories import clients as clients_repo

    rt = _runtime(existing=True)
    with rt.db.transaction() as s:
        if not clients_repo.remove_client(s, args.client_id):  # bumps clients_version
            raise admin.AdminError(f"no client {admin.quoted(args.client_id)}")
    emit(args, {"removed": args.client_id}, f"client {args.client_id} removed")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    password = args.password or os.environ.get("IDP_NEW_PASSWORD")
    if not password:
        raise admin.AdminError("give --password or set IDP_NEW_PASSWORD")
    identity = _pivot_identity(args)  # checked before anything is written
    rt = _runtime()
    data = admin.add_user(
        rt.db, rt.passwords, rt.clock.now(), username=args.username, password=password,
        email=args.email, given_name=args.given_name, family_name=args.family_name,
        phone=args.phone, siret=args.siret, groups=args.group, population=args.population,
        postal_address=_postal_address(args), identity=identity,
    )
    emit(args, data, _fields(data))
    return 0


def cmd_users_update(args: argparse.Namespace) -> int:
    rt = _runtime(existing=True)
    groups = None if args.group is None else [g for g in args.group if g]
    data = admin.update_user(rt.db, args.username, {
        "username": args.new_username,
        "email": args.email, "given_name": args.given_name, "family_name": args.family_name,
        "phone_number": args.phone, "siret": args.siret, "groups": groups,
        "population": args.population, **_postal_address(args),
    }, add_groups=args.add_group, remove_groups=args.remove_group, audit=rt.audit)
    emit(args, data, _fields(data))
    return 0


def cmd_users_check_identifiers(args: argparse.Namespace) -> int:
    from idp.accounts import login_name_sync

    rt = _runtime(existing=True)
    plan = login_name_sync.check(rt.db, rt.settings.agent_email_domains)
    clashes = [c.describe() for c in plan.clashes]
    emit(args, {"agent_email_domains": sorted(rt.settings.agent_domains),
                "added": len(plan.insert), "removed": len(plan.delete), "clashes": clashes},
         "\n".join(clashes) if clashes else "no clash: every account has all its login names")
    return 1 if clashes else 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from idp.storage.repositories import accounts as accounts_repo

    return _list_command(
        args, accounts_repo.list_accounts, admin.account_as_dict, "no users",
        lambda a: f"{a['username']:<28} {a['population']:<10} "
                  f"{'disabled' if a['disabled'] else 'active'}")


def cmd_users_set_identity(args: argparse.Namespace) -> int:
    identity = _pivot_identity(args)
    assert identity is not None  # argparse requires the identity options here
    rt = _runtime(existing=True)
    data = admin.set_identity(rt.db, args.username, identity)
    emit(args, data, _fields(data))
    return 0


def cmd_users_show(args: argparse.Namespace) -> int:
    import time

    from idp.accounts.policy import PasswordPolicies
    from idp.oidc.keys import existing_identifier_key

    settings = _settings()
    policies = PasswordPolicies.load(settings.password_policies_file)
    key = existing_identifier_key(settings.keys_dir)  # read only: nothing created
    now = int(time.time())
    with _reader().read() as s:
        account = _account_or_fail(s, args.username)
        data = admin.account_details(s, account, now=now, identifier_key=key,
                                     policy=policies(account.population))
    emit(args, data, _account_text(data))
    return 0


def _account_text(data: dict[str, Any]) -> str:
    """`users show` for the assistance desk: state, lock, second factor and password first."""
    shown = dated(data, when)
    factor = shown["second_factor"]
    if data["password"] == "none":
        password = "none (logs in through an identity provider)"
    elif data["password_expired"]:
        password = "expired: a new one is chosen at the next login"
    elif shown["password_expires_at"]:
        password = f"expires {shown['password_expires_at']}"
    else:
        password = "never expires"
    summary = {
        "username": data["username"], "population": data["population"],
        "state": "disabled" if data["disabled"] else (
            "awaiting e-mail confirmation" if data["pending_confirmation"] else "active"),
        "locked": (f"until {shown['locked_until']} (idp users unlock)" if data["locked_until"]
                   else "no" if data["lock_known"] else "unknown (no keys folder here)"),
        "two_step": (f"authenticator app (TOTP) since {factor['enrolled_at']}, "
                     f"{factor['recovery_codes_left']} recovery codes left") if factor
                    else "none",
        "password": password,
        "last_login": shown["last_login_at"] or "never",
        "groups": data["groups"],
    }
    hidden = {"federation_links", "second_factor", "lock_known", "locked_until",
              "password", "password_expired", "password_expires_at", "pending_confirmation",
              "disabled", "last_login_at", *summary}
    rest = {k: v for k, v in shown.items() if k not in hidden}
    rest["fi_links"] = [  # the identity providers the account logs in through
        f"{link['provider_id']} {link['provider_sub']} (first {link['first_used_at']}, "
        f"last {link['last_used_at']})" for link in shown["federation_links"]]
    return _fields({**summary, **rest})


def cmd_users_disable(args: argparse.Namespace) -> int:
    rt = _runtime(existing=True)
    changed = admin.set_disabled(rt.db, rt.audit, args.username, disabled=True)
    emit(args, {"disabled": args.username, "changed": changed},
         f"user {args.username} disabled" if changed
         else f"user {args.username} was already disabled")
    return 0


def cmd_users_enable(args: argparse.Namespace) -> int:
    rt = _runtime(existing=True)
    changed = admin.set_disabled(rt.db, rt.audit, args.username, disabled=False)
    emit(args, {"enabled": args.username, "changed": changed},
         f"user {args.username} enabled" if changed
         else f"user {args.username} was not disabled")
    return 0


def cmd_users_delete(args: argparse.Namespace) -> int:
    from idp.oidc import build_authorization_server
    from idp.portal.deletion import delete_account, deletion_notification
    from sitekit.web.i18n import DEFAULT_LOCALE, Catalogues

    if not args.yes:
        raise admin.AdminError("the deletion is final: add --yes to confirm it")
    rt = _runtime(existing=True)
    with rt.db.read() as s:
        account_id = _account_or_fail(s, args.username).id
    catalogues = Catalogues()

    def notify(account: Any) -> Any:  # the last e-mail, in the default language (French)
        return deletion_notification(lambda m: catalogues.gettext(DEFAULT_LOCALE, m),
                                     "deleted", account, rt.clock.now(), rt.settings.issuer)

    deleted = delete_account(build_authorization_server(rt), account_id, reason="operator",
                             notification=None, notify=notify)
    if deleted is None:
        raise admin.AdminError(f"no user {admin.quoted(args.username)}")
    emit(args, {"deleted": args.username, "clients_told": list(deleted.clients),
                "logout_tokens": deleted.logout_tokens,
                "account_events": deleted.account_events,
                "audit_events_kept": deleted.audit_events},
         f"user {args.username} deleted; applications told: "
         f"{', '.join(deleted.clients) or 'none'}")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from idp.oidc.keys import read_manifest

    folder = Path(_settings().keys_dir).resolve()
    keys = read_manifest(folder)["keys"]
    if not keys:
        raise NothingThere(f"no signing keys in {folder} (IDP_KEYS_DIR): nothing there yet "
                           "(`idp serve` or `idp keys rotate` creates them)")
    human = "\n".join(f"{k['kid']:<32} {k['alg']:<6} {k['state']:<9} "
                      f"{'retire_at ' + when(k['retire_at']) if 'retire_at' in k else ''}"
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

    rt = _runtime(existing=True)
    rules = throttling.ThrottleRules.from_settings(rt.settings, rt.keys)
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_login(s, args.username)
        name = throttling.login_name(account, args.username, rt.settings.agent_domains)
        lifted = throttling.unlock(s, rules, name)
        rt.audit.write(s, "account.unlocked_by_operator",
                       account_id=account.id if account else None, was_locked=lifted,
                       identifier_hmac=throttling.identifier_digest(rules.identifier_key, name))
    emit(args, {"unlocked": args.username, "was_locked": lifted},
         f"user {args.username} unlocked" if lifted else f"user {args.username} was not locked")
    return 0


def cmd_users_remove_second_factor(args: argparse.Namespace) -> int:
    """For the assistance desk, once the user's identity was checked out of band."""
    from idp.accounts import second_factor

    rt = _runtime(existing=True)
    with rt.db.read() as s:
        account = _account_or_fail(s, args.username)
    had = second_factor.is_enrolled(rt.db, account.id)
    second_factor.remove(rt.db, rt.audit, account.id, "second_factor.removed_by_operator")
    emit(args, {"username": args.username, "removed": had},
         f"two-step verification of {args.username} turned off" if had
         else f"{args.username} had no two-step verification")
    return 0


def cmd_users_reset_password(args: argparse.Namespace) -> int:
    """The assistance desk's reset: a temporary password that has already expired, so the
    user must choose a new one at the next login (the lock, if any, is lifted too)."""
    import secrets

    from idp.accounts import throttling
    from idp.storage.repositories import passwords as passwords_repo

    rt = _runtime(existing=True)
    password = args.password or os.environ.get("IDP_NEW_PASSWORD") or (
        secrets.token_urlsafe(9) + "-7")
    rules = throttling.ThrottleRules.from_settings(rt.settings, rt.keys)
    with rt.db.transaction() as s:
        account = _account_or_fail(s, args.username)
        passwords_repo.change_password(s, account.id, account.password_hash,
                                       rt.passwords.hash(password), now=0,
                                       keep=rt.policies(account.population).history)
        throttling.unlock(s, rules, account.username)
        rt.audit.write(s, "password.reset_by_operator", account_id=account.id)
    emit(args, {"username": args.username, "temporary_password": password},
         f"temporary password for {args.username}: {password}\n"
         "It must be changed at the next login.")
    return 0
