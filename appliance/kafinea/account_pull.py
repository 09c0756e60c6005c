"""Pull the customer accounts from Kafinea, for the till's offline account search.

One `query` listing of the few fields a cashier searches by (name, account number, phone,
e-mail), paged 100 rows at a time and filtered by `modifiedtime >= watermark` like the product
pull: an unchanged account list costs one round trip. No `retrieve` is needed (every field is
in the query rows). A full listing (`since=None`) also returns every id, so the caller can
drop accounts deleted in Kafinea. This module keeps no state; the caller stores the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.listing import Fields, KnownModified, Seen, role_query, role_text
from appliance.kafinea.schema import SchemaMap
from appliance.kafinea.vtql import Query, changed_since

ROLES = ("name", "number", "phone", "email")


@dataclass(frozen=True)
class RemoteAccount:
    id: str
    name: str
    number: str
    phone: str
    email: str
    modifiedtime: str


@dataclass(frozen=True)
class AccountPull:
    changed: list[RemoteAccount]  # new or modified since the watermark
    listed: int
    complete: bool  # a full listing: `ids` is every account Kafinea has
    ids: set[str]
    watermark: str | None
    round_trips: int


def account_query(schema: SchemaMap) -> tuple[Query, Fields]:
    """The SELECT of the searched fields, and role -> field name (None: not on this instance)."""
    return role_query(schema, "accounts", ROLES)


def _account(row: dict[str, Any], fields: Fields) -> RemoteAccount:
    def get(role: str) -> str:
        return role_text(row, fields, role).strip()

    return RemoteAccount(
        id=str(row["id"]),
        name=get("name"),
        number=get("number"),
        phone=get("phone"),
        email=get("email"),
        modifiedtime=str(row.get("modifiedtime") or ""),
    )


def pull_accounts(
    client: KafineaClient,
    schema: SchemaMap,
    *,
    since: str | None = None,
    known_modified: KnownModified | None = None,
) -> AccountPull:
    """Accounts changed since `since` (all when None). `known_modified(id)` gives the
    modification time the caller holds, so rows listed again at the `>=` boundary second
    are not reported as changed."""
    before = client.round_trips
    query, fields = account_query(schema)
    changed: list[RemoteAccount] = []
    seen = Seen(since)
    for row in client.query_all(changed_since(query, since)):
        account = _account(row, fields)
        if seen.row(account.id, account.modifiedtime, known_modified) and account.name:
            changed.append(account)
    return AccountPull(
        changed=changed,
        listed=seen.listed,
        complete=since is None,
        ids=seen.ids,
        watermark=seen.watermark,
        round_trips=client.round_trips - before,
    )
