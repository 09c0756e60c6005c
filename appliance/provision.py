"""Provisioning from `appliance-setup.toml`, the technician's file on the boot partition.

The technician edits one small TOML file (on any computer: the boot partition is FAT) and
drops it on the card; `appliance setup --from FILE` (run by appliance-provision.service at
boot) applies it. Three steps, in this order, so a mistake never leaves a half-set till:

1. **decide** (pure): parse and validate *every* section, collect one clear message per
   problem, and turn the file into a plan: the files, modes and owners to write;
2. **check**: log in to Kafinea with the e-mail and access key when the instance answers
   (a refused key stops everything; an unreachable instance is only a warning, since the
   Wi-Fi this very file configures may be what is missing);
3. **act**: stage every file next to its target (written, fsynced), then rename them all
   into place; only then rewrite the setup file without its secrets under
   `appliance-setup.applied.toml` (the record that it was applied) and remove the original.

Every system-level path is written under `root` (default `/`), so tests apply a file into a
temporary directory. The outcome, good or bad, goes to `<root>/var/lib/appliance/
setup-status.json` where the kiosk and the rescue screen read it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import json
import os
import re
import tomllib
import uuid
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from appliance.config import Config, ConfigError, config_to_toml, parse_config
from appliance.kafinea.client import KafineaClient
from appliance.kafinea.errors import (
    ApiError,
    BadCredentials,
    KafineaError,
    NotSent,
    OutcomeUnknown,
    ProtocolError,
)
from appliance.ledger.journal import register_of, register_refusal

SETUP_FILE_NAME = "appliance-setup.toml"
APPLIED_FILE_NAME = "appliance-setup.applied.toml"
INSTANCE_BASE = "https://apps.kafinea.com/"
SERVICE_USER = "appliance"

# Device paths (relative to the root being provisioned).
CONFIG_PATH = PurePosixPath("/etc/appliance/appliance.toml")
KEY_PATH = PurePosixPath("/etc/appliance/kafinea.key")
DISPLAY_ENV_PATH = PurePosixPath("/etc/appliance/display.env")
LOCALTIME_PATH = PurePosixPath("/etc/appliance/localtime")
WIFI_PATH = PurePosixPath("/etc/NetworkManager/system-connections/appliance-wifi.nmconnection")
AUTHORIZED_KEYS_PATH = PurePosixPath("/etc/ssh/appliance/authorized_keys")
STATUS_PATH = PurePosixPath("/var/lib/appliance/setup-status.json")

_INSTANCE_ID = re.compile(r"^kfn\d{6,12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")
_SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
_SECRET_KEYS = ("access_key", "psk")
_KNOWN = {
    "": {"schema", "kafinea", "wifi", "printer", "drawer", "display", "system", "support"},
    "kafinea": {"instance", "url", "email", "access_key", "register"},
    "wifi": {"ssid", "psk", "hidden"},
    "display": {"rotation"},
    "system": {"timezone"},
    "support": {"ssh_keys"},
}


class SetupError(Exception):
    """The setup file cannot be applied; `problems` holds one sentence per problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


# --------------------------------------------------------------------------- parsed file


@dataclass(frozen=True)
class KafineaSetup:
    url: str
    email: str
    register: str
    access_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class WifiSetup:
    ssid: str
    psk: str | None = field(default=None, repr=False)
    hidden: bool = False


@dataclass(frozen=True)
class SetupFile:
    """What the technician asked for; a section left out keeps the till's current setting."""

    source: Path
    kafinea: KafineaSetup | None = None
    wifi: WifiSetup | None = None
    printer: dict[str, Any] | None = None
    drawer: dict[str, Any] | None = None
    rotation: int | None = None
    timezone: str | None = None
    ssh_keys: tuple[str, ...] | None = None

    def sections(self) -> list[str]:
        names = ("kafinea", "wifi", "printer", "drawer", "rotation", "timezone", "ssh_keys")
        return [name for name in names if getattr(self, name) is not None]

    def secrets(self) -> list[str]:
        values = [self.kafinea.access_key if self.kafinea else None,
                  self.wifi.psk if self.wifi else None]
        return [v for v in values if v]


