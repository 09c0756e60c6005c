"""Read the TOML configuration: validation with one clear sentence per problem.

Why a hand-written validator rather than a schema library: the technician reads the error on a
small screen or a serial console, so every problem must be one sentence naming the file, the
key and what is expected, and never a traceback.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from appliance.config.model import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    DEFAULT_DATA_DIR,
    ONE_KEY_EXPECTED,
    Config,
    ConfigError,
    DrawerConfig,
    KafineaConfig,
    KeypadConfig,
    PrinterConfig,
    RegisterConfig,
    ScannerConfig,
    ShopConfig,
    UIConfig,
)
from appliance.devices.connection import (
    DRAWER_FORMS,
    PRINTER_FORMS,
    parse_drawer_address,
    parse_printer_address,
)
from appliance.devices.errors import BadConnectionString

Address = TypeVar("Address")
Section = TypeVar("Section")
Default = TypeVar("Default")
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SIRET = re.compile(r"^\d{14}$")
_VAT_FR = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,13}$")
_PIN = re.compile(r"^\d{4,8}$")
_LAYOUTS = ("us", "fr")  # keyboard layouts a scanner or keypad may type in
REGISTER_EXPECTED = "le nom ou le numéro de la caisse dans Kafinea"


def _type_name(value: Any) -> str:
    return {
        str: "une chaîne",
        int: "un entier",
        float: "un nombre",
        bool: "true/false",
        list: "une liste",
        dict: "une table",
    }.get(type(value), type(value).__name__)


def _one_of(options: Iterable[str]) -> str:
    """`a, b ou c`: the choices as a French sentence lists them."""
    *first, last = options
    return f"{', '.join(first)} ou {last}" if first else last


class _Table:
    """One TOML table being read: typed getters, then `finish()` rejects leftover keys."""

    def __init__(self, source: Path, name: str, data: Any) -> None:
        self.source = source
        self.name = name
        if not isinstance(data, dict):
            raise self.error(None, "une table", data)
        self.data = dict(data)
        self.seen: set[str] = set()

    def where(self, key: str | None) -> str:
        if key is None:
            return f"[{self.name}]" if self.name else "premier niveau"
        return f"{self.name}.{key}" if self.name else key

    def error(self, key: str | None, expected: str, got: Any = dataclasses.MISSING) -> ConfigError:
        detail = "" if got is dataclasses.MISSING else f", reçu {_type_name(got)}"
        return ConfigError(f"{self.source}: {self.where(key)}: attendu {expected}{detail}")

    def missing(self, key: str, expected: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.where(key)}: attendu {expected} (clé absente)")

    def has(self, key: str) -> bool:
        """Whether the file sets `key` (a key the reader knows, even when absent)."""
        self.seen.add(key)
        return key in self.data

    def raw(self, key: str) -> Any:
        self.seen.add(key)
        return self.data.get(key)

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        choices: Iterable[str] | None = None,
        pattern: re.Pattern[str] | None = None,
        expected: str = "une chaîne non vide",
    ) -> str | None:
        value = self.raw(key)
        options = tuple(choices) if choices is not None else None
        if options:
            expected = _one_of(f'"{c}"' for c in options)
        if value is None:
            if required:
                raise self.missing(key, expected)
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, expected, value)
        if (options is not None and value not in options) or (
            pattern is not None and not pattern.match(value)
        ):
            raise self.error(key, expected)
        return value

    def integer(self, key: str, default: Default, low: int, high: int) -> int | Default:
        value = self.raw(key)
        if value is None:
            return default
        expected = f"un entier de {low} à {high}"
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, expected, value)
        if not low <= value <= high:
            raise self.error(key, expected)  # the value itself is not shown: it may be a PIN
        return value

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.raw(key)
        if value is None:
            return default
        expected = f"un nombre de {low:g} à {high:g}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, expected, value)
        if not low <= value <= high:
            raise self.error(key, expected)
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, "true ou false", value)
        return value

    def strings(self, key: str) -> tuple[str, ...] | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(key, "une liste de chaînes non vides", value)
        return tuple(value)

    def names(self, key: str, depth: int = 1) -> dict[str, Any]:
        """A sub-table of role -> name (depth 2: role -> table of role -> name)."""
        value = self.raw(key)
        if value is None:
            return {}
        sub = _Table(self.source, self.where(key), value)
        result: dict[str, Any] = {}
        for role in list(sub.data):
            if not NAME_PATTERN.match(role):
                raise sub.error(role, "un nom de rôle (lettres, chiffres et _)")
            if depth == 2:
                result[role] = sub.names(role)
            else:
                result[role] = sub.text(
                    role, pattern=NAME_PATTERN, expected="un nom de champ ou de module"
                )
        return result

    def table(self, key: str) -> _Table:
        self.seen.add(key)
        return _Table(self.source, self.where(key), self.data.get(key, {}))

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            raise ConfigError(
                f"{self.source}: {self.where(unknown[0])}: clé inconnue,"
                f" attendu {_one_of(sorted(self.seen))}"
            )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a Kafinea instance's base address, or None when it can."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "adresse https:// attendue, comme https://apps.kafinea.com/kfn123456789"
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return (
            "https:// obligatoire (http:// seulement vers cette machine : 127.0.0.1, ::1,"
            " localhost)"
        )
    if parts.query or parts.fragment or parts.path.endswith("webservice.php"):
        return (
            "adresse de base de l'instance attendue (sans webservice.php, ajouté par la caisse),"
            " sans ? ni #"
        )
    return None


def _parse_url(table: _Table) -> str:
    url = table.text("url", required=True, expected="une adresse https://")
    assert url is not None
    problem = url_problem(url)
    if problem is not None:
        raise ConfigError(f"{table.source}: {table.where('url')}: {problem}")
    return url.rstrip("/")


def _address(
    table: _Table, key: str, parse: Callable[[str], Address], forms: str, default: Address
) -> Address:
    """A printer or drawer address, read with the devices' grammar (`devices.connection`)."""
    value = table.text(key, expected=forms)
    if value is None:
        return default
    try:
        return parse(value)
    except BadConnectionString as error:
        raise table.error(key, error.expected) from None


