"""Acting as a citizen who registers (seed 004 §1): the form read from the page, its ALTCHA
challenge solved as the browser's script does (tests/browser does it in Chromium), the
confirmation link read from the e-mail the real SMTP sink received."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from altcha.v1 import ChallengeOptions, create_challenge, solve_challenge

from idp.accounts.human_check import CHALLENGE_TTL, MAX_NUMBER, HumanCheck
from tests.oidc_helpers import csrf_token, hidden

PASSWORD = "Citoyen-2026"


def challenge_of(page: str) -> dict[str, Any]:
    match = re.search(r'data-challenge="([^"]+)"', page)
    assert match, "no human-check challenge in the page"
    challenge: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return challenge


def solve(challenge: dict[str, Any], number: int | None = None) -> str:
    """The ALTCHA payload for `challenge` (base64 JSON), as human-check.js builds it; a given
    `number` makes a wrong one."""
    found = solve_challenge(challenge["challenge"], challenge["salt"], "SHA-256",
                            challenge["maxNumber"])
    assert found is not None
    return base64.b64encode(json.dumps({
        "algorithm": challenge["algorithm"], "challenge": challenge["challenge"],
        "number": found.number if number is None else number, "salt": challenge["salt"],
        "signature": challenge["signature"], "took": 1}).encode()).decode()


def form_of(page: str, email: str, password: str = PASSWORD, **overrides: Any
            ) -> dict[str, Any]:
    """Every field of a complete registration, proof of work solved; `overrides` replace or
    (None) remove fields."""
    form: dict[str, Any] = {
        "csrf_token": csrf_token(page), "rid": hidden(page, "rid"), "email": email,
        "password": password, "confirmation": password, "terms": "yes",
        "newsletter": "yes", "stamp": hidden(page, "stamp")}
    if "altcha" not in overrides:
        form["altcha"] = solve(challenge_of(page))
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def register(http, email: str, password: str = PASSWORD, location: str = "/inscription",  # type: ignore[no-untyped-def]
             **overrides: Any):
    """GET the form at `location`, POST it filled in; the response (not followed)."""
    page = http.get(location)
    assert page.status_code == 200, page.text
    return http.post("/inscription", data=form_of(page.text, email, password, **overrides),
                     follow_redirects=False)


def subject_of(mail: Message) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def body_of(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def link_in(mail: Message) -> str:
    """The path and query of the confirmation link in `mail`."""
    match = re.search(r"http://127\.0\.0\.1(/inscription/confirmation\?jeton=\S+)",
                      body_of(mail))
    assert match, body_of(mail)
    return match.group(1)


def confirm(http, path: str):  # type: ignore[no-untyped-def]
    """Open the link's page and press "Confirmer"; the POST's response (not followed)."""
    page = http.get(path)
    assert page.status_code == 200, page.status_code
    return http.post("/inscription/confirmation", data={
        "csrf_token": csrf_token(page.text), "jeton": hidden(page.text, "jeton")},
        follow_redirects=False)


def solved_payload(check: HumanCheck) -> str:
    """A valid payload without the work: a challenge made with a known number (for tests that
    post many forms, such as the timing comparison)."""
    expires = datetime.fromtimestamp(check.clock.now() + CHALLENGE_TTL, UTC)
    made = create_challenge(ChallengeOptions(algorithm="SHA-256", max_number=MAX_NUMBER,
                                             hmac_key=check.hmac_key(), expires=expires,
                                             number=7))
    return base64.b64encode(json.dumps({
        "algorithm": made.algorithm, "challenge": made.challenge, "number": 7,
        "salt": made.salt, "signature": made.signature}).encode()).decode()