def expand_instance(value: str) -> str:
    """`kfn123456789` -> `https://apps.kafinea.com/kfn123456789`; a URL is kept as given."""
    value = value.strip()
    if _INSTANCE_ID.match(value):
        return INSTANCE_BASE + value
    return value.rstrip("/")


class _Reader:
    """Collects problems instead of stopping at the first, so the technician fixes all at once."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{self.source.name}: {where}: {text}")

    def table(self, data: dict[str, Any], name: str) -> dict[str, Any] | None:
        value = data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(name, "expected a table ([" + name + "])")
            return None
        self.unknown_keys(value, name)
        return value

    def unknown_keys(self, data: dict[str, Any], name: str) -> None:
        known = _KNOWN.get(name)
        if known is None:
            return
        for key in sorted(set(data) - known):
            where = f"{name}.{key}" if name else key
            self.problem(where, "unknown key (check the spelling)")

    def text(self, data: dict[str, Any], table: str, key: str, expected: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{table}.{key}", f"expected {expected}")
            return None
        return value.strip()


def parse_setup(text: str, source: Path) -> SetupFile:
    """Validate the whole file (pure); raise SetupError listing every problem found."""
    reader = _Reader(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SetupError([f"{source.name}: not valid TOML ({exc})"]) from None
    reader.unknown_keys(data, "")
    schema = data.get("schema", 1)
    if schema != 1:
        reader.problem("schema", "this till understands schema = 1 only")
    setup = SetupFile(
        source=source,
        kafinea=_kafinea(reader, data),
        wifi=_wifi(reader, data),
        printer=_device_table(reader, data, "printer"),
        drawer=_device_table(reader, data, "drawer"),
        rotation=_rotation(reader, data),
        timezone=_timezone(reader, data),
        ssh_keys=_ssh_keys(reader, data),
    )
    if reader.problems:
        raise SetupError(reader.problems)
    if not setup.sections():
        raise SetupError([f"{source.name}: nothing to apply (no known section filled in)"])
    return setup


def _kafinea(reader: _Reader, data: dict[str, Any]) -> KafineaSetup | None:
    table = reader.table(data, "kafinea")
    if table is None:
        return None
    instance = reader.text(table, "kafinea", "instance", "an instance id such as kfn123456789")
    url = reader.text(table, "kafinea", "url", "an https:// URL")
    address = url or instance
    if (instance is None) == (url is None):
        reader.problem("kafinea", "give exactly one of instance (kfn123456789) or url")
        address = None
    elif instance is not None and not _INSTANCE_ID.match(instance):
        reader.problem("kafinea.instance", "expected an instance id such as kfn123456789"
                       " (or give url = \"https://...\" instead)")
        address = None
    email = reader.text(table, "kafinea", "email", "the technical user's e-mail")
    if email is None:
        reader.problem("kafinea.email", "missing (the technical user's e-mail)")
    elif not _EMAIL.match(email):
        reader.problem("kafinea.email", "expected an e-mail address")
    register = table.get("register")
    if isinstance(register, int) and not isinstance(register, bool):
        register = str(register)
    if not isinstance(register, str) or not register.strip():
        reader.problem("kafinea.register", "missing (the register's name or number in Kafinea)")
    key = table.get("access_key")
    if key is not None and (not isinstance(key, str) or not key.strip()
                            or any(c.isspace() for c in key.strip())):
        reader.problem("kafinea.access_key", "expected the access key, one word without spaces")
        key = None
    if address is None or email is None or not isinstance(register, str) or not register.strip():
        return None
    return KafineaSetup(
        url=expand_instance(address),
        email=email,
        register=register.strip(),
        access_key=key.strip() if isinstance(key, str) else None,
    )


def _wifi(reader: _Reader, data: dict[str, Any]) -> WifiSetup | None:
    table = reader.table(data, "wifi")
    if table is None:
        return None
    ssid = table.get("ssid")
    if not isinstance(ssid, str) or not 1 <= len(ssid.encode("utf-8")) <= 32:
        reader.problem("wifi.ssid", "expected the network name (1 to 32 bytes)")
        ssid = None
    elif any(ord(c) < 32 for c in ssid):
        reader.problem("wifi.ssid", "control characters are not allowed")
        ssid = None
    psk = table.get("psk")
    if psk is not None:
        valid = isinstance(psk, str) and (
            (8 <= len(psk) <= 63 and all(32 <= ord(c) < 127 for c in psk)) or _HEX64.match(psk)
        )
        if not valid:
            reader.problem("wifi.psk", "expected 8 to 63 printable ASCII characters"
                           " (or 64 hexadecimal digits); leave it out for an open network")
            psk = None
    hidden = table.get("hidden", False)
    if not isinstance(hidden, bool):
        reader.problem("wifi.hidden", "expected true or false")
        hidden = False
    if ssid is None:
        return None
    return WifiSetup(ssid=ssid, psk=psk, hidden=hidden)


def _device_table(reader: _Reader, data: dict[str, Any], name: str) -> dict[str, Any] | None:
    """[printer] and [drawer] take the configuration file's own keys; config.py validates."""
    table = data.get(name)
    if table is None:
        return None
    if not isinstance(table, dict):
        reader.problem(name, f"expected a table ([{name}])")
        return None
    try:
        parse_config({name: table}, reader.source)
    except ConfigError as exc:
        reader.problems.append(str(exc).replace(str(reader.source), reader.source.name, 1))
        return None
    return dict(table)


