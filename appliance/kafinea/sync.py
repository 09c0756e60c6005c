"""The sync worker: delivers the outbox to Kafinea, in order, exactly once.

The integration in Home Assistant's sense: it knows the outbox (through the small `Queue`
protocol below, since `kafinea` may not import `ledger`), the documents and the steps, calls
the client, catches only `KafineaError`, and publishes a `SyncState` that the Till turns into
the screen's badge. Every decision is `steps.next_step`'s; this module only performs them:

- before a create (or a finalising revise) it saves the *intent* in the row's progress, so a
  kill -9, a timeout or a reset after sending always ends in a lookup by reference first;
- `NotSent`, `OutcomeUnknown`, `ProtocolError`, `SessionExpired`, `BadCredentials`: the row
  stays at the head of the queue and the pass stops (ordered delivery), retried after a backoff
  with full jitter (1 s, 2 s, 4 s ... capped at 60 s, times a random factor in [0.5, 1]);
- any other `ApiError` (Kafinea refused the document itself) or a payload the documents cannot
  read: the row moves to the errors list with the server's reason, and the queue goes on.

One worker per till: `worker_lock` takes an exclusive `flock` on a file beside the journal,
so the kiosk and an `appliance sync --once` never deliver the same row at the same time.
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.documents import Context, Document, Targets
from appliance.kafinea.errors import (
    ApiError,
    BadCredentials,
    KafineaError,
    NotSent,
    OutcomeUnknown,
    ProtocolError,
    SessionExpired,
    describe,
)
from appliance.kafinea.steps import (
    Create,
    Done,
    Fail,
    Lookup,
    Retrieve,
    Revise,
    Step,
    intent,
    next_step,
    record,
)
from appliance.kafinea.vtql import VtqlError, cond, select

log = logging.getLogger(__name__)

TRANSIENT = (NotSent, OutcomeUnknown, ProtocolError, SessionExpired, BadCredentials)
UNREACHABLE = (NotSent, OutcomeUnknown, ProtocolError)


class Row(Protocol):
    """One queued document as the worker reads it (the outbox's rows are frozen: read-only)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> Any: ...
    @property
    def ref(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def progress(self) -> dict[str, Any]: ...
    @property
    def attempts(self) -> int: ...
    @property
    def next_attempt_at(self) -> float: ...


class Queue(Protocol):
    """What the worker needs of `appliance.ledger.outbox.Outbox`."""

    def head(self) -> Row | None: ...
    def by_ref(self, ref: str) -> Row | None: ...
    def pending_count(self) -> int: ...
    def failed_count(self) -> int: ...
    def save_progress(self, row_id: int, progress: Mapping[str, Any], at: str) -> None: ...
    def mark_done(self, row_id: int, progress: Mapping[str, Any], at: str) -> None: ...
    def defer(self, row_id: int, *, error: str, next_attempt_at: float, at: str) -> None: ...
    def mark_failed(self, row_id: int, *, reason: str, at: str) -> None: ...


@dataclass(frozen=True)
class SyncState:
    """Health of the delivery (the coordinator's `last_update_success` / `last_exception`)."""

    pending: int = 0
    failed: int = 0
    last_error: str = ""
    last_success_at: str = ""
    reachable: bool | None = None


@dataclass(frozen=True)
class PassResult:
    delivered: int
    failed: int
    stopped_on: str = ""  # the transient error that ended the pass early, if any


class Outcome(Enum):
    """How the delivery of one row ended."""

    DONE = "done"  # every step performed: the row left the queue
    FAILED = "failed"  # refused for good: the row moved to the errors list
    STOPPED = "stopped"  # a transient error: the row waits at the head of the queue


@dataclass(frozen=True)
class Delivery:
    """One row's outcome for the pass: it counts DONE and FAILED and ends on STOPPED."""

    outcome: Outcome
    message: str = ""  # FAILED: Kafinea's reason; STOPPED: why delivery waits


class WorkerBusy(Exception):
    """Another process already delivers this till's outbox."""


@contextmanager
def worker_lock(path: Path) -> Iterator[None]:
    """Exclusive, non-blocking lock file; raises `WorkerBusy` when someone holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkerBusy(
                f"une autre synchronisation tourne déjà pour cette caisse ({path})"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def backoff_delay(attempts: int, rng: random.Random, base: float = 1.0, cap: float = 60.0) -> float:
    """Seconds before the next try after `attempts` failures: exponential, capped, jittered."""
    return min(cap, base * (1 << max(0, attempts - 1))) * rng.uniform(0.5, 1.0)


def _utc_text(clock: Callable[[], float]) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock()))


class SyncWorker:
    """Performs `next_step`'s steps for the head of the queue until it is empty or stuck."""

    def __init__(
        self,
        *,
        client: KafineaClient,
        queue: Queue,
        context: Callable[[], Context | None],
        targets: Targets | Callable[[], Targets] | None = None,
        on_state: Callable[[SyncState], None] | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        idle_poll_s: float = 30.0,
    ) -> None:
        self._client = client
        self._queue = queue
        self._context = context
        self._targets = targets or Targets()  # or a callable: read at each pass
        self._on_state = on_state
        self._clock = clock
        self._rng = rng or random.Random()
        self._base = backoff_base
        self._cap = backoff_cap
        self._idle_poll_s = idle_poll_s
        self._state = SyncState()
        self._pass_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- status -----------------------------------------------------------------------------

    @property
    def state(self) -> SyncState:
        return self._state

    def on_state(self, callback: Callable[[SyncState], None]) -> None:
        """Call `callback` after every change of state (on the worker's thread)."""
        self._on_state = callback

    def _publish(self, **changes: Any) -> None:
        new = replace(
            self._state,
            pending=self._queue.pending_count(),
            failed=self._queue.failed_count(),
            **changes,
        )
        if new != self._state:
            if new.last_error and new.last_error != self._state.last_error:
                log.warning("sync: %s", new.last_error)  # transitions only, not every retry
            elif self._state.last_error and not new.last_error:
                log.info("sync: recovered")
            self._state = new
            if self._on_state is not None:
                self._on_state(new)

    # -- one pass ---------------------------------------------------------------------------

    def run_once(self, *, ignore_backoff: bool = False) -> PassResult:
        """Deliver rows from the head until the queue is empty or a transient error stops it.

        `ignore_backoff` (manual "sync now", `appliance sync --once`) tries the head at once.
        Passes never overlap: a manual pass waits for the background one (same process).
        """
        with self._pass_lock:
            return self._run_once(ignore_backoff)

    def _run_once(self, ignore_backoff: bool) -> PassResult:
        delivered = failed = 0
        ctx = self._context()
        if ctx is None:
            message = "caisse inconnue : mettez à jour le catalogue (enregistrement de caisse)"
            self._publish(last_error=message)
            return PassResult(0, 0, message)
        while not self._stop.is_set():
            row = self._queue.head()
            if row is None:
                self._publish()
                break
            if not ignore_backoff and row.next_attempt_at > self._clock():
                return PassResult(delivered, failed, "en attente avant nouvel essai")
            delivery = self._deliver(row, ctx)
            if delivery.outcome is Outcome.DONE:
                delivered += 1
            elif delivery.outcome is Outcome.FAILED:
                failed += 1
            else:
                return PassResult(delivered, failed, delivery.message)
        return PassResult(delivered, failed)

    def _current_targets(self) -> Targets:
        return self._targets() if callable(self._targets) else self._targets

    def _deliver(self, row: Row, ctx: Context) -> Delivery:
        """Steps for one row until done, failed, or stopped by a transient error."""
        targets = self._current_targets()
        doc = _document(row)
        progress: dict[str, Any] = dict(row.progress)
        origin = self._origin_invoice(doc)
        try:
            while True:
                step = next_step(doc, progress, ctx, targets, origin)
                if isinstance(step, Done):
                    self._queue.mark_done(row.id, progress, self._now())
                    self._publish(last_error="", last_success_at=self._now(), reachable=True)
                    return Delivery(Outcome.DONE)
                if isinstance(step, Fail):
                    return self._fail(row, step.reason)
                progress = self._perform(row, step, progress)
        except TRANSIENT as error:
            return self._defer(row, error)
        except ApiError as error:
            return self._fail(row, f"{error.code} : {error.message}")
        except (ValueError, KeyError, TypeError, VtqlError) as error:
            return self._fail(row, f"document illisible pour Kafinea : {error}")

    def _perform(self, row: Row, step: Step, progress: dict[str, Any]) -> dict[str, Any]:
        """Run one step against Kafinea and return the new progress.

        Only intents are written here, always before their request leaves; an answer reaches
        the disk with the next intent or with `mark_done` (one fsync per request, not two).
        An answer lost in a crash costs a lookup by reference, never a duplicate.
        """
        answer: Mapping[str, Any] | None
        if isinstance(step, Lookup):
            answer = self._lookup(step)
        elif isinstance(step, Retrieve):
            answer = self._client.retrieve(step.record_id)
        elif isinstance(step, Create):
            self._queue.save_progress(
                row.id, intent(progress, step, row.attempts + 1), self._now()
            )
            answer = self._client.create(step.module, step.element)
        else:
            assert isinstance(step, Revise)
            if step.guarded:
                self._queue.save_progress(
                    row.id, intent(progress, step, row.attempts + 1), self._now()
                )
            answer = self._client.revise(step.element)
        updated = record(progress, step, answer)
        self._publish(reachable=True)
        return updated

    def _lookup(self, step: Lookup) -> Mapping[str, Any] | None:
        condition = (
            cond(step.field, "LIKE", step.value + "%")
            if step.like
            else cond(step.field, "=", step.value)
        )
        query = select(step.module, *step.fields).where(condition).order_by("id").limit(1)
        rows = self._client.query(query)
        return rows[0] if rows else None

    def _origin_invoice(self, doc: Document) -> str | None:
        """The original ticket's invoice id when our own outbox delivered it."""
        if not doc.origin_ref:
            return None
        origin = self._queue.by_ref(doc.origin_ref)
        if origin is None:
            return None
        entry = origin.progress.get("invoice")  # credit notes only refer to invoices
        return entry.get("id") if isinstance(entry, Mapping) else None

    def _defer(self, row: Row, error: KafineaError) -> Delivery:
        delay = backoff_delay(row.attempts + 1, self._rng, self._base, self._cap)
        message = describe(error)
        self._queue.defer(
            row.id, error=message, next_attempt_at=self._clock() + delay, at=self._now()
        )
        self._publish(last_error=message, reachable=not isinstance(error, UNREACHABLE))
        return Delivery(Outcome.STOPPED, message)

    def _fail(self, row: Row, reason: str) -> Delivery:
        log.error("sync: %s refused for good: %s", row.ref, reason)
        self._queue.mark_failed(row.id, reason=reason, at=self._now())
        self._publish(last_error=f"{row.ref} refusé : {reason}")
        return Delivery(Outcome.FAILED, reason)

    def _now(self) -> str:
        return _utc_text(self._clock)

    # -- background thread --------------------------------------------------------------------

    def start(self) -> None:
        """Run passes on a daemon thread until `stop()`; `wake()` starts one at once."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="kafinea-sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            manual = self._wake.is_set()
            self._wake.clear()
            pause = self._idle_poll_s
            try:
                self.run_once(ignore_backoff=manual)
                pause = self._sleep_time()
            except Exception as error:  # the worker's top loop: log, record, carry on
                log.exception("sync pass crashed")
                self._state = replace(
                    self._state, last_error=f"erreur interne de synchronisation : {error}"
                )  # not through _publish: the queue itself may be what failed
                if self._on_state is not None:
                    self._on_state(self._state)
            self._wake.wait(pause)

    def _sleep_time(self) -> float:
        with self._pass_lock:  # the queue's connection is used by one pass at a time
            head = self._queue.head()
        if head is None:
            return self._idle_poll_s
        return max(0.05, min(self._idle_poll_s, head.next_attempt_at - self._clock()))


def _document(row: Row) -> Document:
    data = row.payload
    return Document(
        kind=str(getattr(row.kind, "value", row.kind)),
        ref=row.ref,
        payload=data["payload"],
        date=data["date"],
        journal_seq=data.get("journal_seq"),
        journal_hash=data.get("journal_hash", ""),
        number=data.get("number", 0),
        origin_ref=data.get("origin_ref", ""),
    )

