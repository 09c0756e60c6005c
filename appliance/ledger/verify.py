"""Verify a fiscal journal: a database on the till, or an exported archive anywhere.

Needs only Python 3.11+ and the `cryptography` package: this file and `chain.py` are copied
into every archive, so that an auditor runs

    python verify.py archive.zip          (or the extracted directory)

with no secret and none of our code installed. Exit code 0: intact; 1: the first failing
record and the reason; 2: usage or I/O error. `--json` prints the report as JSON.

The records stream through once (memory stays flat whatever the size). The record-local work
(parse the payload once, canonical form, recomputed hash, signature, a ticket's own arithmetic
and business day) runs on worker processes, in batches of seqs that a database worker reads
itself; each record comes back as a small tuple of facts (`Fact`), and the main process runs
the sequential checks on those, in seq order, without parsing any payload. Checks, per record:
sequence continuity; hash chain (global and per type); canonical payload; recomputed hash;
signature with the key of the INIT record; per-type numbering without gap; time never going
back; ticket arithmetic and VAT rounding rule; business day of each ticket and no ticket in a
closed day; every closure recomputed (DAY = its tickets, MONTH = its DAYs, YEAR = its MONTHs,
grand totals continuous); duplicate counters; RETURN/VOID/DUPLICATE references (second
pass); finally the tail against the head file (database) or the manifest (archive).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gc
import hashlib
import io
import itertools
import json
import os
import sqlite3
import sys
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

if __package__ or TYPE_CHECKING:  # mypy checks this file as the package's module
    from appliance.ledger import chain
else:  # run from an exported archive: chain.py sits beside this file
    import chain

BATCH = 2048  # records per worker batch; at most 2 x workers batches in flight
SIGNATURE = ec.ECDSA(utils.Prehashed(hashes.SHA256()))
# seq, rtype, training, type_seq, created_utc, payload, prev_hash, prev_type_hash, hash, sig,
# key_id, fmt -- hashes as lowercase hex, payload and sig as bytes
Row = tuple[int, str, int, int, str, bytes, str, str, str, bytes, str, int]


class Broken(Exception):
    """The journal is broken at `seq` for `reason` (the first fault found)."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"enregistrement {seq} : {reason}")
        self.seq = seq
        self.reason = reason


@dataclass
class Report:
    ok: bool
    records: int
    last_seq: int = 0
    last_hash: str = ""
    register: str = ""
    key_id: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    failure_seq: int = 0
    failure: str = ""

    def sentence(self) -> str:
        if self.ok:
            return (f"journal intègre : {self.records} enregistrements, dernier n° {self.last_seq}"
                    f" ({self.last_hash[:8]}), clé {self.key_id}")
        return f"journal altéré à l'enregistrement {self.failure_seq} : {self.failure}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def _signature_valid(public_der: bytes, digest: bytes, sig: bytes) -> bool:
    key = serialization.load_der_public_key(public_der)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    try:
        key.verify(sig, digest, SIGNATURE)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class Context:
    """What the record-local checks need from the INIT record (sent to every worker)."""

    public_der: bytes
    register: str
    tz: str
    cutoff: int


def _ticket_facts(payload: dict[str, Any], head: tuple[Any, ...], moment: datetime,
                  context: Context) -> tuple[str, Any, Any, Any]:
    """(local problem or "", business day, RETURN/VOID reference, sums for `Totals`).

    The checks of one ticket that need no other record, in the order the verifier reports
    them; the sums are the few integers `Totals.add_ticket_sums` needs, so that the main
    process never holds the parsed payload."""
    training, type_seq, created = bool(head[2]), head[3], head[4]
    problem, sums = chain.ticket_audit(payload)
    if problem:
        return f"ticket incohérent : {problem}", None, None, None
    if payload.get("training") is not training:
        return "indicateur école du ticket différent de l'enveloppe", None, None, None
    day = payload.get("business_date")
    expected = chain.business_day_of_minute(created[:16], context.tz, context.cutoff) or (
        chain.business_date_at(moment, context.tz, context.cutoff).isoformat())
    if day != expected:
        return f"journée {day} incohérente avec l'heure {created}", None, None, None
    ref = None
    if payload["kind"] in ("RETURN", "VOID"):  # a known kind: `ticket_audit` checked it
        ref_item = payload.get("ref", {})
        number = ref_item.get("type_seq") if isinstance(ref_item, dict) else None
        ref = (number, ref_item.get("hash", "")) if isinstance(number, int) and (
            number < type_seq) else False
    if training:
        sums = None
    return "", sys.intern(expected), ref, sums  # the day, as one object per value for pickle


