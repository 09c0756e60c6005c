"""One journal record as read back from the `journal` table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JournalRecord:
    seq: int
    rtype: str
    training: bool
    type_seq: int
    created_utc: str
    payload: dict[str, Any]
    payload_text: str
    prev_hash: str
    prev_type_hash: str
    hash: str
    sig: bytes
    key_id: str
    fmt: int

    @property
    def excerpt(self) -> str:
        """What receipts and Z reports print to match paper with the database."""
        return self.hash[:8]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> JournalRecord:
        """From `SELECT * FROM journal` (columns in table order)."""
        (seq, rtype, training, type_seq, created, payload, prev_hash, prev_type_hash, hash_,
         sig, key_id, fmt) = row
        return cls(seq, rtype, bool(training), type_seq, created, json.loads(payload), payload,
                   bytes(prev_hash).hex(), bytes(prev_type_hash).hex(), bytes(hash_).hex(),
                   bytes(sig), key_id, fmt)
