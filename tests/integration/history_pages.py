"""Reading the person's history and authorized applications pages as a person does: the
rows of the history table, the applications listed."""

from __future__ import annotations

import html as html_module
import re

from idp.runtime import Runtime


def cells(fragment: str) -> list[str]:
    """The texts of a row's cells, tags removed, spaces collapsed."""
    found = re.findall(r"<td>(.*?)</td>", fragment, re.S)
    return [" ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in found]


def history_rows(http, page: str = "") -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The history's rows, in order: [date and time, event, application, FI, level, data]."""
    response = http.get("/compte/historique" + page)
    assert response.status_code == 200, response.text
    body = response.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [cells(r) for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    return [r for r in rows if len(r) == 6]


def application_names(http) -> list[str]:  # type: ignore[no-untyped-def]
    response = http.get("/compte/applications")
    assert response.status_code == 200, response.text
    return [html_module.unescape(n) for n in
            re.findall(r'<h2 class="fr-card__title fr-h5">(.*?)</h2>', response.text)]


def account_id(rt: Runtime, username: str) -> int:
    from idp.storage.repositories import accounts as accounts_repo

    with rt.db.read() as s:
        account = accounts_repo.find_by_login(s, username)
        assert account is not None
        return account.id