def _rotation(reader: _Reader, data: dict[str, Any]) -> int | None:
    table = reader.table(data, "display")
    if table is None or "rotation" not in table:
        return None
    value = table["rotation"]
    if isinstance(value, bool) or value not in (0, 90, 180, 270):
        reader.problem("display.rotation", "expected 0, 90, 180 or 270")
        return None
    return int(value)


def _timezone(reader: _Reader, data: dict[str, Any]) -> str | None:
    table = reader.table(data, "system")
    if table is None:
        return None
    name = reader.text(table, "system", "timezone", "a time zone such as Europe/Paris")
    if name is None:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        reader.problem("system.timezone", f"unknown time zone {name!r} (e.g. Europe/Paris)")
        return None
    return name


def _ssh_keys(reader: _Reader, data: dict[str, Any]) -> tuple[str, ...] | None:
    table = reader.table(data, "support")
    if table is None or "ssh_keys" not in table:
        return None
    keys = table["ssh_keys"]
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list):
        reader.problem("support.ssh_keys", "expected a list of public keys (\"ssh-ed25519 ...\")")
        return None
    good = []
    for index, key in enumerate(keys, start=1):
        problem = _ssh_key_problem(key)
        if problem:
            reader.problem(f"support.ssh_keys[{index}]", problem)
        else:
            good.append(" ".join(key.split()))
    return tuple(good)


def _ssh_key_problem(key: Any) -> str | None:
    if not isinstance(key, str) or "\n" in key.strip():
        return "expected one public key line"
    parts = key.split()
    if len(parts) < 2 or parts[0] not in _SSH_KEY_TYPES:
        return "expected a public key such as \"ssh-ed25519 AAAA... name\" (the .pub file)"
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return "the key's base64 part is damaged"
    name = parts[0].encode()
    if blob[:4] != len(name).to_bytes(4, "big") or blob[4 : 4 + len(name)] != name:
        return "the key's data does not match its type (copy the .pub line unchanged)"
    return None


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class FileChange:
    """One file to put in place: content (None = remove it), mode, owner name."""

    path: PurePosixPath
    content: bytes | None
    mode: int = 0o644
    owner: str | None = None
    symlink_to: str | None = None

    def __repr__(self) -> str:  # contents may hold secrets
        return f"FileChange({self.path}, mode={self.mode:04o}, owner={self.owner})"


