"""The kiosk's screens, by name."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen

from appliance.ui.screens.login import LoginScreen
from appliance.ui.screens.manager import ManagerScreen
from appliance.ui.screens.payment import PaymentScreen
from appliance.ui.screens.sale import SaleScreen
from appliance.ui.screens.session import CashMoveScreen, ClosingScreen, FloatScreen, TicketsScreen
from appliance.ui.screens.wizard import WizardScreen

SCREENS: dict[str, type[Screen]] = {
    "sale": SaleScreen,
    "payment": PaymentScreen,
    "float": FloatScreen,
    "cash": CashMoveScreen,
    "closing": ClosingScreen,
    "tickets": TicketsScreen,
    "manager": ManagerScreen,
    "login": LoginScreen,
    "wizard": WizardScreen,
}
"""Screen name -> class; the app builds each the first time it is shown."""
