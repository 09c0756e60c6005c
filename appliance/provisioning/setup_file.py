"""`appliance-setup.toml`, the technician's file on the boot partition: read and validated.

Pure: text in, a `SetupFile` out. Every section is checked and every problem collected, one
French sentence each naming the file and the key, so the technician fixes them all at once;
nothing is decided about the till here (`plan` turns the file into the files to write).
"""

from __future__ import annotations

import base64
import binascii
import re
import tomllib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.config import ConfigError, parse_config

SETUP_FILE_NAME = "appliance-setup.toml"
APPLIED_FILE_NAME = "appliance-setup.applied.toml"
INSTANCE_BASE = "https://apps.kafinea.com/"

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
        values = [
            self.kafinea.access_key if self.kafinea else None,
            self.wifi.psk if self.wifi else None,
        ]
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
            self.problem(name, f"une table est attendue ([{name}])")
            return None
        self.unknown_keys(value, name)
        return value

    def unknown_keys(self, data: dict[str, Any], name: str) -> None:
        known = _KNOWN.get(name)
        if known is None:
            return
        for key in sorted(set(data) - known):
            where = f"{name}.{key}" if name else key
            self.problem(where, "clé inconnue (vérifiez l'orthographe)")

    def text(self, data: dict[str, Any], table: str, key: str, expected: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{table}.{key}", f"attendu : {expected}")
            return None
        return value.strip()


def parse_setup(text: str, source: Path) -> SetupFile:
    """Validate the whole file (pure); raise SetupError listing every problem found."""
    reader = _Reader(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SetupError([f"{source.name}: TOML invalide ({exc})"]) from None
    reader.unknown_keys(data, "")
    schema = data.get("schema", 1)
    if schema != 1:
        reader.problem("schema", "cette caisse ne comprend que schema = 1")
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
        raise SetupError([f"{source.name}: rien à appliquer (aucune section connue remplie)"])
    return setup


def _kafinea(reader: _Reader, data: dict[str, Any]) -> KafineaSetup | None:
    table = reader.table(data, "kafinea")
    if table is None:
        return None
    address = _instance_address(reader, table)
    email = reader.text(table, "kafinea", "email", "l'e-mail de l'utilisateur technique")
    if email is None:
        reader.problem("kafinea.email", "manquant (l'e-mail de l'utilisateur technique)")
    elif not _EMAIL.match(email):
        reader.problem("kafinea.email", "une adresse e-mail est attendue")
    register = _register_name(reader, table)
    key = _access_key(reader, table)
    if address is None or email is None or register is None:
        return None
    return KafineaSetup(url=expand_instance(address), email=email, register=register,
                        access_key=key)


def _instance_address(reader: _Reader, table: dict[str, Any]) -> str | None:
    """Exactly one of `instance` (kfn123456789) or `url`."""
    instance = reader.text(table, "kafinea", "instance",
                           "un identifiant d'instance comme kfn123456789")
    url = reader.text(table, "kafinea", "url", "une adresse https://")
    if (instance is None) == (url is None):
        reader.problem("kafinea", "donnez soit instance (kfn123456789), soit url, pas les deux")
        return None
    if instance is not None and not _INSTANCE_ID.match(instance):
        reader.problem("kafinea.instance", "un identifiant d'instance comme kfn123456789 est"
                       " attendu (ou donnez url = \"https://...\" à la place)")
        return None
    return url or instance


def _register_name(reader: _Reader, table: dict[str, Any]) -> str | None:
    register = table.get("register")
    if isinstance(register, int) and not isinstance(register, bool):
        register = str(register)
    if not isinstance(register, str) or not register.strip():
        reader.problem("kafinea.register", "manquant (le nom ou le numéro de la caisse dans"
                       " Kafinea)")
        return None
    return register.strip()


def _access_key(reader: _Reader, table: dict[str, Any]) -> str | None:
    key = table.get("access_key")
    if key is None:
        return None
    if not isinstance(key, str) or not key.strip() or any(c.isspace() for c in key.strip()):
        reader.problem("kafinea.access_key", "la clé d'accès est attendue, un seul mot sans"
                       " espace")
        return None
    return key.strip()


def _wifi(reader: _Reader, data: dict[str, Any]) -> WifiSetup | None:
    table = reader.table(data, "wifi")
    if table is None:
        return None
    ssid = table.get("ssid")
    if not isinstance(ssid, str) or not 1 <= len(ssid.encode("utf-8")) <= 32:
        reader.problem("wifi.ssid", "le nom du réseau est attendu (1 à 32 octets)")
        ssid = None
    elif any(ord(c) < 32 for c in ssid):
        reader.problem("wifi.ssid", "les caractères de contrôle sont interdits")
        ssid = None
    psk = table.get("psk")
    if psk is not None:
        valid = isinstance(psk, str) and (
            (8 <= len(psk) <= 63 and all(32 <= ord(c) < 127 for c in psk)) or _HEX64.match(psk)
        )
        if not valid:
            reader.problem("wifi.psk", "8 à 63 caractères ASCII imprimables attendus (ou 64"
                           " chiffres hexadécimaux) ; omettez-la pour un réseau ouvert")
            psk = None
    hidden = table.get("hidden", False)
    if not isinstance(hidden, bool):
        reader.problem("wifi.hidden", "true ou false attendu")
        hidden = False
    if ssid is None:
        return None
    return WifiSetup(ssid=ssid, psk=psk, hidden=hidden)


def _device_table(reader: _Reader, data: dict[str, Any], name: str) -> dict[str, Any] | None:
    """[printer] and [drawer] take the configuration file's own keys; config validates."""
    table = reader.table(data, name)
    if table is None:
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
        reader.problem("display.rotation", "0, 90, 180 ou 270 attendu")
        return None
    return int(value)


def _timezone(reader: _Reader, data: dict[str, Any]) -> str | None:
    table = reader.table(data, "system")
    if table is None:
        return None
    name = reader.text(table, "system", "timezone", "un fuseau horaire comme Europe/Paris")
    if name is None:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        reader.problem("system.timezone", f"fuseau horaire inconnu {name!r} (ex. Europe/Paris)")
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
        reader.problem("support.ssh_keys", "une liste de clés publiques est attendue"
                       " (\"ssh-ed25519 ...\")")
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
        return "une seule ligne de clé publique est attendue"
    parts = key.split()
    if len(parts) < 2 or parts[0] not in _SSH_KEY_TYPES:
        return ("une clé publique comme \"ssh-ed25519 AAAA... nom\" est attendue (le fichier"
                " .pub)")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return "la partie base64 de la clé est abîmée"
    name = parts[0].encode()
    if blob[:4] != len(name).to_bytes(4, "big") or blob[4 : 4 + len(name)] != name:
        return ("les données de la clé ne correspondent pas à son type (copiez la ligne .pub"
                " telle quelle)")
    return None