def _kafinea(table: _Table, base: Path) -> KafineaConfig:
    url = _parse_url(table)
    username = table.text("username", required=True, expected="l'e-mail de l'utilisateur technique")
    register = table.raw("register")
    if isinstance(register, int) and not isinstance(register, bool):
        register = str(register)
    if register is None:
        raise table.missing("register", REGISTER_EXPECTED)
    if not isinstance(register, str) or not register.strip():
        raise table.error("register", REGISTER_EXPECTED, register)
    key_file = table.text("access_key_file", expected="le chemin d'un fichier")
    inline = table.text("access_key", expected="la clé d'accès webservice")
    if (key_file is None) == (inline is None):
        raise table.error(None, ONE_KEY_EXPECTED)
    timeout = table.number("timeout_s", 10.0, 0.5, 300.0)
    modules = table.names("modules")
    fields = table.names("fields", depth=2)
    assert username is not None
    return KafineaConfig(
        url=url,
        username=username,
        register=register,
        access_key_file=_resolve(base, key_file) if key_file else None,
        timeout_s=timeout,
        modules=modules,
        fields=fields,
        _inline_key=inline,
        _source=table.source if inline is not None else None,
    )


def _register(table: _Table) -> RegisterConfig:
    methods = table.strings("payment_methods")
    rounding = table.integer("rounding_cents", RegisterConfig.rounding_cents, 1, 100)
    if rounding is not None and rounding not in (1, 5, 10, 20, 50, 100):
        raise table.error("rounding_cents", "1, 5, 10, 20, 50 ou 100")
    return RegisterConfig(
        default_account=table.text("default_account"),
        payment_methods=methods,
        rounding_cents=rounding,
        display=table.text("display", choices=("ttc", "ht")),
        decimals=table.integer("decimals", RegisterConfig.decimals, 0, 4),
        sellers=table.strings("sellers"),
        manager_pin=table.text(
            "manager_pin", pattern=_PIN, expected="4 à 8 chiffres, entre guillemets"
        ),
        training_allowed=table.boolean("training_allowed", RegisterConfig.training_allowed),
    )


