"""A language switch after the widgets of a kv rule were freed (a closed dialog, an earlier
kiosk in the same process) skips their dead bindings instead of raising ReferenceError."""

import gc
import weakref

from appliance.ui.i18n import Translator


class Widget:
    text = ""


def test_switch_drops_bindings_whose_widget_is_gone():
    translator = Translator()
    alive, gone = Widget(), Widget()
    proxy = weakref.proxy(gone)

    def rule(target, *_args):
        target.text = translator._("Payer")

    translator.fbind("_", rule, proxy)
    translator.fbind("_", rule, alive)
    del gone
    gc.collect()
    translator.switch("en")
    assert alive.text == "Pay"
    assert len(translator._observers) == 1
    translator.switch("fr")
    assert alive.text == "Payer"
