"""Timestamps as the journal stores them: UTC ISO-8601 with milliseconds and a Z.

The domain never reads a clock: the caller passes an aware `datetime` and gets one spelling
("2026-03-01T10:15:02.123Z") that sorts as text and hashes the same everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required (the till never guesses a time zone)")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_utc_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
