"""The audit chain's canonical encoding (idp/audit_chain.py, issue 16 item 6): one byte string
per event, so no two different events share a chain value; NUL, quotes and non-ASCII values
are encoded one way only."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from idp.audit_chain import DETAIL_JSON, FIELDS, Chain, canonical, mac

KEY = b"k" * 32
ROW = {"at": 1_700_000_000, "event": "login.succeeded", "account_id": 7, "client_id": "apa",
       "ip": "10.0.0.1", "fi": None, "detail": {"acr": "eidas1", "amr": ["pwd"]}}


def test_the_encoding_is_json_utf8_with_sorted_keys() -> None:
    encoded = canonical("s1", 3, "ab", {**ROW, "detail": {"z": 1, "a": "é"}})
    assert encoded == ('["s1",3,"ab",1700000000,"login.succeeded",7,"apa","10.0.0.1",null,'
                       '{"a":"é","z":1}]').encode()
    assert json.loads(encoded)[-1] == {"a": "é", "z": 1}


def test_the_key_order_of_the_detail_does_not_matter() -> None:
    one = canonical("s", 1, "", {**ROW, "detail": {"a": 1, "b": 2}})
    other = canonical("s", 1, "", {**ROW, "detail": {"b": 2, "a": 1}})
    assert one == other


def test_nul_quotes_and_non_ascii_values_cannot_be_confused() -> None:
    values = ["a\x00b", "a\\u0000b", 'a"b', "a\\\"b", "a,b", 'a","b', "é", "e\u0301",
              "\u00e9\u00e9", "null", None, "", " "]
    encodings = {canonical("s", 1, "", {**ROW, "client_id": v}) for v in values}
    assert len(encodings) == len(values)
    # A field's end cannot be moved: ("a", "b,c") and ("a,b", "c") differ.
    assert canonical("s", 1, "", {**ROW, "client_id": "a", "ip": "b\",\"c"}) != canonical(
        "s", 1, "", {**ROW, "client_id": "a\",\"b", "ip": "c"})


def test_the_number_the_stream_and_the_previous_value_are_covered() -> None:
    base = mac(KEY, "s", 2, "p", ROW)
    assert len({base, mac(KEY, "s", 3, "p", ROW), mac(KEY, "t", 2, "p", ROW),
                mac(KEY, "s", 2, "q", ROW), mac(b"x" * 32, "s", 2, "p", ROW),
                mac(KEY, "s", 2, "p", {**ROW, "at": ROW["at"] + 1})}) == 6


def test_a_chain_numbers_and_links_in_order() -> None:
    chain = Chain(KEY)
    rows = [dict(ROW) for _ in range(3)]
    chain.link(rows[:2])
    chain.link(rows[2:])
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert rows[0]["prev"] == "" and rows[1]["prev"] == rows[0]["chain"]
    assert rows[2]["prev"] == rows[1]["chain"]
    assert {r["stream"] for r in rows} == {chain.stream}
    for r in rows:
        assert r["chain"] == mac(KEY, r["stream"], r["seq"], r["prev"], r)


_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8)
_DETAILS = st.dictionaries(st.text(max_size=6), _SCALARS | st.lists(_SCALARS, max_size=3)
                           | st.dictionaries(st.text(max_size=4), _SCALARS, max_size=3),
                           max_size=5)


@given(client_id=st.none() | st.text(max_size=10), detail=_DETAILS)
def test_the_encoding_is_the_whole_event_as_one_json_array(
        client_id: str | None, detail: dict[str, object]) -> None:
    """canonical() joins the fields' encoding and the detail's (the writer stores the
    latter): the bytes are those of the event's values encoded as one JSON array."""
    row = {**ROW, "client_id": client_id, "detail": detail}
    values = ["s", 4, "p", *(row[f] for f in FIELDS[:-1]), detail]
    assert canonical("s", 4, "p", row) == json.dumps(
        values, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
        allow_nan=False).encode("utf-8", "surrogatepass")


def test_a_linked_row_carries_its_detail_as_the_json_text_it_was_chained_with() -> None:
    row = {**ROW, "detail": {"z": 1, "a": "é", "n": None}}
    Chain(KEY).link([row])
    assert row[DETAIL_JSON] == '{"a":"é","n":null,"z":1}'
    assert json.loads(str(row[DETAIL_JSON])) == row["detail"]
