"""The register's fiscal settings, fixed by the journal's INIT record: its name, time zone,
business-day cut-off and first month of the fiscal year.

Apart from the journal so that its helpers (closures) read them without importing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from appliance.ledger import chain


@dataclass(frozen=True)
class JournalSettings:
    """The register's fiscal settings, fixed by the INIT record."""

    register: str
    tz: str
    cutoff_minutes: int
    fiscal_year_start_month: int

    @classmethod
    def from_init(cls, payload: Mapping[str, Any]) -> JournalSettings:
        hours, minutes = payload["cutoff"].split(":")
        return cls(payload["register"], payload["tz"], int(hours) * 60 + int(minutes),
                   payload["fiscal_year_start_month"])

    def business_date(self, created_utc: str) -> date:
        return chain.business_date(created_utc, self.tz, self.cutoff_minutes)

    def fiscal_year(self, day: date) -> int:
        return chain.fiscal_year(day, self.fiscal_year_start_month)
