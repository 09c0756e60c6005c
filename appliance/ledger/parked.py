"""Parked tickets kept on disk, so a till restart (a power cut, an update) loses none.

A parked ticket is not a sale: it never enters the fiscal journal. It lives in its own small
SQLite file in the data directory, one row per parked ticket, written when the ticket is
parked and deleted when it is recalled; at start the Till reloads the lot from it.

The ticket is stored whole as JSON (lines, removed lines, discounts, seller, customer, the
original of a return) by a generic codec over the `pos` dataclasses: `ticket_from_json`
rebuilds an equal `Ticket`, so a recalled ticket behaves exactly as before the restart.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import sqlite3
import threading
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from appliance.pos.parking import Parked, ParkingLot
from appliance.pos.ticket import Ticket

PARKED_NAME = "parked.sqlite"  # in the data directory
log = logging.getLogger(__name__)
T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS parked (
    number INTEGER PRIMARY KEY,       -- the number the cashier reads on screen
    parked_utc TEXT NOT NULL,
    ticket TEXT NOT NULL              -- the whole Ticket as JSON (ticket_to_json)
);
"""


class ParkedStoreError(Exception):
    """The parked tickets file cannot be read or written (disk full, corrupt file)."""


def ticket_to_json(ticket: Ticket) -> str:
    return json.dumps(dataclasses.asdict(ticket), ensure_ascii=False, sort_keys=True)


def ticket_from_json(text: str) -> Ticket:
    try:
        return _instance(Ticket, json.loads(text))
    except (KeyError, TypeError, ValueError) as error:
        raise ParkedStoreError(f"ticket en attente illisible : {error!r}") from error


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(hint: Any, value: Any) -> Any:
    """`value` (from JSON) as an instance of the type `hint` of a `pos` dataclass field."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _decode(inner, value)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in value)
        return tuple(_decode(arg, item) for arg, item in zip(args, value, strict=True))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _instance(hint, value)
    return _scalar(hint, value)


def _instance(cls: type[T], value: dict[str, Any]) -> T:
    """An instance of `cls`, a `pos` dataclass, each field decoded by its type hint."""
    plain: type = cls  # for `cache`: mypy does not see a type[T] as Hashable, which it is
    fields = _hints(plain)
    return cls(**{name: _decode(fields[name], item) for name, item in value.items()})


def _scalar(hint: Any, value: Any) -> Any:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if hint in (int, str, bool) and not isinstance(value, hint):
        raise TypeError(f"{value!r} n'est pas un {hint.__name__}")
    return value


class ParkedStore:
    """The parked tickets of one register, in their own SQLite file."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a parked cart is the shop's only copy
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise ParkedStoreError(
                f"tickets en attente inaccessibles ({path}) : {error}"
            ) from error
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def load(self) -> ParkingLot:
        """The lot as it was left: every parked ticket, numbering going on after the last."""
        with self._lock:
            rows = self._db.execute(
                "SELECT number, parked_utc, ticket FROM parked ORDER BY number"
            ).fetchall()
        parked = []
        for number, at, text in rows:
            try:
                parked.append(Parked(number, ticket_from_json(text), at))
            except ParkedStoreError as error:  # kept in the file for a technician; never lost
                log.warning("ticket en attente n° %s ignoré : %s", number, error)
        last = max((number for number, _at, _text in rows), default=0)
        return ParkingLot(tuple(parked), last + 1)

    def save(self, entry: Parked) -> None:
        self._run(
            "INSERT INTO parked(number, parked_utc, ticket) VALUES (?, ?, ?)",
            (entry.number, entry.parked_utc, ticket_to_json(entry.ticket)),
        )

    def remove(self, number: int) -> None:
        self._run("DELETE FROM parked WHERE number = ?", (number,))

    def _run(self, sql: str, params: tuple[Any, ...]) -> None:
        try:
            with self._lock:
                self._db.execute(sql, params)
        except sqlite3.Error as error:
            raise ParkedStoreError(f"tickets en attente : écriture impossible ({error})") from error
