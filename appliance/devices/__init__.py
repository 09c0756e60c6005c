"""Scanners and keypad (evdev), ESC/POS printers, cash drawers and the virtual printer."""
