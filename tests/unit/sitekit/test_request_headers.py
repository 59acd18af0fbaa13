"""sitekit.web.headers.RequestHeaders answers as Starlette's Headers does (issue 16)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Headers

from sitekit.web.headers import RequestHeaders

NAMES = ["authorization", "content-type", "accept", "x-request-id", "dpop"]
_RAW = st.lists(st.tuples(st.sampled_from(NAMES).map(str.encode),
                          st.binary(max_size=6)), max_size=8)
_KEYS = st.sampled_from([*NAMES, "Authorization", "Content-Type", "ACCEPT", "missing"])


@given(raw=_RAW, key=_KEYS)
def test_lookups_answer_as_starlettes(raw: list[tuple[bytes, bytes]], key: str) -> None:
    ours, theirs = RequestHeaders({"headers": raw}), Headers(raw=list(raw))
    assert ours.get(key) == theirs.get(key)
    assert ours.get(key, "default") == theirs.get(key, "default")
    assert (key in ours) == (key in theirs)
    assert ours.getlist(key) == theirs.getlist(key)
    try:
        expected: str | None = theirs[key]
    except KeyError:
        expected = None
    if expected is None:
        assert key not in ours
    else:
        assert ours[key] == expected
