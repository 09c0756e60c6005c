"""Screen text in French (the source language) or English, from gettext `.po` catalogues.

Message ids are the French text itself: the cashier's language is the one a developer reads in
the code and the `.kv` files, and a missing English entry falls back to French rather than to
an identifier. The catalogues ship as `.po` files read by a small parser (plain `msgid` /
`msgstr` pairs, which is all we write), so no compile step stands between an edit and the
screen.

`tr` is observable by Kivy's language: `text: tr._("Payer")` in a `.kv` file re-evaluates when
the language changes, which is how the setup wizard switches language live.

A refusal of the Till is translated the same way: its French template is the message id, and
its parameters are filled in afterwards (`error_text`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.event import Observable

from appliance.till import TillError

LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES: tuple[str, ...] = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


def load_po(path: Path) -> dict[str, str]:
    """Parse the `msgid "..."` / `msgstr "..."` pairs of a `.po` file (multi-line strings too).

    Empty translations are left out, so the lookup falls back to the French message id.
    """
    catalogue: dict[str, str] = {}
    key: str | None = None
    current: list[str] = []
    target = ""

    def flush() -> None:
        if key and target == "msgstr" and "".join(current):
            catalogue[key] = "".join(current)

    msgid: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("msgid "):
            flush()
            key, target = None, "msgid"
            msgid = [ast.literal_eval(line[6:])]
            current = msgid
        elif line.startswith("msgstr "):
            key, target = "".join(msgid), "msgstr"
            current = [ast.literal_eval(line[7:])]
        elif line.startswith('"'):
            current.append(ast.literal_eval(line))
    flush()
    return catalogue


Observer = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]  # a kv rule's callback


class Translator(Observable):
    """The `_` of every screen, re-binding the `.kv` rules that use it on a language change."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        super().__init__()
        self._observers: list[Observer] = []
        self._catalogue: dict[str, str] = {}
        self.language = DEFAULT_LANGUAGE
        self.switch(language)

    def _(self, text: str) -> str:
        return self._catalogue.get(text, text)

    def switch(self, language: str) -> None:
        """Load `language`'s catalogue (unknown languages fall back to French) and refresh."""
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        path = LOCALE_DIR / f"{self.language}.po"
        self._catalogue = load_po(path) if path.exists() else {}
        for observer in list(self._observers):
            func, largs, _kwargs = observer
            try:
                func(*largs, None, None)  # Kivy's rule callback: (its args, instance, value)
            except ReferenceError:  # its widget is gone (a closed dialog, an earlier kiosk)
                self._observers.remove(observer)

    # Kivy's language calls fbind("_", ...) for `tr._(...)` in a rule: keep the callback.
    def fbind(self, name: str, func: Callable[..., Any], *largs: Any, **kwargs: Any) -> Any:
        if name == "_":
            self._observers.append((func, largs, kwargs))
            return 0
        return super().fbind(name, func, *largs, **kwargs)

    def funbind(self, name: str, func: Callable[..., Any], *largs: Any, **kwargs: Any) -> None:
        if name == "_":
            key = (func, largs, kwargs)
            if key in self._observers:
                self._observers.remove(key)
            return
        super().funbind(name, func, *largs, **kwargs)


tr = Translator()
"""The process-wide translator: one kiosk, one language at a time."""


def error_text(error: BaseException) -> str:
    """What to tell the cashier about `error` in the screen's language: a Till refusal by its
    template and parameters; any other error (the wizard's, Kafinea's login) as its own text."""
    if isinstance(error, TillError):
        return error.translated(tr._)
    return getattr(error, "message", None) or str(error)
