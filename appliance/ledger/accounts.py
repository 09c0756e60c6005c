"""The local copy of Kafinea's customer accounts, so the till finds a customer offline.

Filled by the catalogue refresh (incremental by `modifiedtime`, a full listing now and then to
drop deleted accounts) and read by the account search of the sale screen. A cashier types a
part of what the customer says: a name ("fournil", "l'atelier", "sevigne" for "Sévigné"), a
phone number in any spelling ("06 12", "0612", "+33 6 12"), an e-mail or the account number
("CPT12"). So each account keeps one normalised search text (lower case, no accents, phone
digits in national form); a shop has thousands of accounts, not millions, so a LIKE scan of
that column answers in a few milliseconds and needs no FTS index.

Its own SQLite file beside the catalogue (a cache: Kafinea holds the truth, `synchronous` is
NORMAL); one connection guarded by a lock, shared by the refresh thread and the search.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from appliance.ledger.cache_file import CacheFile
from appliance.ledger.catalog import normalise

SCHEMA = """
CREATE TABLE IF NOT EXISTS account (
    id TEXT PRIMARY KEY,              -- Kafinea webservice id, e.g. 11x42
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL,          -- fold(name): sort key and prefix search
    number TEXT NOT NULL DEFAULT '',  -- account_no, e.g. CPT12
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    search TEXT NOT NULL,             -- everything a cashier may type, normalised
    modified TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS account_name ON account(name_norm);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

ACCOUNTS_NAME = "accounts.sqlite"  # in the data directory, beside the catalogue
WRITE_BATCH = 500
_NOT_DIGIT = re.compile(r"\D")
_PHONE_LIKE = re.compile(r"\+?[0-9][0-9 .\-]*[0-9]")
_COLUMNS = "id, name, number, phone, email, modified"


@dataclass(frozen=True)
class CachedAccount:
    """A customer account as the till shows it in the search results."""

    id: str
    name: str
    number: str = ""
    phone: str = ""
    email: str = ""
    modified: str = ""


def phone_digits(text: str) -> str:
    """Digits of a phone number in French national form: "+33 6 12" -> "0612"."""
    digits = _NOT_DIGIT.sub("", text)
    if text.strip().startswith("+33") or digits.startswith("0033"):
        digits = "0" + digits[4 if digits.startswith("0033") else 2 :]
    return digits


def fold(text: str) -> str:
    """`normalise`, with apostrophes as spaces: the on-screen keyboard types ' and Kafinea
    holds ' or ’, so "l'atelier", "L’Atelier" and "l atelier" all read "l atelier"."""
    return normalise(text.replace("\u2019", " ").replace("'", " "))


def search_text(account: CachedAccount) -> str:
    parts = [fold(account.name), fold(account.number), account.email.casefold()]
    digits = phone_digits(account.phone)
    if digits:
        parts.append(digits)
    return " | ".join(part for part in parts if part)


def _escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(term: str) -> str:
    return "%" + _escape(term) + "%"


class AccountCache(CacheFile):
    """The customer accounts of one register, in their own SQLite file."""

    TABLE = "account"

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA)

    def __enter__(self) -> AccountCache:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- writing (the refresh) ----------------------------------------------------------------

    def apply(self, accounts: Iterable[CachedAccount]) -> int:
        """Insert or update each account, in batches (a search waits one batch at most)."""
        count = 0
        batch: list[CachedAccount] = []
        for account in accounts:
            batch.append(account)
            if len(batch) >= WRITE_BATCH:
                count += self._apply_batch(batch)
                batch = []
        return count + (self._apply_batch(batch) if batch else 0)

    def _apply_batch(self, batch: list[CachedAccount]) -> int:
        with self._write() as db:
            db.executemany(
                "INSERT INTO account(id, name, name_norm, number, phone, email, search, modified)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " name = excluded.name, name_norm = excluded.name_norm,"
                " number = excluded.number, phone = excluded.phone, email = excluded.email,"
                " search = excluded.search, modified = excluded.modified",
                [
                    (
                        a.id,
                        a.name,
                        fold(a.name),
                        a.number,
                        a.phone,
                        a.email,
                        search_text(a),
                        a.modified,
                    )
                    for a in batch
                ],
            )
        return len(batch)

    def keep_only(self, ids: set[str]) -> int:
        """Drop every cached account whose id is not in `ids` (a full listing from Kafinea)."""
        with self._lock:
            cached = {row[0] for row in self._db.execute("SELECT id FROM account")}
        gone = sorted(cached - ids)
        with self._write() as db:
            db.executemany("DELETE FROM account WHERE id = ?", [(i,) for i in gone])
        return len(gone)

    def watermark(self) -> str:
        """The highest Kafinea `modifiedtime` applied: the next pull asks for newer only."""
        return self.meta("watermark") or ""

    def set_watermark(self, modified: str) -> None:
        self.set_meta("watermark", modified)

    # -- reading (the sale) -------------------------------------------------------------------

    def by_id(self, account_id: str) -> CachedAccount | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM account WHERE id = ?",  # noqa: S608 - constant columns
                (account_id,),
            ).fetchone()
        return CachedAccount(*row) if row else None

    def search(self, text: str, limit: int = 30) -> list[CachedAccount]:
        """Accounts whose name, number, e-mail or phone contains every word of `text`; names
        starting with it first, then in name order. A text made of digits and phone
        punctuation ("06 12", "+33 6.12") is one phone number, compared digit by digit."""
        query = fold(text)
        if not query or limit <= 0:
            return []
        if _PHONE_LIKE.fullmatch(query):
            words = [phone_digits(query)]
        else:  # the "l" of "l'ate" matches everything: elided letters only narrow alone
            words = [w for w in query.split(" ") if len(w) > 1] or query.split(" ")
        where = " AND ".join("search LIKE ? ESCAPE '\\'" for _ in words)
        sql = (
            f"SELECT {_COLUMNS} FROM account WHERE {where}"  # noqa: S608 - placeholders only
            " ORDER BY name_norm NOT LIKE ? ESCAPE '\\', name_norm LIMIT ?"
        )
        prefix = _escape(query) + "%"
        with self._lock:
            rows = self._db.execute(
                sql, (*(_like(word) for word in words), prefix, limit)
            ).fetchall()
        return [CachedAccount(*row) for row in rows]
