"""`appliance setup --from FILE`: apply the technician's setup file, or change nothing.

Three steps, in this order, so a mistake never leaves a half-set till:

1. **decide** (pure, `setup_file` and `plan`): parse and validate *every* section, collect one
   clear message per problem, and turn the file into the files, modes and owners to write;
2. **check** (`login`): log in to Kafinea with the e-mail and access key when the instance
   answers (a refused key stops everything; an unreachable instance is only a warning, since
   the Wi-Fi this very file configures may be what is missing);
3. **act** (`files`): stage every file next to its target, then rename them all into place;
   only then rewrite the setup file without its secrets under `appliance-setup.applied.toml`
   (the record that it was applied) and remove the original.

The outcome, good or bad, goes to `setup-status.json` (`status`), where the kiosk and the
rescue screen read it.
"""

from __future__ import annotations

import contextlib
import datetime
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from appliance.config import Config, ConfigError, parse_config
from appliance.ledger.journal import register_of, register_refusal
from appliance.provisioning.files import apply_placed, sync_dir, under
from appliance.provisioning.login import LoginCheck, LoginOutcome, check_key
from appliance.provisioning.plan import (
    CONFIG_PATH,
    KEY_PATH,
    FileChange,
    plan_changes,
    scrubbed_text,
)
from appliance.provisioning.setup_file import (
    APPLIED_FILE_NAME,
    KafineaSetup,
    SetupError,
    parse_setup,
)
from appliance.provisioning.status import STATUS_PATH, write_status

LoginChecker = Callable[[KafineaSetup, str], LoginCheck]


def check_setup_login(kafinea: KafineaSetup, key: str) -> LoginCheck:
    return check_key(kafinea.url, kafinea.email, key)


@dataclass(frozen=True)
class Outcome:
    applied: list[str]
    warnings: list[str]
    record: Path


def provision(
    source: Path,
    root: Path = Path("/"),
    *,
    login: LoginChecker | None = check_setup_login,
    now: datetime.datetime | None = None,
) -> Outcome:
    """Validate, check (`login` None: offline, not checked), apply, scrub; write the status
    file either way. Raises SetupError."""
    at = (now or datetime.datetime.now(datetime.UTC)).isoformat(timespec="seconds")
    status_file = under(root, STATUS_PATH)
    try:
        outcome = _provision(source, root, login, at)
    except SetupError as exc:
        write_status(status_file, {"ok": False, "message": exc.problems[0],
                                   "problems": exc.problems, "source": str(source), "at": at})
        raise
    write_status(status_file, {"ok": True, "message": "configuration appliquée",
                               "applied": outcome.applied, "warnings": outcome.warnings,
                               "source": str(source), "at": at})
    return outcome


def _provision(source: Path, root: Path, login: LoginChecker | None, at: str) -> Outcome:
    original = _read_source(source)
    setup = parse_setup(original, source)
    config_path = under(root, CONFIG_PATH)
    current = config_path.read_text(encoding="utf-8") if config_path.is_file() else None
    changes, warnings = plan_changes(setup, current)
    if setup.kafinea is not None:
        refusal = register_refusal(register_of(under(root, _data_dir(current))),
                                   setup.kafinea.register)
        if refusal:
            raise SetupError([f"{source.name}: kafinea.register: {refusal}"])
        warnings += _login_warnings(setup.kafinea, root, login)
    # The record on the boot partition is staged with the rest: a read-only or full boot
    # partition stops everything before any file is replaced.
    record = source.with_name(APPLIED_FILE_NAME)
    scrubbed = FileChange(PurePosixPath("/" + APPLIED_FILE_NAME),
                          scrubbed_text(original, setup, at).encode(), 0o644)
    apply_placed([(under(root, c.path), c) for c in changes] + [(record, scrubbed)], root)
    source.unlink()
    sync_dir(source.parent)
    return Outcome(applied=setup.sections(), warnings=warnings, record=record)


def _read_source(source: Path) -> str:
    try:
        return source.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SetupError([f"{source} : fichier introuvable"]) from None
    except UnicodeDecodeError:
        raise SetupError([f"{source.name}: ce n'est pas du texte UTF-8 (enregistrez-le en"
                          " UTF-8)"]) from None
    except OSError as exc:
        raise SetupError([f"{source} : lecture impossible ({exc.strerror})"]) from None


def _login_warnings(kafinea: KafineaSetup, root: Path, login: LoginChecker | None) -> list[str]:
    """A refused login stops everything; an unreachable Kafinea is only a warning."""
    if login is None:
        return ["connexion à Kafinea non vérifiée (--offline)"]
    key = kafinea.access_key or _current_key(root)
    if key is None:
        return []
    check = login(kafinea, key)
    if check.outcome is LoginOutcome.REFUSED:
        raise SetupError([f"{check.reason} ({kafinea.email} sur {kafinea.url})"])
    if check.outcome is LoginOutcome.UNREACHABLE:
        return [f"connexion à Kafinea non vérifiée : {check.reason}"]
    return []


def _data_dir(current_config: str | None) -> PurePosixPath:
    """Where the till keeps its journal under the configuration in place."""
    config = Config()  # an unreadable configuration is replaced: the default directory stands
    if current_config is not None:
        with contextlib.suppress(tomllib.TOMLDecodeError, ConfigError):
            config = parse_config(tomllib.loads(current_config), Path(str(CONFIG_PATH)))
    return PurePosixPath(config.data_dir)


def _current_key(root: Path) -> str | None:
    try:
        return under(root, KEY_PATH).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
