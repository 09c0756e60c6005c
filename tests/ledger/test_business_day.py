"""The verifier's per-minute business day agrees with the exact per-moment rule."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from appliance.ledger.chain import business_date_at, business_day_of_minute

ZONES = ("Europe/Paris", "America/St_Johns", "Asia/Kathmandu", "Australia/Lord_Howe", "UTC")


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)),
       st.sampled_from(ZONES), st.integers(0, 24 * 60 - 1))
def test_a_minute_names_the_business_day_of_each_of_its_moments(moment, tz, cutoff):
    moment = moment.replace(tzinfo=UTC)
    day = business_day_of_minute(moment.strftime("%Y-%m-%dT%H:%M"), tz, cutoff)
    assert day in (None, business_date_at(moment, tz, cutoff).isoformat())


def test_every_second_around_the_paris_clock_changes_and_the_cutoff():
    for start in (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 30,
                                                                       tzinfo=UTC)):
        for second in range(0, 2 * 3600, 7):
            moment = start + timedelta(seconds=second)
            exact = business_date_at(moment, "Europe/Paris", 3 * 60).isoformat()
            by_minute = business_day_of_minute(moment.strftime("%Y-%m-%dT%H:%M"),
                                               "Europe/Paris", 3 * 60)
            assert by_minute == exact, moment
