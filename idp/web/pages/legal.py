"""The pages every public service links from its footer: accessibility statement, legal
notice and terms, personal data, what the service is; and the assistance contacts and the
FAQ, whose entries the operator sets (IDP_CONTENT_FILE)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.web.hub import hub_of
from sitekit.web.i18n import N_

PAGES = {
    "accessibilite": (N_("Accessibility statement"), [
        N_("The public services commit to making their sites accessible, in accordance with "
           "article 47 of law 2005-102 of 11 February 2005."),
        N_("Compliance status: this service is partially compliant with the general accessibility "
           "improvement framework (RGAA 4.1), pending a complete audit. Its pages are tested "
           "automatically with the axe-core engine."),
        N_("If you cannot reach a content or a service, contact the assistance desk to be "
           "directed to an accessible alternative."),
    ]),
    "mentions-legales": (N_("Legal notice and terms of use"), [
        N_("This service is published by the administration that operates it. It lets its users "
           "log in once to the applications they are entitled to."),
        N_("By using it you agree to keep your identifier and password secret and to report any "
           "suspicious use of your account to the assistance desk."),
    ]),
    "conditions-generales": (N_("Terms of use of the personal account"), [
        N_("Any person may create a personal account with an e-mail address and a password. "
           "The address is the identifier of the account; it is confirmed by a link sent to "
           "it, valid for one week."),
        N_("You agree to give an address that is yours, to keep your password secret and to "
           "report any suspicious use of your account to the assistance desk."),
        N_("You may delete your account at any time. Its address is then kept for one year, "
           "during which it cannot open a new account."),
        N_("The newsletter and the personalised alerts are optional: you choose them when "
           "creating the account and may stop them at any time."),
    ]),
    "donnees-personnelles": (N_("Personal data"), [
        N_("The service processes your identity data only to log you in and to pass to each "
           "application the information it needs, with your consent."),
        N_("Each login and each data exchange is recorded so you and the administration can "
           "check them. You may exercise your rights of access, rectification and erasure "
           "with the assistance desk."),
    ]),
    "a-propos": (N_("What is this service?"), [
        N_("This service is the common login of public-service applications: one identifier, "
           "one password, and the list of applications you are entitled to."),
        N_("When an application shows the button to log in with this service, it sends you "
           "here: you log in on this site, never on the application's, and the application "
           "receives only the information it needs."),
        N_("Your identifier and password are never given to the application. Each login and "
           "each data exchange appears in the history of your account."),
    ]),
}


async def assistance_page(request: Request) -> Response:
    """The assistance desk's contacts: the operator's (IDP_CONTENT_FILE, portal/content.py)."""
    return hub_of(request).pages.render(request, "assistance.html")


async def faq_page(request: Request) -> Response:
    """The operator's questions and answers (IDP_CONTENT_FILE, portal/content.py)."""
    return hub_of(request).pages.render(request, "faq.html")


async def legal_page(request: Request) -> Response:
    hub = hub_of(request)
    title, paragraphs = PAGES[request.url.path.strip("/")]
    return hub.pages.render(request, "legal.html", page_title=title, paragraphs=paragraphs)
