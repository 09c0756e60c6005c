"""Typing on the on-screen keyboard for the login and the wizard, where an upper-case C matters.

The keyboard sends "C" both for its clear key and for the letter C when Maj is on, and
`apply_text_key` takes "C" as "clear": an access key with a capital C (one in four of
Kafinea's 16-character keys) was wiped while it was typed, and the login refused. Maj is a
lock, so while it is on, a "C" is read as the letter; the clear key then types a C (Eff.
removes it). The keyboard sending a distinct value for its clear key is the real fix.
"""

from __future__ import annotations

from appliance.ui.widgets import apply_text_key


def type_key(text: str, key: str, *, shift: bool) -> str:
    """`text` after the keyboard sent `key` with Maj `shift` on or off."""
    if key == "C" and shift:
        return text + key
    return apply_text_key(text, key)
