"""The register's colours repaint the theme, and the text on them stays readable."""

import pytest

pytest.importorskip("kivy")

from appliance.ui.theme import Palette, Theme


def test_register_colours_repaint_the_theme_with_readable_text():
    theme = Theme()
    theme.apply_register_colours("#1F5F8B", "#F2C14E")  # the sandbox register's colours
    assert tuple(round(c, 3) for c in theme.primary) == (0.122, 0.373, 0.545, 1.0)
    assert tuple(theme.text_on_primary) == (1.0, 1.0, 1.0, 1.0)  # white on dark blue
    assert tuple(theme.text_on_accent) == (0.08, 0.08, 0.1, 1.0)  # dark on yellow


def test_malformed_colours_keep_the_defaults():
    theme = Theme()
    theme.apply_register_colours("bleu nuit", None)
    assert tuple(theme.primary) == Palette.primary
    assert tuple(theme.accent) == Palette.accent
