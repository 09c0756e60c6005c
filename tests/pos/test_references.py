"""References: one format for the invoice's idempotency key, the receipt's code and returns."""

from __future__ import annotations

import pytest

from appliance.pos.references import (
    closure_ref,
    movement_ref,
    parse_ticket_ref,
    payment_ref,
    register_code,
    ticket_ref,
)


def test_the_register_code_keeps_letters_and_digits_only() -> None:
    assert register_code("Caisse 1") == "Caisse1"
    assert register_code("Caisse n°2 — Épicerie") == "Caissen2picerie"
    assert register_code(" -- ") == "CAISSE"


def test_each_document_kind_has_its_letter() -> None:
    assert ticket_ref("C1", 42) == "C1-T000042"
    assert ticket_ref("C1", 42, training=True) == "C1-E000042"
    assert payment_ref(ticket_ref("C1", 42), 0) == "C1-T000042/P1"
    assert movement_ref("C1", 7) == "C1-M000007"
    assert closure_ref("C1", 1_234_567) == "C1-Z1234567"


@pytest.mark.parametrize("number", [1, 42, 999_999, 1_000_000])
@pytest.mark.parametrize("training", [False, True])
def test_a_scanned_reference_reads_back_as_its_number_and_series(
    number: int, training: bool
) -> None:
    assert parse_ticket_ref(ticket_ref("Caisse1", number, training)) == (number, training)


def test_a_typed_number_leaves_the_series_to_the_caller() -> None:
    assert parse_ticket_ref(" 0042 ") == (42, None)


@pytest.mark.parametrize("text", ["", "abc", "C1-X000042", "42a", "C1-T"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ticket_ref(text)
