"""Every error the device layer raises, under one base.

    DeviceError                 anything a device did wrong; the Till catches only this
    ├── BadConnectionString     a printer or drawer address we cannot read (`connection.py`)
    ├── PrinterUnavailable      cannot open or write: unplugged, switched off, busy, timeout
    │   └── PaperOut            the printer answered its status: no paper
    ├── DrawerError             the drawer kick could not be sent
    └── ScannerLost             a scanner or keypad disappeared (unplugged); rediscovery follows

Messages are French first with the English in brackets where a technician will search for it
(`Resource busy`), because the cashier and the technician read the same line. A failed print is
never retried here: the ticket is already journaled, the Till offers a counted DUPLICATA.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base of every device failure; `str(error)` is the sentence to show."""


class BadConnectionString(DeviceError, ValueError):
    """An address that is not one of the forms of `connection.py`.

    `expected` names what would have been read, alone, so the configuration can say it after
    the file and the key; the message says what is wrong, then the same.
    """

    def __init__(self, problem: str, expected: str) -> None:
        super().__init__(f"{problem} : attendu {expected}")
        self.expected = expected


class PrinterUnavailable(DeviceError):
    """The printer could not be reached or refused the bytes; nothing is retried."""


class PaperOut(PrinterUnavailable):
    """The printer reports no paper (DLE EOT 4), or stopped on paper end (DLE EOT 2)."""


class DrawerError(DeviceError):
    """The drawer kick could not be sent (printer down, serial line absent)."""


class ScannerLost(DeviceError):
    """An input device went away (ENODEV, closed fd); the hub looks for it again."""
