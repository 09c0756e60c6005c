"""What `appliance run` starts the kiosk with: the wizard, the login, or the sale.

Imported by `run` once the Kivy environment is set (the kiosk's screens import Kivy, which
reads its environment when first imported).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from appliance.config import DEFAULT_DATA_DIR, Config, write_access_key
from appliance.provisioning.login import LoginOutcome, check_key
from appliance.provisioning.status import provisioning_failure
from appliance.provisioning.wizard import WizardBackend, WizardError
from appliance.till import Till, build_till
from appliance.till.bootstrap import cached_register_colours
from appliance.till.inputs import scanner_starter
from appliance.ui.app import StartPlan


def plan_from_config(config: Config | None, path: Path) -> StartPlan:
    """What the kiosk starts with: the wizard, the login (key not stored) or the sale."""
    data_dir = config.data_dir if config is not None else DEFAULT_DATA_DIR
    setup = WizardBackend(path, data_dir, build_till)  # first start, or from the technician
    failure = provisioning_failure(data_dir)
    if config is None or config.kafinea is None:
        return StartPlan(setup=setup, provisioning_failure=failure)
    kafinea = config.kafinea
    common = StartPlan(
        username=kafinea.username,
        register_name=kafinea.register,
        language=config.ui.language,
        setup=setup,
        provisioning_failure=failure,
        start_inputs=scanner_starter(config),
    )
    key_file = kafinea.access_key_file
    if key_file is not None and not key_file.exists():

        def connect(key: str) -> Till:
            refusal = key_refusal(kafinea.url, kafinea.username, key)
            if refusal is not None:
                raise WizardError(refusal)
            write_access_key(key_file, key)
            return build_till(config)

        primary, accent = cached_register_colours(config)  # the login wears them already
        return replace(common, connect=connect, primary_colour=primary, accent_colour=accent)
    till = build_till(config)
    status = till.status()  # after the first refresh: the register's colours, if any
    return replace(
        common, till=till, primary_colour=status.primary_colour, accent_colour=status.accent_colour
    )


def key_refusal(url: str, email: str, key: str) -> str | None:
    """Why Kafinea refuses this key, or None when it accepts it or cannot be reached now
    (offline first: the till sells and the sync worker logs in later)."""
    check = check_key(url, email, key)
    return check.reason if check.outcome is LoginOutcome.REFUSED else None