def plan_changes(
    setup: SetupFile, current_config: str | None
) -> tuple[list[FileChange], list[str]]:
    """The files to write (pure) and warnings; raises SetupError when something cannot work."""
    changes: list[FileChange] = []
    warnings: list[str] = []
    config_changes, config_warnings = _config_changes(setup, current_config)
    changes += config_changes
    warnings += config_warnings
    if setup.wifi is not None:
        changes.append(FileChange(WIFI_PATH, nm_keyfile(setup.wifi).encode(), 0o600, "root"))
    if setup.rotation is not None:
        text = (
            "# Written by appliance setup (display.rotation); read by appliance-kiosk.service.\n"
            f"KCFG_GRAPHICS_ROTATION={setup.rotation}\n"
        )
        changes.append(FileChange(DISPLAY_ENV_PATH, text.encode(), 0o644, "root"))
    if setup.timezone is not None:
        changes.append(FileChange(LOCALTIME_PATH, None,
                                  symlink_to=f"/usr/share/zoneinfo/{setup.timezone}"))
    if setup.ssh_keys is not None:
        if setup.ssh_keys:
            text = "".join(key + "\n" for key in setup.ssh_keys)
            changes.append(FileChange(AUTHORIZED_KEYS_PATH, text.encode(), 0o600, "root"))
        else:  # an explicit empty list turns remote support off
            changes.append(FileChange(AUTHORIZED_KEYS_PATH, None))
    return changes, warnings


def _config_changes(
    setup: SetupFile, current_config: str | None
) -> tuple[list[FileChange], list[str]]:
    if setup.kafinea is None and setup.printer is None and setup.drawer is None:
        return [], []
    warnings: list[str] = []
    data: dict[str, Any] = {}
    if current_config is not None:
        try:
            data = tomllib.loads(current_config)
            parse_config(data, Path(str(CONFIG_PATH)))
        except (tomllib.TOMLDecodeError, ConfigError):
            warnings.append(f"{CONFIG_PATH} was not valid: replaced by this setup")
            data = {}
    changes = []
    if setup.kafinea is not None:
        k = setup.kafinea
        if k.access_key is None and "kafinea" not in data:
            raise SetupError([f"{setup.source.name}: kafinea.access_key: missing (the"
                              " technical user's webservice access key)"])
        data["kafinea"] = {
            "url": k.url,
            "username": k.email,
            "register": k.register,
            "access_key_file": str(KEY_PATH),
        }
        if k.access_key is not None:
            changes.append(FileChange(KEY_PATH, (k.access_key + "\n").encode(), 0o600,
                                      SERVICE_USER))
    if setup.printer is not None:
        data["printer"] = setup.printer
    if setup.drawer is not None:
        data["drawer"] = setup.drawer
    try:
        config: Config = parse_config(data, setup.source)
        text = config_to_toml(config)
        parse_config(tomllib.loads(text), Path(str(CONFIG_PATH)))
    except ConfigError as exc:
        raise SetupError([str(exc)]) from None
    changes.insert(0, FileChange(CONFIG_PATH, text.encode(), 0o644, "root"))
    return changes, warnings


def nm_keyfile(wifi: WifiSetup) -> str:
    """A NetworkManager keyfile for the shop's Wi-Fi (GKeyFile syntax, DHCP on both stacks)."""
    lines = [
        "# Written by appliance setup from appliance-setup.toml.",
        "[connection]",
        "id=appliance-wifi",
        f"uuid={uuid.uuid5(uuid.NAMESPACE_URL, 'appliance-wifi:' + wifi.ssid)}",
        "type=wifi",
        "autoconnect=true",
        "",
        "[wifi]",
        "mode=infrastructure",
        f"ssid={_keyfile_escape(wifi.ssid)}",
    ]
    if wifi.hidden:
        lines.append("hidden=true")
    if wifi.psk is not None:
        lines += ["", "[wifi-security]", "key-mgmt=wpa-psk", f"psk={_keyfile_escape(wifi.psk)}"]
    lines += ["", "[ipv4]", "method=auto", "", "[ipv6]", "method=auto", ""]
    return "\n".join(lines)


def _keyfile_escape(value: str) -> str:
    escaped = value.replace("\\", "\\\\")
    if escaped.startswith(" "):
        escaped = "\\s" + escaped[1:]
    return escaped


# --------------------------------------------------------------------------- checking online


