"""What several UI test modules build the same way."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from appliance.config import load_config
from appliance.till import Till, build_till


@contextmanager
def selling_kiosk(
    config: Path, *, language: str = "fr", prepare: Callable[[Till], None] = lambda _till: None
) -> Iterator[Any]:
    """A kiosk window on the sale screen of a Till built from `config` (catalogue pulled,
    session open, then `prepare`), driven by `tests.ui.kivy_driver.Driver`."""
    # Kivy opens its window on import: only once the display is known to exist.
    from appliance.ui.app import KioskApp, StartPlan  # noqa: PLC0415
    from appliance.ui.i18n import tr  # noqa: PLC0415
    from tests.ui.kivy_driver import Driver  # noqa: PLC0415

    till = build_till(load_config(config))
    till.refresh_catalog()
    till.open_session(5000)
    prepare(till)
    driver = Driver(KioskApp(StartPlan(till=till, language=language)))
    driver.wait_for(lambda: driver.screen().name == "sale", what="sale screen")
    try:
        yield driver
    finally:
        tr.switch("fr")  # one translator per process: back to the source language
        driver.close()
        till.close()
