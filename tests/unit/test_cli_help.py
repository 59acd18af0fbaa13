"""Every group and subcommand of the `idp`, `apa` and `chorus` commands says what it does, in
the parent's list (help) and on its own --help page (description); every `idp ...` line quoted
in docs/operations.md parses with the real parser, so the guide cannot rot."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from clients.apa.cli import build_parser as apa_parser
from clients.chorus.cli import build_parser as chorus_parser
from idp.cli import build_parser as idp_parser

ROOT = Path(__file__).resolve().parents[2]
PARSERS = {"idp": idp_parser, "apa": apa_parser, "chorus": chorus_parser}


def undescribed(parser: argparse.ArgumentParser, path: str) -> list[str]:
    """The subcommands under `parser` lacking a help line or a description."""
    missing = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, sub in action.choices.items():
            where = f"{path} {name}"
            if not (helps.get(name) or "").strip():
                missing.append(f"{where}: no help")
            if not (sub.description or "").strip():
                missing.append(f"{where}: no description")
            missing += undescribed(sub, where)
    return missing


@pytest.mark.parametrize("program", sorted(PARSERS))
def test_every_subcommand_has_a_help_line_and_a_description(program: str) -> None:
    assert undescribed(PARSERS[program](), program) == []


def test_the_walk_finds_a_subcommand_without_help() -> None:
    parser = argparse.ArgumentParser(prog="x")
    sub = parser.add_subparsers()
    sub.add_parser("bare")
    sub.add_parser("half", help="only in the list")
    assert undescribed(parser, "x") == ["x bare: no help", "x bare: no description",
                                        "x half: no description"]


def test_the_new_operator_commands_are_there() -> None:
    parser = idp_parser()
    for line in ("clients rotate-secret apa", "users enable alice", "audit list --event login.*",
                 "users update alice --add-group apa --remove-group chorus"):
        parser.parse_args(line.split())


# docs/operations.md: each `idp ...` command it quotes is a real one ---------------------------


def quoted_commands(text: str) -> list[str]:
    """`idp ...` lines of the guide's shell blocks and inline code (placeholders in capitals
    such as CLIENT_ID stand for values)."""
    found = []
    for block in re.findall(r"```(?:sh|shell|bash|console)?\n(.*?)```", text, re.DOTALL):
        joined = block.replace("\\\n", " ")
        found += [line.strip() for line in joined.splitlines()
                  if line.strip().startswith("idp ")]
    found += re.findall(r"`(idp [^`]+)`", text)
    return found


def test_the_operations_guide_quotes_only_commands_that_parse() -> None:
    parser = idp_parser()
    commands = quoted_commands((ROOT / "docs/operations.md").read_text("utf-8"))
    assert len(commands) >= 15
    for line in commands:
        words = shlex.split(line.split(" #")[0])[1:]
        try:
            args = parser.parse_args(words)
        except SystemExit:
            pytest.fail(f"docs/operations.md quotes a command idp refuses: {line}")
        assert getattr(args, "handler", None), f"not a whole command: {line}"


def test_a_wrong_command_in_a_guide_would_be_caught() -> None:
    parser = idp_parser()
    [line] = quoted_commands("```sh\nidp clients rotate --client apa\n```\n")
    with pytest.raises(SystemExit):
        parser.parse_args(shlex.split(line)[1:])
