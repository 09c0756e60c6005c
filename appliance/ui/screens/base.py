"""What every screen that sells or counts needs: the running app and its Till."""

from __future__ import annotations

from kivy.app import App
from kivy.uix.screenmanager import Screen


class TillScreen(Screen):
    """A screen that forwards taps to the Till; the Till can change after a login or wizard."""

    @property
    def app(self):
        return App.get_running_app()

    @property
    def till(self):
        return self.app.till
