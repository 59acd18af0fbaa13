"""The operator's content file (IDP_CONTENT_FILE, idp/portal/content.py): defaults, sections
replaced, every mistake refused with one line naming the key, hostile links refused."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from idp.portal.content import DEFAULTS_FILE, SiteContent
from sitekit.settings import SettingError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "content.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_defaults_have_every_section_in_french_and_english() -> None:
    content = SiteContent.load("")
    assert content.conditions.title["fr"] == "Conditions d'utilisation du Portail"
    assert content.fraud_alert.shown and content.fraud_alert.title["fr"] == "ALERTE ESCROQUERIE"
    assert content.fraud_alert.title["en"] == "FRAUD ALERT"
    assert len(content.conditions.links) == 2 and content.guides and content.faq
    assert all(c.phone or c.email for c in content.assistance)
    # Invented names only (PREAMBLE): nothing of the seeds' administration.
    text = DEFAULTS_FILE.read_text(encoding="utf-8")
    for seed_name in ("DGFiP", "PIGP", "Finances Publiques", "Banque de France"):
        assert seed_name not in text


def test_the_documented_example_is_valid_and_is_the_defaults(tmp_path: Path) -> None:
    example = ROOT / "docs" / "content.toml"
    assert SiteContent.load(str(example)) == SiteContent.load("")


def test_an_operator_section_replaces_the_default_one_and_others_stay(tmp_path: Path) -> None:
    path = write(tmp_path, '''
[fraud_alert]
shown = false
title = "Attention"
text = "Texte"

[[faq]]
question = { fr = "Où ?", en = "Where?" }
answer = "Ici."
''')
    content = SiteContent.load(path)
    assert not content.fraud_alert.shown
    assert [(q.question["fr"], q.question["en"], q.answer["en"]) for q in content.faq] == [
        ("Où ?", "Where?", "Ici.")]
    assert content.conditions == SiteContent.load("").conditions


def test_english_falls_back_to_french(tmp_path: Path) -> None:
    path = write(tmp_path, 'guides = [{ label = { fr = "Aide" }, href = "/faq" }]\n')
    (guide,) = SiteContent.load(path).guides
    assert guide.label["en"] == "Aide" and guide.href == "/faq"


@pytest.mark.parametrize("href", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,x",
    "vbscript:x", "//evil.example/x", "/\\evil.example", "https://", "ftp://files.example/x",
    "faq", "https://evil.example/a b", "java\tscript:alert(1)",
])
def test_a_link_that_is_not_http_or_a_path_on_the_hub_is_refused(tmp_path: Path,
                                                                   href: str) -> None:
    path = write(tmp_path, "[[guides]]\nlabel = \"Guide\"\nhref = " + _toml_string(href) + "\n")
    with pytest.raises(SettingError) as refused:
        SiteContent.load(path)
    message = str(refused.value)
    assert message.startswith(f"IDP_CONTENT_FILE={path}: guides[0].href")
    assert "\n" not in message


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace("\t", "\\t") + '"'


@pytest.mark.parametrize(("text", "says"), [
    ("[welcome\n", "cannot read"),
    ("[nonsense]\nx = 1\n", "unknown sections: nonsense"),
    ("[welcome]\ntitle = \"T\"\n", "welcome: missing keys: text"),
    ("[welcome]\ntitle = \"T\"\ntext = \"x\"\ncolour = \"red\"\n", "unknown keys: colour"),
    ("[welcome]\ntitle = \"\"\ntext = \"x\"\n", "welcome.title: must not be empty"),
    ("[welcome]\ntitle = 3\ntext = \"x\"\n", "welcome.title: must be a string"),
    ("[welcome]\ntitle = { en = \"T\" }\ntext = \"x\"\n", "welcome.title: missing keys: fr"),
    ("[welcome]\ntitle = { fr = \"T\", de = \"T\" }\ntext = \"x\"\n", "unknown keys: de"),
    ("[welcome]\ntitle = \"" + "x" * 201 + "\"\ntext = \"x\"\n", "at most 200 characters"),
    ("[welcome]\ntitle = \"T\"\ntext = \"" + "x" * 2001 + "\"\n", "at most 2000 characters"),
    ("[welcome]\ntitle = \"a\\u202eb\"\ntext = \"x\"\n", "control or invisible"),
    ("[welcome]\ntitle = \"a\\nb\"\ntext = \"x\"\n", "control or invisible"),
    ("[fraud_alert]\nshown = \"yes\"\ntitle = \"T\"\ntext = \"x\"\n", "fraud_alert.shown"),
    ("guides = \"x\"\n", "guides: must be a list"),
    ("guides = [" + "{ label = \"G\", href = \"/\" }," * 21 + "]\n", "at most 20 entries"),
    ("[[assistance]]\nlabel = \"A\"\n", "give a phone, an email or both"),
    ("[[assistance]]\nlabel = \"A\"\nphone = \"<b>01</b>\"\n", "assistance[0].phone"),
    ("[[assistance]]\nlabel = \"A\"\nemail = \"nobody\"\n", "not an e-mail address"),
    ("[[faq]]\nquestion = \"Q\"\n", "faq[0]: missing keys: answer"),
])
def test_a_bad_file_is_one_line_naming_the_key(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingError) as refused:
        SiteContent.load(path)
    message = str(refused.value)
    assert message.startswith(f"IDP_CONTENT_FILE={path}: ") and "\n" not in message
    assert says in message


def test_a_missing_or_huge_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingError, match="cannot read"):
        SiteContent.load(str(tmp_path / "absent.toml"))
    big = write(tmp_path, "# " + "x" * (300 * 1024) + "\n")
    with pytest.raises(SettingError, match="more than 256 KiB"):
        SiteContent.load(big)


def test_markup_in_a_text_is_kept_as_text_for_the_page_to_escape(tmp_path: Path) -> None:
    path = write(tmp_path, '[welcome]\ntitle = "<script>alert(1)</script>"\ntext = "x"\n')
    assert SiteContent.load(path).welcome.title["fr"] == "<script>alert(1)</script>"


def test_the_defaults_file_is_plain_toml() -> None:
    assert set(tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))) == {
        "welcome", "conditions", "fraud_alert", "guides", "assistance", "faq"}
