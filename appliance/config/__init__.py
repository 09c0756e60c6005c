"""The appliance's one TOML configuration file: typed (`model`), read (`parse`), written back
(`write`). Everything the rest of the appliance uses is importable from here, except the
printer and drawer addresses: those are `appliance.devices.connection` values, read with its
grammar, so the file, the command line and the wizard accept the same forms."""

from appliance.config.model import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    DEFAULT_DATA_DIR,
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
from appliance.config.parse import (
    default_config_path,
    load_config,
    parse_config,
    url_problem,
)
from appliance.config.write import (
    config_to_toml,
    with_access_key_file,
    write_access_key,
    write_atomic,
    write_config,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_DATA_DIR",
    "Config",
    "ConfigError",
    "DrawerConfig",
    "KafineaConfig",
    "KeypadConfig",
    "PrinterConfig",
    "RegisterConfig",
    "ScannerConfig",
    "ShopConfig",
    "UIConfig",
    "config_to_toml",
    "default_config_path",
    "load_config",
    "parse_config",
    "url_problem",
    "with_access_key_file",
    "write_access_key",
    "write_atomic",
    "write_config",
]
