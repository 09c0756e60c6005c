"""The sync side of the Till: status for the badge, the errors list, retries, listeners.

Home Assistant's coordinator shape: the worker publishes its state; this board combines it
with the outbox counts into the `SyncStatus` the screen shows, and calls the listeners after
every change. It never talks to Kafinea itself.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.kafinea.steps import for_retry
from appliance.kafinea.sync import SyncState, SyncWorker
from appliance.ledger.outbox import Outbox
from appliance.till.views import StatusView, SyncErrorView, SyncStatus

StatusListener = Callable[[StatusView], None]


class SyncBoard:
    def __init__(
        self, outbox: Outbox, worker: SyncWorker | None, on_change: Callable[[], None]
    ) -> None:
        self._outbox = outbox
        self.worker = worker
        self._listeners: list[StatusListener] = []
        self._reachable: bool | None = None
        self._on_change = on_change
        self.on_reachability: Callable[[bool], None] | None = None
        if worker is not None:  # the badge follows the worker, not only the cashier's actions
            worker.on_state(self._worker_changed)

    def _worker_changed(self, state: SyncState) -> None:
        if state.reachable is not None and state.reachable != self._reachable:
            if self._reachable is not None and self.on_reachability is not None:
                self.on_reachability(state.reachable)  # transitions only, as events
            self._reachable = state.reachable
        self._on_change()

    def status(self) -> SyncStatus:
        state = self.worker.state if self.worker is not None else None
        return SyncStatus(
            pending=self._outbox.pending_count(),
            failed=self._outbox.failed_count(),
            last_error=state.last_error if state else "",
            last_success_at=state.last_success_at if state else "",
            reachable=state.reachable if state else None,
        )

    def errors(self) -> tuple[SyncErrorView, ...]:
        return tuple(
            SyncErrorView(row.id, row.ref, row.last_error, row.attempts, row.updated_at)
            for row in self._outbox.failed()
        )

    def retry(self, error_id: int, now: str) -> None:
        row = self._outbox.get(error_id)
        self._outbox.save_progress(row.id, for_retry(row.progress), now)
        self._outbox.retry(error_id, now)
        self.wake()

    def wake(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    def listen(self, listener: StatusListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def notify(self, status: StatusView) -> None:
        for listener in list(self._listeners):
            listener(status)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
