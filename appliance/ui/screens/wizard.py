"""The setup wizard (first start, or from the technician screen)."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen


class WizardScreen(Screen):
    pass
