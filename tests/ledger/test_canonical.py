import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from appliance.ledger.chain import (
    ZERO_HASH,
    CanonicalError,
    canonical_bytes,
    envelope_bytes,
    parse_canonical,
    record_hash,
)
from appliance.ledger.device_key import SIGNATURE

GOLDEN_PAYLOAD = {"lines": [{"label": "Cre\u0300me bru\u0302le\u0301e", "qty_milli": 2000}],
                  "total_ttc": 900, "b": True, "a": {"z": [], "y": "é"}}
GOLDEN_BYTES = ('{"a":{"y":"é","z":[]},"b":true,"lines":[{"label":"Crème brûlée",'
                '"qty_milli":2000}],"total_ttc":900}').encode()
GOLDEN_ENVELOPE_HASH = "932973afbc284cfc5fc7dcd3f0f385ae742a43e67211d39b1a64b1a3a3abbc13"


def test_golden_canonical_bytes():
    assert canonical_bytes(GOLDEN_PAYLOAD) == GOLDEN_BYTES


def _envelope(payload: bytes) -> bytes:
    return envelope_bytes(seq=7, rtype="TICKET", training=False, type_seq=3,
                          created_utc="2026-03-01T10:15:02.123Z", register="FR-1-C01",
                          prev_hash=ZERO_HASH, prev_type_hash="ab" * 32, payload=payload)


def test_envelope_assembly_equals_canonical_encoding_of_the_envelope():
    envelope = {"seq": 7, "rtype": "TICKET", "training": False, "type_seq": 3,
                "created_utc": "2026-03-01T10:15:02.123Z", "register": "FR-1-C01",
                "prev_hash": ZERO_HASH, "prev_type_hash": "ab" * 32, "fmt": 1,
                "payload": GOLDEN_PAYLOAD}
    assert _envelope(GOLDEN_BYTES) == canonical_bytes(envelope)


def test_golden_envelope_hash():
    assert record_hash(_envelope(GOLDEN_BYTES)) == GOLDEN_ENVELOPE_HASH


def test_signature_of_a_fixed_key_verifies_and_fails_on_another_hash():
    key = ec.derive_private_key(0x5EED, ec.SECP256R1())
    digest = bytes.fromhex(GOLDEN_ENVELOPE_HASH)
    signature = key.sign(digest, SIGNATURE)
    key.public_key().verify(signature, digest, SIGNATURE)
    with pytest.raises(InvalidSignature):
        key.public_key().verify(signature, bytes(32), SIGNATURE)


@pytest.mark.parametrize(
    ("value", "message"),
    [({"a": 1.5}, "nombre à virgule"), ({"a": None}, "null"), ({"a": 2**53}, "hors limites"),
     ({1: "x"}, "pas une chaîne"), ({"a": {1, 2}}, "non pris en charge"),
     ({"e\u0301": 1, "\u00e9": 2}, "en double"), ({"a": "\ud800"}, "Unicode")],
)
def test_values_without_canonical_form_are_refused(value, message):
    with pytest.raises(CanonicalError, match=message):
        canonical_bytes(value)


def test_canonical_bytes_are_stable_through_a_json_round_trip():
    again = canonical_bytes(json.loads(GOLDEN_BYTES))
    assert again == GOLDEN_BYTES


@pytest.mark.parametrize(
    ("text", "message"),
    [(b'{"a":12345678901234567890}', "hors limites"), (b'{"a":1.5}', "pas un entier"),
     (b'{"a":null}', "null"), (b'{"b":1,"a":2}', "canonique"), (b'{"a": 1}', "canonique"),
     (b'{"a":"e\\u0301"}', "canonique"), (b'{"a":NaN}', "pas un entier"), (b"{", "JSON")],
)
def test_stored_text_that_is_not_canonical_is_refused(text, message):
    with pytest.raises(CanonicalError, match=message):
        parse_canonical(text)


def test_stored_canonical_text_parses():
    assert parse_canonical(GOLDEN_BYTES)["total_ttc"] == 900