def _typed_facts(payload: dict[str, Any], head: tuple[Any, ...], moment: datetime,
                 context: Context | None) -> Any:
    """The per-type facts of one record that the sequential pass needs (see `Verifier`)."""
    rtype = head[1]
    if rtype == "TICKET":  # without INIT (no context) the sequential pass stops before this
        return context and _ticket_facts(payload, head, moment, context)
    if rtype == "DUPLICATE":
        try:
            return payload["of"]["type_seq"], payload["copy_no"], payload["of"]["hash"]
        except (KeyError, TypeError):
            return None
    if rtype == "EVENT":
        return isinstance(payload.get("code"), str)
    return payload if rtype in ("CLOSURE", "INIT") else None


# seq, rtype, training, type_seq, created_utc, prev_hash, prev_type_hash, hash, key_id, fmt,
# early fault ("" or why the payload or time is unreadable), per-type facts, late fault ("" or
# why the canonical form, hash or signature fails)
Fact = tuple[int, str, int, int, str, str, str, str, str, int, str, Any, str]


@contextlib.contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """Pause Python's cycle collector: verifying creates millions of short-lived, acyclic
    objects (parsed payloads, facts), which reference counting frees at once, while each
    allocation burst would trigger a collection that scans them for nothing (about 10% of
    the main process's time). Restored on the way out, whatever happens; worker processes,
    which live only for one verification, simply start with it off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _facts(context: Context | None, rows: Iterable[Row]) -> list[Fact]:
    """The record-local work, run in worker processes: parse each payload once, check its
    canonical form, recomputed hash and signature, and reduce it to the small facts the
    sequential pass needs (the main process never parses a payload). Stops after the first
    record with a fault: the sequential pass stops there too.

    The signatures are checked after the rest of the batch, one after the other: OpenSSL's
    P-256 verification reads a large precomputed table, which stays in the CPU cache through a
    run of verifications but is evicted by parsing between two of them (a third slower)."""
    facts: list[Fact] = []
    signed: list[tuple[str, bytes]] = []
    # A record's prev_hash equals the hash of the record before it: sharing one string object
    # for both lets pickle send each hash once, and the main process compare by identity.
    hashes: dict[str, str] = {}
    for row in rows:
        hash_hex = hashes.setdefault(row[8], row[8])
        head = (row[0], sys.intern(row[1]), row[2], row[3], row[4], hashes.get(row[6], row[6]),
                hashes.get(row[7], row[7]), hash_hex, sys.intern(row[10]), row[11])
        canonical = row[5]
        early, moment, payload, late = _read_payload(row, canonical)
        if early:
            facts.append((*head, early, None, ""))
            break
        late = late or _hash_fault(context, row, canonical)
        facts.append((*head, "", _typed_facts(payload, head, moment, context), late))
        if late:
            break
        signed.append((row[8], row[9]))
    if context is not None:
        bad = _first_bad_signature(context.public_der, signed)
        if bad is not None:  # the records before it are intact: the pass stops at this one
            del facts[bad + 1:]
            facts[bad] = (*facts[bad][:12], "signature invalide")
    return facts


def _first_bad_signature(public_der: bytes, signed: list[tuple[str, bytes]]) -> int | None:
    """Index of the first (hash, signature) pair whose signature fails, or None."""
    key = serialization.load_der_public_key(public_der)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    verify_with_key = key.verify
    for index, (hash_hex, sig) in enumerate(signed):
        try:
            verify_with_key(sig, bytes.fromhex(hash_hex), SIGNATURE)
        except (InvalidSignature, ValueError):
            return index
    return None


def _read_payload(row: Row, canonical: bytes) -> tuple[str, Any, Any, str]:
    """(early fault, parsed time, payload, canonical-form fault) of one row."""
    try:
        moment = chain.parse_utc(row[4])
    except ValueError:
        return f"horodatage illisible : {row[4]!r}", None, None, ""
    payload = chain.read_canonical_fast(canonical)
    if isinstance(payload, dict):
        return "", moment, payload, ""
    late = ""
    try:
        payload = chain.loads_strict(canonical)
    except chain.CanonicalError as error:  # a float or NaN: readable, not canonical
        late = f"contenu non canonique (modifié hors de l'application) : {error}"
        try:
            payload = json.loads(canonical)
        except ValueError as unreadable:
            return f"contenu illisible : {unreadable}", None, None, ""
    if not isinstance(payload, dict):
        return "contenu non canonique : objet attendu", None, None, ""
    if not late:
        try:
            chain.check_canonical(canonical, payload)
        except chain.CanonicalError as error:
            late = f"contenu non canonique (modifié hors de l'application) : {error}"
    return "", moment, payload, late


def _hash_fault(context: Context | None, row: Row, canonical: bytes) -> str:
    envelope = chain.envelope_bytes(
        seq=row[0], rtype=row[1], training=bool(row[2]), type_seq=row[3], created_utc=row[4],
        register=context.register if context else "", prev_hash=row[6], prev_type_hash=row[7],
        payload=canonical, fmt=row[11],
    )
    if chain.record_hash(envelope) != row[8]:
        return "hash recalculé différent : contenu ou en-tête modifié"
    return ""


class Verifier:
    """The sequential pass: feed the facts of every record in seq order (`feed`); raises
    `Broken` at the first fault."""

    def __init__(self) -> None:
        self.expected_seq = 1
        self.last_hash = chain.ZERO_HASH
        self.last_created = ""
        self.types: dict[tuple[str, int], tuple[int, str]] = {}
        self.counts: dict[str, int] = {}
        self.settings: dict[str, Any] | None = None
        self.public_der = b""
        self.key_id = ""
        self.day = chain.Totals()
        self.day_date = ""
        self.month = chain.Totals()
        self.year = chain.Totals()
        self.last_closure: dict[str, tuple[dict[str, Any], str, int]] = {}
        self.copies: dict[tuple[int, int], int] = {}
        self.refs: list[tuple[int, int, int, str]] = []  # seq, training, ticket no, hash
        self.hash_at: dict[int, str] = {}
        self.watch: set[int] = set()

    # -- per record -----------------------------------------------------------------------
    def feed(self, fact: Fact) -> None:
        """Checks in this order: links, readable payload, INIT and key, per-type rules, then
        the record-local faults the worker found (canonical form, hash, signature)."""
        seq, rtype, training, type_seq, created = fact[:5]
        hash_hex, key_id, early, typed, late = fact[7], fact[8], fact[10], fact[11], fact[12]
        self._check_links(fact)
        if early:
            raise Broken(seq, early)
        if rtype == "INIT":
            self._init(seq, typed)
        elif self.settings is None:
            raise Broken(seq, "pas d'enregistrement INIT en tête")
        if key_id != self.key_id:
            raise Broken(seq, f"clé {key_id} inconnue (attendu {self.key_id})")
        self._check_type(fact)
        if late:
            raise Broken(seq, late)
        if seq in self.watch:
            self.hash_at[seq] = hash_hex
        self.expected_seq = seq + 1
        self.last_hash = hash_hex
        self.last_created = created
        self.types[(rtype, training)] = (type_seq, hash_hex)
        self.counts[rtype] = self.counts.get(rtype, 0) + 1

    def _check_links(self, fact: Fact) -> None:
        seq, rtype, training, type_seq, created, prev_hash, prev_type_hash = fact[:7]
        fmt = fact[9]
        if seq != self.expected_seq:
            raise Broken(self.expected_seq, f"enregistrement manquant (trouvé {seq} à la place)")
        if fmt != chain.FMT:
            raise Broken(seq, f"format {fmt} inconnu")
        if rtype not in chain.RECORD_TYPES:
            raise Broken(seq, f"type {rtype!r} inconnu")
        if training not in (0, 1) or (training and rtype not in ("TICKET", "DUPLICATE")):
            raise Broken(seq, "indicateur école invalide")
        if prev_hash != self.last_hash:
            raise Broken(seq, "chaînage rompu : prev_hash différent du hash précédent")
        last_type = self.types.get((rtype, training), (0, chain.ZERO_HASH))
        if type_seq != last_type[0] + 1:
            raise Broken(seq, f"numérotation {rtype} rompue : {type_seq} après {last_type[0]}")
        if prev_type_hash != last_type[1]:
            raise Broken(seq, f"chaînage {rtype} rompu : prev_type_hash différent")
        if created < self.last_created:
            try:
                chain.parse_utc(created)
            except ValueError:
                raise Broken(seq, f"horodatage illisible : {created!r}") from None
            raise Broken(seq, f"horodatage antérieur au précédent ({created})")
        if len(created) != 24 or created[-1] != "Z" or created[10] != "T":
            raise Broken(seq, f"horodatage illisible : {created!r}")

    def _init(self, seq: int, payload: dict[str, Any]) -> None:
        if seq != 1 or self.settings is not None:
            raise Broken(seq, "INIT ailleurs qu'en tête du journal")
        try:
            self.settings, self.public_der = _read_init(payload)
        except (KeyError, ValueError, TypeError) as error:
            raise Broken(seq, f"INIT illisible : {error!r}") from None
        except UnsupportedKey:
            raise Broken(seq, "algorithme de signature non reconnu") from None
        self.key_id = hashlib.sha256(self.public_der).hexdigest()[:16]
        if payload.get("key_id") != self.key_id:
            raise Broken(seq, "empreinte de clé incohérente avec la clé publique")

    def _check_type(self, fact: Fact) -> None:
        seq, rtype, training, hash_hex, typed = fact[0], fact[1], fact[2], fact[7], fact[11]
        if rtype == "TICKET":
            self._ticket(seq, training, fact[3], hash_hex, typed)
        elif rtype == "DUPLICATE":
            if typed is None:
                raise Broken(seq, "duplicata illisible")
            number, copy_no, of_hash = typed
            key = (training, number)
            if copy_no != self.copies.get(key, 0) + 1:
                raise Broken(seq, f"numéro de duplicata {copy_no} hors séquence")
            self.copies[key] = copy_no
            self.refs.append((seq, training, number, of_hash))
            self.day.add_duplicate()
        elif rtype == "CLOSURE":
            self._closure(seq, typed, hash_hex)
        elif rtype == "EVENT" and not typed:
            raise Broken(seq, "événement sans code")

    def _ticket(self, seq: int, training: int, type_seq: int, hash_hex: str,
                typed: tuple[str, Any, Any, Any]) -> None:
        problem, day, ref, sums = typed
        if problem:
            raise Broken(seq, problem)
        closed = self.last_closure.get("DAY")
        if closed and day <= closed[0]["period"]["to"]:
            raise Broken(seq, f"ticket dans une journée déjà clôturée ({day})")
        if self.day_date and day != self.day_date:
            raise Broken(seq, f"ticket du {day} alors que la journée {self.day_date} n'est pas"
                              " clôturée")
        self.day_date = day
        if ref is False:
            raise Broken(seq, "référence au ticket d'origine invalide")
        if ref:
            self.refs.append((seq, training, ref[0], ref[1]))
        self.day.add_ticket_sums(sums, type_seq, hash_hex)

    def _closure(self, seq: int, payload: dict[str, Any], hash_hex: str) -> None:
        assert self.settings is not None
        level = payload.get("level")
        if level not in chain.LEVELS:
            raise Broken(seq, f"niveau de clôture {level!r} inconnu")
        previous = self.last_closure.get(level)
        totals = {"DAY": self.day, "MONTH": self.month, "YEAR": self.year}[level]
        try:
            start, end = self._period(seq, level, payload, totals)
            fy = chain.fiscal_year(start, self.settings["fy_start"])
            expected = chain.closure_figures(
                totals, level=level, no=previous[0]["no"] + 1 if previous else 1,
                period_from=start, period_to=end, fy=fy,
                previous=(previous[0], previous[1]) if previous else None,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise Broken(seq, f"clôture illisible : {error!r}") from None
        if level == "DAY":
            first_seq = previous[2] + 1 if previous else 1
            expected["covers"] = {"first_seq": first_seq, "last_seq": seq - 1}
        for key, value in expected.items():
            if payload.get(key) != value:
                raise Broken(seq, f"clôture {level} : « {key} » ne correspond pas au recalcul")
        extra = set(payload) - set(expected) - {"auto", "cash_count"}
        if extra:
            raise Broken(seq, f"clôture {level} : champs inattendus {sorted(extra)}")
        self.last_closure[level] = (payload, hash_hex, seq)
        if level == "DAY":
            self.day, self.day_date = chain.Totals(), ""
            self.month.add_closure(payload, hash_hex)
        elif level == "MONTH":
            self.month = chain.Totals()
            self.year.add_closure(payload, hash_hex)
        else:
            self.year = chain.Totals()

    def _period(self, seq: int, level: str, payload: dict[str, Any],
                totals: chain.Totals) -> tuple[date, date]:
        assert self.settings is not None
        first = date.fromisoformat(payload["period"]["from"])
        if level == "DAY":
            if self.day_date and self.day_date != first.isoformat():
                raise Broken(seq, f"clôture du {first} pour des tickets du {self.day_date}")
            return first, first
        if not totals.children:
            raise Broken(seq, f"clôture {level} sans clôture inférieure")
        if level == "MONTH":
            return chain.month_bounds(first)
        fy_start = self.settings["fy_start"]
        return chain.fiscal_year_bounds(chain.fiscal_year(first, fy_start), fy_start)


Progress = Callable[[int], None]
PROGRESS_EVERY = 100_000
# A job: a function run on a worker as function(context, *args) -> facts, and its args.
Job = tuple[Callable[..., list[Fact]], tuple[Any, ...]]


class UnsupportedKey(Exception):
    """The INIT record names another algorithm or holds another kind of key."""


def _read_init(payload: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """(settings, public key DER) from an INIT payload; KeyError/ValueError/TypeError when
    unreadable, `UnsupportedKey` when not ECDSA P-256."""
    public_der = base64.b64decode(payload["public_key"])
    key = serialization.load_der_public_key(public_der)
    hours, minutes = payload["cutoff"].split(":")
    settings = {
        "register": payload["register"], "tz": payload["tz"],
        "cutoff": int(hours) * 60 + int(minutes),
        "fy_start": payload["fiscal_year_start_month"],
    }
    ZoneInfo(settings["tz"])  # an unknown zone is a KeyError: INIT unreadable
    if not isinstance(key, ec.EllipticCurvePublicKey) or payload.get("alg") != (
            "ECDSA-P256-SHA256"):
        raise UnsupportedKey
    return settings, public_der


def _context(first: Row | None) -> Context | None:
    """The workers' context, read from the first record when it is a readable INIT (when it
    is not, the sequential pass stops at record 1 and the context is never used)."""
    if first is None or first[1] != "INIT":
        return None
    try:
        settings, public_der = _read_init(json.loads(first[5]))
    except (KeyError, ValueError, TypeError, AttributeError, UnsupportedKey):
        return None
    return Context(public_der, settings["register"], settings["tz"], settings["cutoff"])


class Source:
    """Where the records come from: the first row, the worker jobs covering every record in
    seq order, and the tickets again (only those that references point at)."""

    ref_batch: int | None = None  # references checked every so many (None: once, at the end)

    def first(self) -> Row | None:
        raise NotImplementedError

    def jobs(self) -> Iterator[Job]:
        raise NotImplementedError

    def tickets(self, wanted: set[tuple[int, int]]) -> Iterator[tuple[int, int, str]]:
        """(training, ticket number, hash) of the TICKETs `wanted` (training, number) at
        least, for the reference checks."""
        raise NotImplementedError


def run(source: Source, *, workers: int = 1, tail: Callable[[Verifier], None] | None = None,
        watch: Iterable[int] = (), progress: Progress | None = None) -> Report:
    """Verify every record of `source`; `progress(records_done)` is called every
    `PROGRESS_EVERY` records. With several workers, up to 2 jobs per worker are in flight
    while the main process runs the sequential pass over the facts already back. The cycle
    collector is paused in every process meanwhile (`_without_cycle_collector`)."""
    with _without_cycle_collector():
        verifier = Verifier()
        verifier.watch = set(watch)
        executor = ProcessPoolExecutor(max_workers=workers, initializer=gc.disable) if (
            workers > 1) else None
        pending: deque[Future[list[Fact]]] = deque()

        def consume(facts: list[Fact]) -> None:
            every = PROGRESS_EVERY
            for fact in facts:
                verifier.feed(fact)
                if progress is not None and fact[0] % every == 0:
                    progress(fact[0])
            if source.ref_batch and len(verifier.refs) >= source.ref_batch:
                _check_refs(verifier, source)  # memory stays flat whatever the journal's size

        try:
            context = _context(source.first())
            for function, args in source.jobs():
                if executor is None:
                    consume(function(context, *args))
                    continue
                pending.append(executor.submit(function, context, *args))
                while len(pending) > 2 * workers:
                    consume(pending.popleft().result())
            while pending:
                consume(pending.popleft().result())
            if verifier.settings is None:
                raise Broken(1, "journal vide : aucun enregistrement INIT")
            _check_refs(verifier, source)
            if tail is not None:
                tail(verifier)
        except Broken as found:
            broken = _first_fault(verifier, source, found)
            return Report(False, verifier.expected_seq - 1, verifier.expected_seq - 1,
                          verifier.last_hash, (verifier.settings or {}).get("register", ""),
                          verifier.key_id, verifier.counts, broken.seq, broken.reason)
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
        assert verifier.settings is not None
        return Report(True, verifier.expected_seq - 1, verifier.expected_seq - 1,
                      verifier.last_hash, verifier.settings["register"], verifier.key_id,
                      verifier.counts)


def _first_fault(verifier: Verifier, source: Source, broken: Broken) -> Broken:
    """The first fault of the journal: references are checked in bulk, so one pending from
    before `broken` may be an earlier fault."""
    verifier.refs = [ref for ref in verifier.refs if ref[0] < broken.seq]
    try:
        _check_refs(verifier, source)
    except Broken as earlier:
        return earlier
    return broken


def _check_refs(verifier: Verifier, source: Source) -> None:
    """Check the references collected so far (RETURN/VOID and DUPLICATE records point at an
    existing ticket with that hash), then forget them. Raises `Broken` at the first bad one."""
    if not verifier.refs:
        return
    wanted = {(training, number) for _, training, number, _ in verifier.refs}
    found: dict[tuple[int, int], str] = {}
    for training, number, hash_hex in source.tickets(wanted):
        if (training, number) in wanted:
            found[(training, number)] = hash_hex
    for seq, training, number, hash_hex in sorted(verifier.refs):
        if found.get((training, number)) != hash_hex:
            raise Broken(seq, f"référence au ticket n° {number} introuvable ou différente")
    verifier.refs.clear()


# ----------------------------------------------------------------------------- sources


def _connect(uri: str) -> sqlite3.Connection:
    return sqlite3.connect(uri, uri=True)


# The columns of a `Row`, hashes turned into lowercase hex by SQLite itself and the payload
# read as its stored bytes (whatever the types stored: a tampered TEXT hash is a wrong hash,
# a payload that is not UTF-8 an unreadable one, never a crash).
SELECT_ROWS = ("SELECT seq, rtype, training, type_seq, created_utc, CAST(payload AS BLOB),"
               " lower(hex(prev_hash)), lower(hex(prev_type_hash)), lower(hex(hash)), sig,"
               " key_id, fmt FROM journal")


def _database_facts(context: Context | None, uri: str, first: int, last: int) -> list[Fact]:
    """Worker job: read records `first`..`last` itself (only the range crosses processes)."""
    connection = _connect(uri)
    try:
        return _facts(context, connection.execute(
            SELECT_ROWS + " WHERE seq BETWEEN ? AND ? ORDER BY seq",
            (first, last)))
    finally:
        connection.close()


class DatabaseSource(Source):
    ref_batch = 5000  # an indexed lookup: cheap enough to run as references accumulate

    def __init__(self, path: Path) -> None:
        self.uri = f"{path.resolve().as_uri()}?mode=ro"

    def first(self) -> Row | None:
        connection = _connect(self.uri)
        try:
            row: Row | None = connection.execute(SELECT_ROWS + " ORDER BY seq LIMIT 1").fetchone()
        finally:
            connection.close()
        return row

    def jobs(self) -> Iterator[Job]:
        connection = _connect(self.uri)
        try:
            low, high = connection.execute("SELECT min(seq), max(seq) FROM journal").fetchone()
        finally:
            connection.close()
        if low is None:
            return
        for start in range(low, high + 1, BATCH):
            yield _database_facts, (self.uri, start, min(start + BATCH - 1, high))

    def tickets(self, wanted: set[tuple[int, int]]) -> Iterator[tuple[int, int, str]]:
        """Looked up by number through the table's UNIQUE (rtype, training, type_seq) index
        rather than a second pass over a million rows (the first pass has checked that each
        number is held by exactly one record)."""
        connection = _connect(self.uri)
        try:
            for training in (0, 1):
                numbers = sorted(number for flag, number in wanted if flag == training)
                yield from connection.execute(
                    "SELECT training, type_seq, lower(hex(hash)) FROM journal"
                    " WHERE rtype = 'TICKET' AND training = ?"
                    " AND type_seq IN (SELECT value FROM json_each(?))",
                    (training, json.dumps(numbers)))
        finally:
            connection.close()


def verify_database(path: Path, head_path: Path | None = None, *, workers: int = 1,
                    progress: Progress | None = None) -> Report:
    """Verify a journal database; `head_path` (the head file) detects a removed tail."""
    if not path.exists():
        raise OSError(f"base introuvable : {path}")
    head = json.loads(head_path.read_bytes()) if head_path and head_path.exists() else None

    def tail(verifier: Verifier) -> None:
        last = verifier.expected_seq - 1
        if head_path is not None and head is None and last > 1:
            raise Broken(last, "fichier de tête absent : fin du journal invérifiable")
        if head is None:
            return
        if head["seq"] > last:
            raise Broken(last + 1, f"journal tronqué : la tête indique {head['seq']},"
                                   f" la base s'arrête à {last}")
        if verifier.hash_at.get(head["seq"]) != head["hash"]:
            raise Broken(head["seq"], "ne correspond pas au fichier de tête")
        if not _signature_ok(verifier.public_der, head["hash"], bytes.fromhex(head["sig"])):
            raise Broken(head["seq"], "signature du fichier de tête invalide")

    return run(DatabaseSource(path), workers=workers, tail=tail,
               watch=[head["seq"]] if head else [], progress=progress)


def _signature_ok(public_der: bytes, hash_hex: str, sig: bytes) -> bool:
    return _signature_valid(public_der, bytes.fromhex(hash_hex), sig)


def _archive_row(line: bytes) -> Row:
    item = json.loads(line)
    if not isinstance(item["payload"], str):
        raise TypeError("payload n'est pas une chaîne")
    return (item["seq"], item["rtype"], item["training"], item["type_seq"],
            item["created_utc"], item["payload"].encode("utf-8"), item["prev_hash"],
            item["prev_type_hash"],
            item["hash"], bytes.fromhex(item["sig"]), item["key_id"], item["fmt"])


def _archive_facts(context: Context | None, lines: list[bytes]) -> list[Fact]:
    """Worker job: parse a slice of journal.jsonl and check it (the main process only splits
    the lines)."""
    return _facts(context, map(_archive_row, lines))


class ArchiveSource(Source):
    def __init__(self, journal_jsonl: bytes) -> None:
        self.text = journal_jsonl

    def first(self) -> Row | None:
        line = next(iter(io.BytesIO(self.text)), None)
        return _archive_row(line) if line else None

    def jobs(self) -> Iterator[Job]:
        lines = io.BytesIO(self.text)
        while chunk := list(itertools.islice(lines, BATCH)):
            yield _archive_facts, (chunk,)

    def tickets(self, wanted: set[tuple[int, int]]) -> Iterator[tuple[int, int, str]]:
        for row in map(_archive_row, io.BytesIO(self.text)):
            if row[1] == "TICKET":
                yield row[2], row[3], row[8]


def _archive_files(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {item.name: item.read_bytes() for item in path.iterdir() if item.is_file()}
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def verify_archive(path: Path, *, workers: int = 1, progress: Progress | None = None) -> Report:
    """Verify an exported archive (ZIP or extracted directory): files, manifest, journal."""
    try:
        files = _archive_files(path)
        manifest_bytes = files["manifest.json"]
        manifest = json.loads(manifest_bytes)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, zlib.error) as error:
        return Report(False, 0, failure=f"archive illisible : {error!r}")
    for name, digest in manifest.get("files", {}).items():
        if hashlib.sha256(files.get(name, b"")).hexdigest() != digest:
            return Report(False, 0, failure=f"fichier {name} modifié ou absent")
    public_der = base64.b64decode(manifest.get("public_key", ""))
    try:
        signed = _signature_ok(public_der, hashlib.sha256(manifest_bytes).hexdigest(),
                               bytes.fromhex(files.get("manifest.sig", b"").decode()))
    except ValueError:
        signed = False
    if not signed:
        return Report(False, 0, failure="signature du manifeste invalide")
    source = ArchiveSource(files["journal.jsonl"])

    def tail(verifier: Verifier) -> None:
        last = verifier.expected_seq - 1
        if (last, verifier.last_hash) != (manifest["last_seq"], manifest["last_hash"]):
            raise Broken(last, "fin du journal différente du manifeste (tronqué ?)")
        if verifier.public_der != public_der:
            raise Broken(1, "clé publique du manifeste différente de celle du journal")

    try:
        return run(source, workers=workers, tail=tail, progress=progress)
    except (ValueError, KeyError, TypeError) as error:
        return Report(False, 0, failure=f"journal.jsonl illisible : {error!r}")


def _progress(records: int) -> None:
    print(f"… {records:,} enregistrements vérifiés".replace(",", " "), file=sys.stderr,
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Vérifie une archive du journal fiscal.")
    parser.add_argument("archive", nargs="?", default=".",
                        help="archive ZIP ou dossier extrait (par défaut : le dossier courant)")
    parser.add_argument("--json", action="store_true", help="rapport en JSON")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    path = Path(args.archive)
    if not path.exists():
        print(f"introuvable : {path}", file=sys.stderr)
        return 2
    report = verify_archive(path, workers=args.workers, progress=_progress)
    print(report.to_json() if args.json else report.sentence())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