def check_login(kafinea: KafineaSetup, key: str, timeout_s: float = 15.0) -> str | None:
    """Log in once: None when it worked, a warning when the instance cannot be reached.

    A refused key, an unknown user or an address that is not a Kafinea instance raise
    SetupError: applying them would only give a till that can never sync.
    """
    try:
        with KafineaClient(kafinea.url, kafinea.email, key, timeout_s=timeout_s) as client:
            client.login()
    except BadCredentials:
        raise SetupError([f"Kafinea refused the e-mail or the access key ({kafinea.email}"
                          f" on {kafinea.url})"]) from None
    except (NotSent, OutcomeUnknown):
        return f"Kafinea ({kafinea.url}) not reachable now: login not checked"
    except ProtocolError:
        raise SetupError([f"{kafinea.url} does not answer like a Kafinea instance"
                          " (check kafinea.instance or kafinea.url)"]) from None
    except ApiError as exc:
        raise SetupError([f"Kafinea refused the login: {exc.code}"]) from None
    except KafineaError as exc:
        raise SetupError([f"Kafinea login failed: {exc}"]) from None
    return None


# --------------------------------------------------------------------------- acting


def _under(root: Path, path: PurePosixPath) -> Path:
    return root / str(path).lstrip("/")


def _owner_ids(root: Path, name: str | None) -> tuple[int, int] | None:
    """uid/gid of `name` in `<root>/etc/passwd`, or None (not root, or no such user there)."""
    if name is None or os.geteuid() != 0:
        return None
    try:
        for line in _under(root, PurePosixPath("/etc/passwd")).read_text().splitlines():
            fields = line.split(":")
            if len(fields) > 3 and fields[0] == name:
                return int(fields[2]), int(fields[3])
    except (OSError, ValueError):
        return None
    return None


def apply_changes(root: Path, changes: list[FileChange]) -> None:
    """Put `changes` in place under `root`, all or nothing staged (see `apply_placed`)."""
    apply_placed([(_under(root, change.path), change) for change in changes], root)


def apply_placed(placed: list[tuple[Path, FileChange]], root: Path) -> None:
    """Stage every file next to its target, then rename all into place.

    A file that cannot be staged (read-only or full disk, a file where a directory should
    be) removes what was staged and raises SetupError: nothing is applied. The renames that
    follow do not fail in practice; a power cut among them leaves the setup file on the boot
    partition, so the next boot applies it again.
    """
    staged: list[tuple[Path, Path | None]] = []
    try:
        for target, change in placed:
            target.parent.mkdir(parents=True, exist_ok=True)
            if change.content is None and change.symlink_to is None:
                staged.append((target, None))
                continue
            temp = target.with_name(f".{target.name}.setup-{os.getpid()}")
            temp.unlink(missing_ok=True)
            if change.symlink_to is not None:
                temp.symlink_to(change.symlink_to)
            else:
                _write_synced(temp, change.content or b"", change.mode)
                ids = _owner_ids(root, change.owner)
                if ids is not None:
                    os.chown(temp, *ids)
            staged.append((target, temp))
    except OSError as exc:
        for _, temp in staged:
            if temp is not None:
                temp.unlink(missing_ok=True)
        raise SetupError([f"cannot write {exc.filename}: {exc.strerror}"]) from None
    for target, temp in staged:
        if temp is None:
            target.unlink(missing_ok=True)
        else:
            os.replace(temp, target)
        _sync_dir(target.parent)


