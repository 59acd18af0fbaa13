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