def _printer(table: _Table) -> PrinterConfig:
    return PrinterConfig(
        connection=_address(
            table, "connection", parse_printer_address, PRINTER_FORMS, PrinterConfig.connection
        ),
        profile=table.text("profile"),
        columns=table.integer("columns", PrinterConfig.columns, 24, 80),
        codepage=table.text("codepage") or PrinterConfig.codepage,
    )


def _drawer(table: _Table) -> DrawerConfig:
    pin = table.integer("pin", DrawerConfig.pin, 2, 5)
    if pin not in (2, 5):
        raise table.error("pin", "2 ou 5")
    return DrawerConfig(
        connection=_address(
            table, "connection", parse_drawer_address, DRAWER_FORMS, DrawerConfig.connection
        ),
        pin=pin,
        pulse_on_ms=table.integer("pulse_on_ms", DrawerConfig.pulse_on_ms, 2, 510),
        pulse_off_ms=table.integer("pulse_off_ms", DrawerConfig.pulse_off_ms, 2, 510),
    )


def _scanner(table: _Table) -> ScannerConfig:
    return ScannerConfig(
        devices=table.strings("devices") or ScannerConfig.devices,
        layout=table.text("layout", choices=_LAYOUTS) or ScannerConfig.layout,
        prefix=_plain_text(table, "prefix"),
        suffix=table.text("suffix", choices=("enter", "tab", "none")) or ScannerConfig.suffix,
    )


def _plain_text(table: _Table, key: str) -> str:
    value = table.raw(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise table.error(key, "une chaîne", value)
    return value


def _keypad(table: _Table) -> KeypadConfig:
    return KeypadConfig(
        devices=table.strings("devices") or KeypadConfig.devices,
        layout=table.text("layout", choices=_LAYOUTS) or KeypadConfig.layout,
    )


def _ui(table: _Table) -> UIConfig:
    return UIConfig(
        language=table.text("language", choices=("fr", "en")) or UIConfig.language,
        fullscreen=table.boolean("fullscreen", UIConfig.fullscreen),
    )


def _shop(table: _Table) -> ShopConfig:
    return ShopConfig(
        trade_name=table.text("trade_name"),
        company_name=table.text("company_name"),
        address_lines=table.strings("address_lines") or ShopConfig.address_lines,
        siret=table.text("siret", pattern=_SIRET, expected="14 chiffres, entre guillemets"),
        vat_number=table.text(
            "vat_number", pattern=_VAT_FR, expected="un numéro de TVA comme FR12345678901"
        ),
        phone=table.text("phone"),
    )


def _resolve(base: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else (base / path)


def _section(top: _Table, name: str, read: Callable[[_Table], Section]) -> Section:
    """One optional table, read whole: its reader takes the keys it knows, `finish` refuses
    the others (an absent table reads as empty: every default)."""
    table = top.table(name)
    section = read(table)
    table.finish()
    return section


_SECTIONS: tuple[tuple[str, Callable[[_Table], Any]], ...] = (
    ("register", _register),
    ("printer", _printer),
    ("drawer", _drawer),
    ("scanner", _scanner),
    ("keypad", _keypad),
    ("ui", _ui),
    ("shop", _shop),
)


def parse_config(data: dict[str, Any], source: Path) -> Config:
    """Validate an already-decoded TOML document (relative paths resolve next to `source`)."""
    base = source.parent.resolve()
    top = _Table(source, "", data)
    data_dir = top.text("data_dir", expected="le chemin d'un dossier")
    kafinea = (
        _section(top, "kafinea", lambda table: _kafinea(table, base))
        if top.has("kafinea")
        else None
    )
    sections = {name: _section(top, name, read) for name, read in _SECTIONS}
    top.finish()
    return Config(
        data_dir=_resolve(base, data_dir) if data_dir else DEFAULT_DATA_DIR,
        kafinea=kafinea,
        path=source,
        **sections,
    )


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate one TOML file; any problem is a single-line `ConfigError`."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{source}: fichier de configuration introuvable") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: c'est un dossier, attendu un fichier TOML") from None
    except PermissionError:
        raise ConfigError(
            f"{source}: fichier de configuration illisible pour cet utilisateur"
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: attendu du texte UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: attendu du TOML valide ({exc})") from None
    return parse_config(data, source)


def default_config_path() -> Path:
    """`$APPLIANCE_CONFIG`, else /etc/appliance/appliance.toml."""
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)