def _write_synced(path: Path, content: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def scrubbed_text(original: str, setup: SetupFile, applied_at: str) -> str:
    """The technician's file with its secret lines commented out, plus a header saying when."""
    lines = [
        f"# Applied by the till on {applied_at}; secrets removed.",
        f"# To apply again: put the secrets back and rename this file to {SETUP_FILE_NAME}.",
    ]
    secret_line = re.compile(r"^\s*(" + "|".join(_SECRET_KEYS) + r")\s*=")
    for line in original.splitlines():
        match = secret_line.match(line)
        lines.append(f"# {match.group(1)} = (removed)" if match else line)
    text = "\n".join(lines) + "\n"
    if any(secret in text for secret in setup.secrets()):
        # An unusual layout (inline table, multi-line string): keep only the header then.
        text = "\n".join(lines[:2]) + "\n# (the original layout held secrets on shared lines)\n"
    return text


def write_status(root: Path, status: dict[str, Any]) -> None:
    path = _under(root, STATUS_PATH)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        temp.unlink(missing_ok=True)
        _write_synced(temp, (json.dumps(status, ensure_ascii=False, indent=1) + "\n").encode(),
                      0o644)
        os.replace(temp, path)
    except OSError:
        pass  # the journal still has the message; a status file must never hide the error


@dataclass(frozen=True)
class Outcome:
    applied: list[str]
    warnings: list[str]
    record: Path


def provision(
    source: Path,
    root: Path = Path("/"),
    *,
    online: bool = True,
    login: Callable[[KafineaSetup, str], str | None] = check_login,
    now: datetime.datetime | None = None,
) -> Outcome:
    """Validate, check, apply, scrub; write the status file either way. Raises SetupError."""
    at = (now or datetime.datetime.now(datetime.UTC)).isoformat(timespec="seconds")
    try:
        outcome = _provision(source, root, online, login, at)
    except SetupError as exc:
        write_status(root, {"ok": False, "message": exc.problems[0], "problems": exc.problems,
                            "source": str(source), "at": at})
        raise
    write_status(root, {"ok": True, "message": "configuration appliquée",
                        "applied": outcome.applied, "warnings": outcome.warnings,
                        "source": str(source), "at": at})
    return outcome


def _provision(
    source: Path,
    root: Path,
    online: bool,
    login: Callable[[KafineaSetup, str], str | None],
    at: str,
) -> Outcome:
    try:
        original = source.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SetupError([f"{source}: file not found"]) from None
    except UnicodeDecodeError:
        raise SetupError([f"{source.name}: not UTF-8 text (save it as UTF-8)"]) from None
    except OSError as exc:
        raise SetupError([f"{source}: cannot read ({exc.strerror})"]) from None
    setup = parse_setup(original, source)
    config_path = _under(root, CONFIG_PATH)
    current = config_path.read_text(encoding="utf-8") if config_path.is_file() else None
    changes, warnings = plan_changes(setup, current)
    if setup.kafinea is not None:
        held = register_of(_under(root, _data_dir(current)))
        refusal = register_refusal(held, setup.kafinea.register)
        if refusal:
            raise SetupError([f"{source.name}: kafinea.register: {refusal}"])
    if online and setup.kafinea is not None:
        key = setup.kafinea.access_key or _current_key(root)
        if key is not None:
            warning = login(setup.kafinea, key)
            if warning:
                warnings.append(warning)
    elif setup.kafinea is not None:
        warnings.append("Kafinea login not checked (--offline)")
    # The record on the boot partition is staged with the rest: a read-only or full boot
    # partition stops everything before any file is replaced.
    record = source.with_name(APPLIED_FILE_NAME)
    scrubbed = FileChange(PurePosixPath("/" + APPLIED_FILE_NAME),
                          scrubbed_text(original, setup, at).encode(), 0o644)
    apply_placed([(_under(root, c.path), c) for c in changes] + [(record, scrubbed)], root)
    source.unlink()
    _sync_dir(source.parent)
    return Outcome(applied=setup.sections(), warnings=warnings, record=record)


def _data_dir(current_config: str | None) -> PurePosixPath:
    """Where the till keeps its journal under the configuration in place."""
    config = Config()  # an unreadable configuration is replaced: the default directory stands
    if current_config is not None:
        with contextlib.suppress(tomllib.TOMLDecodeError, ConfigError):
            config = parse_config(tomllib.loads(current_config), Path(str(CONFIG_PATH)))
    return PurePosixPath(config.data_dir)


def _current_key(root: Path) -> str | None:
    try:
        return _under(root, KEY_PATH).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


__all__ = [
    "APPLIED_FILE_NAME",
    "SETUP_FILE_NAME",
    "FileChange",
    "KafineaSetup",
    "Outcome",
    "SetupError",
    "SetupFile",
    "WifiSetup",
    "apply_changes",
    "apply_placed",
    "check_login",
    "expand_instance",
    "nm_keyfile",
    "parse_setup",
    "plan_changes",
    "provision",
    "scrubbed_text",
]
