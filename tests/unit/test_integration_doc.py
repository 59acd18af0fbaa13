"""docs/integration.md and its English twin against the code: claims per scope, acr levels,
demo accounts, the CLI options it shows, the examples' code, and the twins' shape. (The
tables the running hub holds — discovery, ID token, introspection, logout token, errors —
are checked by tests/e2e/test_integration_doc_live.py.)"""

from __future__ import annotations

import ast
import json
import re
import shlex
import sys
from pathlib import Path

import pytest

from idp.cli import main
from idp.demo import DEMO_PASSWORD, DEMO_USERS
from idp.demo_providers import DEMO_PROVIDERS
from idp.limits import AUTHORIZATION_PARAMETER_CHARS, OTHER_AUTHORIZATION_PARAMETER_CHARS
from idp.oidc.assurance import LEVELS
from idp.oidc.claims import SCOPE_CLAIMS, requested_claim_names
from tests.integration_doc import DOCS, codes, examples, first_codes, table, table_names, text

LANGS = ("fr", "en")


def test_the_twins_have_the_same_sections_tables_and_examples() -> None:
    def shape(lang: str) -> list[str]:
        return re.findall(r"^(#+) ", text(lang), re.M)

    assert shape("fr") == shape("en")
    assert table_names("fr") == table_names("en")
    for name in table_names("fr"):  # first columns are names, the same in both languages
        assert [r[0] for r in table("fr", name)] == [r[0] for r in table("en", name)], name
    # The error table's facts (endpoint, HTTP answer, code), row by row.
    assert [(r[0], r[2], r[3]) for r in table("fr", "errors")] == [
        (r[0], r[2], r[3]) for r in table("en", "errors")]
    assert examples("fr").keys() == examples("en").keys() == {
        "python_authlib/app.py", "node_openid_client/app.mjs"}


@pytest.mark.parametrize("lang", LANGS)
def test_the_examples_in_the_guide_are_the_files_the_tests_run(lang: str) -> None:
    for path, block in examples(lang).items():
        assert block == (DOCS / "examples" / path).read_text(encoding="utf-8"), path


@pytest.mark.parametrize("lang", LANGS)
def test_claims_per_scope_are_the_hubs_and_all_go_to_userinfo(lang: str) -> None:
    rows = table(lang, "scopes")
    documented = {codes(row[0])[0]: set(codes(row[1])) for row in rows}
    assert documented == {scope: set(claims) for scope, claims in SCOPE_CLAIMS.items()}
    for row in rows:
        assert row[2] == "userinfo"
        # OIDC Core §5.4 in the code flow: a scope puts nothing in the ID token ("Bonjour None").
        assert requested_claim_names(codes(row[0])[0], None, "id_token") == set()


@pytest.mark.parametrize("lang", LANGS)
def test_acr_levels_are_the_hubs(lang: str) -> None:
    assert first_codes(lang, "acr") == sorted(LEVELS, key=LEVELS.__getitem__)


@pytest.mark.parametrize("lang", LANGS)
def test_demo_accounts_are_the_demos(lang: str) -> None:
    rows = table(lang, "demo-accounts")
    assert [(codes(r[0])[0], r[1], codes(r[2])[0]) for r in rows] == [
        (u["username"], f"{u['given_name']} {u['family_name']}", u["population"])
        for u in DEMO_USERS]
    assert f"`{DEMO_PASSWORD}`" in text(lang)
    citizens = [(codes(r[0])[0], r[1], r[2].split(" (")[0]) for r in table(lang, "demo-citizens")]
    assert citizens == [
        (c.username, fi.name, f"{c.identity['given_name']} {c.identity['family_name']}")
        for fi in DEMO_PROVIDERS for c in fi.citizens]


@pytest.mark.parametrize("lang", LANGS)
def test_the_commands_shown_register_their_clients(lang: str, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("IDP_DATABASE_URL", f"sqlite:///{tmp_path}/doc.sqlite3")
    monkeypatch.setenv("IDP_KEYS_DIR", str(tmp_path / "keys"))
    joined = re.sub(r"\\\n\s*", " ", text(lang))  # continuation lines joined
    commands = re.findall(r"^\s*(idp clients add .*)$", joined, re.M)
    assert len(commands) >= 2
    assert main(["db", "upgrade"]) == 0
    for command in commands:
        assert main(["--json", *shlex.split(command)[1:]]) == 0, command
        printed = capsys.readouterr().out
        assert json.loads(printed[printed.index("{"):])["client_secret"]


@pytest.mark.parametrize("lang", LANGS)
def test_linked_documents_exist(lang: str) -> None:
    for target in re.findall(r"\]\(([\w.-]+\.md)(?:#[\w-]+)?\)", text(lang)):
        assert (DOCS / target).is_file(), target


@pytest.mark.parametrize("lang", LANGS)
def test_links_inside_the_guide_reach_a_heading(lang: str) -> None:
    # GitHub's anchors: lower case, punctuation dropped (letters with accents kept), - for spaces.
    anchors = {re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
               for title in re.findall(r"^#+ (.+)$", text(lang), re.M)}
    links = re.findall(r"\]\(#([^)]+)\)", text(lang))
    assert links and set(links) <= anchors, set(links) - anchors


@pytest.mark.parametrize("lang", LANGS)
def test_authorization_parameters_and_their_limits_are_the_hubs(lang: str) -> None:
    rows = table(lang, "authorization-parameters")
    for row in rows:
        name = codes(row[0])[0]
        assert int(row[3]) == AUTHORIZATION_PARAMETER_CHARS.get(
            name, OTHER_AUTHORIZATION_PARAMETER_CHARS), name
    named = {codes(row[0])[0] for row in rows}
    # Every parameter the hub bounds by name is documented, except those it does not use.
    assert set(AUTHORIZATION_PARAMETER_CHARS) - named == {"response_mode", "display",
                                                          "claims_locales"}


@pytest.mark.parametrize("lang", LANGS)
def test_the_python_examples_install_line_covers_its_imports(lang: str) -> None:
    listed = set(re.findall(r"`pip install ([^`]+)`", text(lang))[0].split())
    source = (DOCS / "examples" / "python_authlib" / "app.py").read_text(encoding="utf-8")
    imported = {node.module.split(".")[0] if isinstance(node, ast.ImportFrom) else
                node.names[0].name.split(".")[0]
                for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Import | ast.ImportFrom)}
    third_party = imported - set(sys.stdlib_module_names)
    # authlib's Starlette client needs httpx, Starlette's sessions itsdangerous.
    assert third_party | {"httpx", "itsdangerous"} == listed
