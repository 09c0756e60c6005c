"""The kiosk's screens, by name."""

from __future__ import annotations

from appliance.ui.screens.base import KioskScreen
from appliance.ui.screens.login import LoginScreen
from appliance.ui.screens.manager import ManagerScreen
from appliance.ui.screens.payment import PaymentScreen
from appliance.ui.screens.sale import SaleScreen
from appliance.ui.screens.session import CashMoveScreen, ClosingScreen, FloatScreen, TicketsScreen
from appliance.ui.screens.wizard import WizardScreen

SCREENS: dict[str, tuple[type[KioskScreen], str]] = {
    "sale": (SaleScreen, "sale.kv"),
    "payment": (PaymentScreen, "payment.kv"),
    "float": (FloatScreen, "session.kv"),
    "cash": (CashMoveScreen, "session.kv"),
    "closing": (ClosingScreen, "session.kv"),
    "tickets": (TicketsScreen, "session.kv"),
    "manager": (ManagerScreen, "manager.kv"),
    "login": (LoginScreen, "login.kv"),
    "wizard": (WizardScreen, "wizard.kv"),
}
"""Screen name -> (class, its `.kv` file). The app parses a `.kv` file and builds a screen
the first time the screen is shown: parsing every rule up front cost a second of start-up."""
