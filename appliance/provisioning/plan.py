"""What applying a setup file changes on the till: the files, their modes and owners (pure).

`plan_changes` turns a validated `SetupFile` and the configuration in place into a list of
`FileChange`s; nothing is written here (`files.apply_placed` does that, all or nothing). The
configuration it plans is parsed again before it is accepted, so a plan never holds a file
that the next boot would refuse.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from appliance.config import Config, ConfigError, config_to_toml, parse_config
from appliance.provisioning.setup_file import SETUP_FILE_NAME, SetupError, SetupFile, WifiSetup

SERVICE_USER = "appliance"

# Device paths (relative to the root being provisioned).
CONFIG_PATH = PurePosixPath("/etc/appliance/appliance.toml")
KEY_PATH = PurePosixPath("/etc/appliance/kafinea.key")
DISPLAY_ENV_PATH = PurePosixPath("/etc/appliance/display.env")
LOCALTIME_PATH = PurePosixPath("/etc/appliance/localtime")
WIFI_PATH = PurePosixPath("/etc/NetworkManager/system-connections/appliance-wifi.nmconnection")
AUTHORIZED_KEYS_PATH = PurePosixPath("/etc/ssh/appliance/authorized_keys")

_SECRET_KEYS = ("access_key", "psk")


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
    changes, warnings = _config_changes(setup, current_config)
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
            warnings.append(f"{CONFIG_PATH} n'était pas valide : remplacé par ce fichier")
            data = {}
    changes = []
    if setup.kafinea is not None:
        k = setup.kafinea
        if k.access_key is None and "kafinea" not in data:
            raise SetupError([f"{setup.source.name}: kafinea.access_key: manquante (la clé"
                              " d'accès webservice de l'utilisateur technique)"])
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


def scrubbed_text(original: str, setup: SetupFile, applied_at: str) -> str:
    """The technician's file with its secret lines commented out, plus a header saying when."""
    lines = [
        f"# Appliqué par la caisse le {applied_at} ; secrets retirés.",
        "# Pour l'appliquer de nouveau : remettez les secrets et renommez ce fichier"
        f" {SETUP_FILE_NAME}.",
    ]
    secret_line = re.compile(r"^\s*(" + "|".join(_SECRET_KEYS) + r")\s*=")
    for line in original.splitlines():
        match = secret_line.match(line)
        lines.append(f"# {match.group(1)} = (retiré)" if match else line)
    text = "\n".join(lines) + "\n"
    if any(secret in text for secret in setup.secrets()):
        # An unusual layout (inline table, multi-line string): keep only the header then.
        text = "\n".join(lines[:2]) + "\n# (le fichier d'origine mêlait secrets et réglages)\n"
    return text
