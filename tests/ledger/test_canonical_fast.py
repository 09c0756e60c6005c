"""The fast canonical reader (orjson) accepts exactly what the exact path accepts.

A text it accepts must be one `parse_canonical` accepts with the same value; a text it declines
(None) goes to the exact path, so declining is always safe, accepting wrongly never is."""

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.ledger import chain
from appliance.ledger.chain import (
    _DIGITS_AS_ZERO,
    _LONG_NUMBER,
    CanonicalError,
    canonical_bytes,
    parse_canonical,
)

orjson = pytest.importorskip("orjson")


def test_orjson_writes_every_code_point_as_the_canonical_encoder_does():
    """The proof `read_canonical_fast` rests on: same bytes for any string, in keys too."""
    different = []
    points = [p for p in range(0x110000) if not 0xD800 <= p <= 0xDFFF]
    for start in range(0, len(points), 512):
        chars = [chr(p) for p in points[start:start + 512]]
        value = {**{"k" + c: "a" + c for c in chars}, "z": [1, -2, True, False, {}, []]}
        ours = json.dumps(value, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()
        if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != ours:
            different.append(chars[0])
    assert different == []


def test_any_text_of_characters_below_u0100_is_nfc():
    """The proof behind skipping the NFC scan (`chain._is_nfc`): NFC is decided by single
    characters (decomposition, combining class) and by adjacent pairs composing when every
    combining class is 0, so checking each character and each pair covers every text."""
    chars = [chr(point) for point in range(0x100)]
    assert all(unicodedata.combining(c) == 0 and unicodedata.normalize("NFC", c) == c
               for c in chars)
    assert [a + b for a in chars for b in chars
            if not unicodedata.is_normalized("NFC", a + b)] == []


@pytest.mark.parametrize("label", [
    "Crème brûlée", "Œuf", "10 € TTC", "ﬁ", "Å", "\u212b", "e\u0301", "é\u0301", "Ω\u0301",
])
def test_non_ascii_labels_are_read_fast_only_when_nfc(label):
    text = json.dumps({"label": label}, ensure_ascii=False, separators=(",", ":")).encode()
    expected = {"label": label} if unicodedata.is_normalized("NFC", label) else None
    assert chain.read_canonical_fast(text) == expected


json_values = st.recursive(
    st.booleans() | st.integers(-chain.MAX_INT, chain.MAX_INT) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_canonical_texts_read_fast_to_their_value(value):
    try:
        text = canonical_bytes(value)
    except CanonicalError:  # two keys equal after NFC: no canonical form at all
        return
    fast = chain.read_canonical_fast(text)
    assert fast is None or fast == parse_canonical(text)
    plain = b"\\" not in text and _LONG_NUMBER not in text.translate(_DIGITS_AS_ZERO)
    if plain:
        assert fast == parse_canonical(text)  # declined only for escapes and long numbers


@pytest.mark.parametrize("text", [
    b'{"a":1.5}', b'{"a":1e3}', b'{"a":1E3}', b'{"a":-0.0}', b'{"a":null}', b'{"a":NaN}',
    b'{"a":9007199254740992}', b'{"a":12345678901234567}', b'{"b":1,"a":2}', b'{"a": 1}',
    b'{"a":-9007199254740992}', b'{"a":123456789012345678901234567890}', b'{"a":1,"a":1}',
    '{"a":"e\u0301"}'.encode(), '{"e\u0301":1}'.encode(), b'{"a":"\\u00e9"}',
    b'{"a":"x\\"y"}', b'{"a":tru}', b'{"a":1}\n', b' {"a":1}',
    b'{"a":[1,2.5]}', b'{"a":[null]}', b'{"a":{"b":null}}', b'[1.5]', b'1.5',
    b'{"t":"09:00.5","a":[-1e+20]}',
])
def test_anything_not_plainly_canonical_is_declined(text):
    assert chain.read_canonical_fast(text) is None


@pytest.mark.parametrize("text", [
    b'{"a":1.5}', b'{"a":null}', b'{"a":9007199254740992}', b'{"b":1,"a":2}', b'{"a": 1}',
    '{"a":"e\u0301"}'.encode(),
])
def test_what_is_declined_for_a_fault_the_exact_path_refuses(text):
    with pytest.raises(CanonicalError):
        parse_canonical(text)


def test_the_largest_exact_integers_stay_on_the_fast_path():
    text = b'{"a":[9007199254740991,-9007199254740991]}'
    assert chain.read_canonical_fast(text) == parse_canonical(text)


def test_times_and_numbers_in_strings_stay_on_the_fast_path():
    text = canonical_bytes({"at": "2026-03-01T09:00:00.000Z", "n": -123456789012345,
                            "l": ["a:1.5", "[2.5, null]"]})
    assert chain.read_canonical_fast(text) == parse_canonical(text)


def test_a_float_inside_a_string_is_just_text():
    text = canonical_bytes({"label": "Lot 2.5 kg null true 1e3", "qty": 2})
    assert chain.read_canonical_fast(text) == {"label": "Lot 2.5 kg null true 1e3", "qty": 2}
