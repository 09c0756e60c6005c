"""Incremental listings of one module: the query of a few roles, and what a pass has seen.

Both pulls (products, customer accounts) list only the fields the till uses, filtered by
`modifiedtime >= watermark` (`vtql.changed_since`). Rows saved in the watermark's second come
back on the next pass, so each pass counts every listed row, keeps every id (a full listing
tells the caller what was deleted in Kafinea), moves the watermark to the newest modification
time, and skips the rows whose modification time the caller already holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from appliance.kafinea.schema import SchemaMap
from appliance.kafinea.vtql import Query, select

Fields = dict[str, str | None]  # role -> field name on this instance (None: not there)
KnownModified = Callable[[str], str | None]  # id -> the modification time the caller holds


def role_query(schema: SchemaMap, module_role: str, roles: Iterable[str]) -> tuple[Query, Fields]:
    """The SELECT of these roles' fields (and `modifiedtime`), and role -> field name."""
    fields = {role: schema.field_or_none(module_role, role) for role in roles}
    columns = sorted({name for name in fields.values() if name} | {"modifiedtime"})
    return select(schema.module(module_role), *columns), fields


def role_text(row: Mapping[str, Any], fields: Fields, role: str) -> str:
    """A listed row's value for `role` as text; "" when empty or not on this instance."""
    name = fields.get(role)
    value = row.get(name) if name else None
    return "" if value is None else str(value)


@dataclass
class Seen:
    """What one listing pass has gone through."""

    watermark: str | None  # the newest modification time listed (starts at `since`)
    ids: set[str] = field(default_factory=set)
    listed: int = 0

    def row(self, record_id: str, modified: str, known: KnownModified | None) -> bool:
        """Count one listed row; True when the caller does not hold this version yet."""
        self.ids.add(record_id)
        self.listed += 1
        if self.watermark is None or modified > self.watermark:
            self.watermark = modified
        return known is None or known(record_id) != modified
