"""The kiosk's screens; `build_all` makes one of each for the screen manager."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen

from appliance.ui.screens.login import LoginScreen
from appliance.ui.screens.manager import ManagerScreen
from appliance.ui.screens.payment import PaymentScreen
from appliance.ui.screens.sale import SaleScreen
from appliance.ui.screens.session import CashMoveScreen, ClosingScreen, FloatScreen, TicketsScreen
from appliance.ui.screens.wizard import WizardScreen


def build_all() -> list[Screen]:
    return [
        SaleScreen(),
        PaymentScreen(),
        FloatScreen(),
        CashMoveScreen(),
        ClosingScreen(),
        TicketsScreen(),
        ManagerScreen(),
        LoginScreen(),
        WizardScreen(),
    ]
