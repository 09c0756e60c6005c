"""Write the configuration back as TOML, and the access key into its own 0600 file.

Both writes are atomic (a temporary file, fsynced, renamed), and the TOML text is validated
again before it replaces the old file, so a wizard can never leave a configuration that the
next boot would refuse.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from appliance.config.model import Config, ConfigError, KafineaConfig
from appliance.config.parse import NAME_PATTERN, parse_config
from appliance.devices.connection import DrawerAddress, PrinterAddress


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        text = str(value)
        escaped = (
            text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        )
        escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(type(value))


def _toml_key(key: str) -> str:
    return key if NAME_PATTERN.match(key) else _toml_value(key)


def config_to_toml(config: Config) -> str:
    """The TOML text of `config` (only non-default values; the key itself only if inline)."""
    lines = [f"data_dir = {_toml_value(config.data_dir)}"]

    def table(name: str, values: dict[str, Any]) -> None:
        kept = {k: v for k, v in values.items() if v is not None and v not in ((), {})}
        if kept:
            lines.append("")
            lines.append(f"[{name}]")
            lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in kept.items())

    k = config.kafinea
    if k is not None:
        values: dict[str, Any] = {"url": k.url, "username": k.username, "register": k.register}
        if k._inline_key is not None:
            values["access_key"] = k._inline_key
        else:
            values["access_key_file"] = k.access_key_file
        values["timeout_s"] = k.timeout_s
        table("kafinea", values)
        table("kafinea.modules", dict(k.modules))
        for role, names in k.fields.items():
            table(f"kafinea.fields.{_toml_key(role)}", dict(names))
    for name, section in (
        ("register", config.register),
        ("printer", config.printer),
        ("drawer", config.drawer),
        ("scanner", config.scanner),
        ("keypad", config.keypad),
        ("ui", config.ui),
        ("shop", config.shop),
    ):
        values = {
            f.name: getattr(section, f.name)
            for f in dataclasses.fields(section)
            if getattr(section, f.name) != f.default
        }
        values = {
            k2: (str(v) if isinstance(v, PrinterAddress | DrawerAddress) else v)
            for k2, v in values.items()
        }
        table(name, values)
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str, mode: int) -> None:
    """Replace `path` with `text` in one rename: a reader sees the old file or the new one,
    never half of it, and the mode is set before the first byte (a key file is never 0644)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_access_key(path: str | os.PathLike[str], key: str) -> Path:
    """Store the access key in its own file, mode 0600 from the first byte (atomic rename)."""
    target = Path(path)
    if not key.strip() or "\n" in key.strip():
        raise ConfigError(f"{target}: clé d'accès : attendu une seule ligne, non vide")
    write_atomic(target, key.strip() + "\n", 0o600)
    return target


def write_config(config: Config, path: str | os.PathLike[str]) -> Path:
    """Write `config` as TOML (atomically; 0600 when it holds the key inline, else 0644).

    The text is re-validated before it replaces the old file, so a wizard can never leave a
    configuration the next boot would refuse.
    """
    target = Path(path)
    text = config_to_toml(config)
    parse_config(tomllib.loads(text), target)
    inline = config.kafinea is not None and config.kafinea._inline_key is not None
    write_atomic(target, text, 0o600 if inline else 0o644)
    return target


def with_access_key_file(kafinea: KafineaConfig, key_file: Path) -> KafineaConfig:
    """The same Kafinea settings, pointing at a key file instead of an inline key."""
    return dataclasses.replace(kafinea, access_key_file=key_file, _inline_key=None, _source=None)
