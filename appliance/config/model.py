"""The configuration as typed, frozen values: what every other module reads.

Every table is optional except what the till cannot guess; defaults are the ones a French shop
with a USB printer would pick. The Kafinea access key is a secret: it lives in a separate 0600
file (or inline in a 0600 configuration file), is read only when `Config.access_key()` is
called, and never appears in `repr`, messages or logs.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

from appliance.devices.connection import (
    DrawerAddress,
    NoConnection,
    PrinterAddress,
    ThroughPrinter,
)

DEFAULT_CONFIG_PATH = Path("/etc/appliance/appliance.toml")
DEFAULT_DATA_DIR = Path("/var/lib/appliance")
CONFIG_ENV = "APPLIANCE_CONFIG"
ONE_KEY_EXPECTED = "access_key_file ou access_key, l'un des deux exactement"
KEY_FILE = "fichier de clé d'accès"


class ConfigError(Exception):
    """A configuration problem, phrased as one line for a technician (never holds a secret)."""


@dataclass(frozen=True)
class KafineaConfig:
    """How to reach the shop's Kafinea instance (the register's technical user)."""

    url: str
    username: str
    register: str
    access_key_file: Path | None = None
    timeout_s: float = 10.0
    modules: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    _inline_key: str | None = field(default=None, repr=False, compare=False)
    _source: Path | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.access_key_file is None) == (self._inline_key is None):
            raise ConfigError(f"[kafinea]: attendu {ONE_KEY_EXPECTED}")

    @property
    def webservice_url(self) -> str:
        """The endpoint: the instance base with `webservice.php` appended."""
        return self.url.rstrip("/") + "/webservice.php"

    def access_key(self) -> str:
        """Read the secret now (lazily, so commands that never log in never touch it)."""
        if self._inline_key is not None:
            if self._source is not None:
                _require_private(self._source, "fichier de configuration contenant access_key")
            return self._inline_key
        assert self.access_key_file is not None
        path = self.access_key_file
        try:
            _require_private(path, KEY_FILE)
            key = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise ConfigError(f"{path}: {KEY_FILE} introuvable") from None
        except PermissionError:
            raise ConfigError(f"{path}: {KEY_FILE} illisible pour cet utilisateur") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: {KEY_FILE} : attendu du texte") from None
        if not key:
            raise ConfigError(f"{path}: {KEY_FILE} vide : attendu la clé d'accès webservice")
        return key


@dataclass(frozen=True)
class RegisterConfig:
    """Local values that win over the Kafinea register record (None = take Kafinea's)."""

    default_account: str | None = None
    payment_methods: tuple[str, ...] | None = None
    rounding_cents: int | None = None
    display: str | None = None  # "ttc" | "ht"
    decimals: int | None = None
    sellers: tuple[str, ...] | None = None
    manager_pin: str | None = field(default=None, repr=False)
    training_allowed: bool = True


@dataclass(frozen=True)
class PrinterConfig:
    connection: PrinterAddress = NoConnection()  # noqa: RUF009 - frozen: safe to share
    profile: str | None = None
    columns: int = 48
    codepage: str = "CP858"


@dataclass(frozen=True)
class DrawerConfig:
    connection: DrawerAddress = ThroughPrinter()  # noqa: RUF009 - frozen: safe to share
    pin: int = 2
    pulse_on_ms: int = 50
    pulse_off_ms: int = 500


@dataclass(frozen=True)
class ScannerConfig:
    devices: tuple[str, ...] = ()
    layout: str = "us"
    prefix: str = ""
    suffix: str = "enter"


@dataclass(frozen=True)
class KeypadConfig:
    devices: tuple[str, ...] = ()
    layout: str = "us"


@dataclass(frozen=True)
class UIConfig:
    language: str = "fr"
    fullscreen: bool = True


@dataclass(frozen=True)
class ShopConfig:
    """Receipt header identity; empty values are taken from the Kafinea register record."""

    trade_name: str | None = None
    company_name: str | None = None
    address_lines: tuple[str, ...] = ()
    siret: str | None = None
    vat_number: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Config:
    data_dir: Path = DEFAULT_DATA_DIR
    kafinea: KafineaConfig | None = None
    register: RegisterConfig = RegisterConfig()
    printer: PrinterConfig = PrinterConfig()
    drawer: DrawerConfig = DrawerConfig()
    scanner: ScannerConfig = ScannerConfig()
    keypad: KeypadConfig = KeypadConfig()
    ui: UIConfig = UIConfig()
    shop: ShopConfig = ShopConfig()
    path: Path | None = field(default=None, compare=False)

    def access_key(self) -> str:
        if self.kafinea is None:
            raise ConfigError(f"{self.path or 'configuration'}: [kafinea]: table absente")
        return self.kafinea.access_key()


def _require_private(path: Path, what: str) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} introuvable") from None
    if mode & 0o077:
        raise ConfigError(
            f"{path}: {what} en mode {mode:04o} : attendu lisible par son seul propriétaire"
            f" (chmod 600 {path})"
        )
