"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

import string

from hypothesis import strategies as st

# RFC 7636 §4.1: code-verifier = 43*128unreserved; unreserved = ALPHA / DIGIT / "-" / "." /
# "_" / "~" (RFC 3986 §2.3).
UNRESERVED = string.ascii_letters + string.digits + "-._~"


def code_verifiers() -> st.SearchStrategy[str]:
    """A PKCE code verifier: 43 to 128 unreserved characters."""
    return st.text(alphabet=UNRESERVED, min_size=43, max_size=128)


def distinct_code_verifiers() -> st.SearchStrategy[tuple[str, str]]:
    """Two different PKCE code verifiers."""
    return st.tuples(code_verifiers(), code_verifiers()).filter(lambda pair: pair[0] != pair[1])


# Hostile request parameters (issue 10, finding 8) -------------------------------------------

# What broke the hub once, or breaks parsers often: NUL (PostgreSQL refuses it in text), the
# characters RFC 6749 forbids in error descriptions, other controls, non-ASCII, markup.
NASTY_CHARACTERS = ['\x00', '"', "\\", "'", "é", "\u202e", "\x1b", "\x7f", "\r\n", "\t",
                    "<", ">", "&", "%", "+", "=", ";", "\ufffd", "\U0001f600", " "]
# The wrong type of value for a parameter that expects text, a number or a URL.
WRONG_TYPES = ["", " ", "-1", "0", "1e309", "99999999999999999999999", "NaN", "null", "true",
               "[]", "{}", '{"userinfo": {"sub": {"value": null}}}', "[1,2]", "0x10",
               "http://", "javascript:alert(1)", "//evil.test", "../../etc/passwd",
               "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "%00", "%ZZ"]


def hostile_values() -> st.SearchStrategy[str]:
    """One value a stranger might send for any parameter. Most of them pass the boundary's
    checks (idp/limits.py), so they reach the handlers; the rest must be refused there."""
    nasty = st.sampled_from(NASTY_CHARACTERS)
    printable = st.characters(blacklist_categories=("Cc", "Cs"))
    return st.one_of(
        st.sampled_from(WRONG_TYPES),
        st.text(alphabet=printable, max_size=40),
        st.builds(lambda a, c, b: a + c + b, st.text(alphabet=printable, max_size=10),
                  st.sampled_from([c for c in NASTY_CHARACTERS if c.isprintable()]),
                  st.text(alphabet=printable, max_size=10)),
        st.text(max_size=40),
        st.builds(lambda a, c, b: a + c + b, st.text(max_size=10), nasty, st.text(max_size=10)),
        # Huge: around every limit of idp/limits.py, up to past the body limit.
        st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "\x00", "%", '"']),
                  st.sampled_from([255, 256, 1024, 1025, 8192, 8193, 70_000])),
    )


def hostile_parameters(names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Query or form parameters: known names (repeated at times) and odd ones, each with a
    hostile value."""
    name = st.one_of(st.sampled_from(names), st.sampled_from(names),
                     st.text(max_size=12), st.sampled_from(NASTY_CHARACTERS))
    return st.lists(st.tuples(name, hostile_values()), max_size=4)
