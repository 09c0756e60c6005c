"""The outcome of the last provisioning, in `setup-status.json` under the data directory.

`appliance setup` writes it, good or bad; the kiosk shows a failure as a banner on its first
screen (until it is dismissed, or a newer one comes) and the rescue screen prints its message.
Reading never stops the till from starting: an unreadable file is no failure to show.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from appliance.config import DEFAULT_DATA_DIR, write_atomic

log = logging.getLogger(__name__)

SETUP_STATUS_NAME = "setup-status.json"
SETUP_SEEN_NAME = "setup-status.seen"
STATUS_PATH = PurePosixPath(DEFAULT_DATA_DIR) / SETUP_STATUS_NAME  # under the provisioned root


@dataclass(frozen=True)
class ProvisioningFailure:
    """The last `appliance setup` failed: its first `message`, all its `problems`, when."""

    message: str
    problems: tuple[str, ...]
    at: str
    seen_file: Path

    def dismiss(self) -> None:
        """Remember that this failure was read: it is not shown again (a newer one is)."""
        try:
            self.seen_file.write_text(self.at + "\n", encoding="utf-8")
        except OSError as error:
            log.warning("cannot remember the dismissed setup status: %s", error)


def provisioning_failure(data_dir: Path) -> ProvisioningFailure | None:
    """The failure recorded in `setup-status.json`, unless it succeeded, was dismissed, or
    cannot be read (a status file must never stop the till from starting)."""
    try:
        status = json.loads((data_dir / SETUP_STATUS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict) or status.get("ok") is not False:
        return None
    at = str(status.get("at", ""))
    seen_file = data_dir / SETUP_SEEN_NAME
    try:
        if seen_file.read_text(encoding="utf-8").strip() == at:
            return None
    except OSError:
        pass  # never dismissed
    message = str(status.get("message") or "erreur inconnue")
    problems = status.get("problems")
    if not isinstance(problems, list) or not problems:
        problems = [message]
    return ProvisioningFailure(message, tuple(str(p) for p in problems), at, seen_file)


def write_status(path: Path, status: dict[str, Any]) -> None:
    """Record an outcome; a disk that refuses it is ignored (the service log has the message,
    and a status file must never hide the error it reports)."""
    try:
        write_atomic(path, json.dumps(status, ensure_ascii=False, indent=1) + "\n", 0o644)
    except OSError:
        log.warning("cannot write the provisioning status %s", path)
