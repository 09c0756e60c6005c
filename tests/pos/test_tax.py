import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.pos.errors import UnknownVatRate
from appliance.pos.money import extend, round_div
from appliance.pos.tax import (
    DEFAULT_VAT_TABLE,
    PriceMode,
    allocate,
    breakdown,
    vat_from_ht,
    vat_from_ttc,
)

rates = st.sampled_from([2000, 1000, 550, 210, 0])
amounts = st.integers(min_value=-10**9, max_value=10**9)


def test_round_div_rounds_half_away_from_zero_symmetrically():
    assert [round_div(n, 10) for n in (14, 15, 16, -14, -15, -16)] == [1, 2, 2, -1, -2, -2]
    assert extend(333, 1250) == 416  # 4.1625 -> 4.16
    assert extend(-333, 1500) == -500  # -4.995 -> -5.00


def test_known_vat_figures_from_ttc_and_from_ht():
    assert (vat_from_ttc(1000, 2000).ht, vat_from_ttc(1000, 2000).vat) == (833, 167)
    assert (vat_from_ttc(1055, 550).ht, vat_from_ttc(1055, 550).vat) == (1000, 55)
    assert (vat_from_ht(833, 2000).vat, vat_from_ht(833, 2000).ttc) == (167, 1000)


def test_unknown_rate_is_refused_with_the_known_rates_listed():
    with pytest.raises(UnknownVatRate, match=r"19,6|19.6"):
        DEFAULT_VAT_TABLE.get(1960)
    assert DEFAULT_VAT_TABLE.code(550) == "C"
    assert DEFAULT_VAT_TABLE.get(550).percent_text == "5,5 %"


@settings(deadline=None)  # behaviour, not speed: the machine may be busy
@given(amounts, rates)
def test_ht_plus_vat_is_ttc_to_the_cent(amount, rate):
    for figures in (vat_from_ttc(amount, rate), vat_from_ht(amount, rate)):
        assert figures.ht + figures.vat == figures.ttc


@settings(deadline=None)  # behaviour, not speed: the machine may be busy
@given(amounts, rates)
def test_entered_amount_never_drifts(amount, rate):
    assert vat_from_ttc(amount, rate).ttc == amount
    assert vat_from_ht(amount, rate).ht == amount


@settings(deadline=None)  # behaviour, not speed: the machine may be busy
@given(amounts, rates)
def test_rounding_is_symmetric_so_a_void_nets_to_zero(amount, rate):
    assert vat_from_ttc(-amount, rate).vat == -vat_from_ttc(amount, rate).vat


@settings(deadline=None)  # behaviour, not speed: the machine may be busy
@given(st.lists(st.tuples(rates, amounts), max_size=30), st.sampled_from(list(PriceMode)))
def test_per_rate_totals_add_up_to_the_ticket(pairs, mode):
    rows = breakdown(pairs, mode)
    entered = sum(amount for _, amount in pairs)
    if mode is PriceMode.TTC:
        assert sum(row.ttc for row in rows) == entered
    else:
        assert sum(row.ht for row in rows) == entered
    assert len({row.rate_bp for row in rows}) == len(rows)
    assert all(row.ht + row.vat == row.ttc for row in rows)


@settings(deadline=None)  # behaviour, not speed: the machine may be busy
@given(
    st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=20),
    st.data(),
)
def test_allocation_adds_up_and_never_exceeds_a_weight(weights, data):
    total = data.draw(st.integers(min_value=0, max_value=sum(weights)))
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert all(0 <= share <= weight for share, weight in zip(shares, weights, strict=True))
    assert allocate(-total, [-w for w in weights]) == [-s for s in shares]
