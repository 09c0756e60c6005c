"""Every refusal of the sale domain, as its own class with a French message.

The Till lets these through; the UI shows `str(error)` to the cashier (with a beep) and the
CLI prints it as one line. Callers decide by class, never by message text:

    PosError
    ├── UnknownVatRate        a VAT rate not in the register's table
    ├── InvalidQuantity       zero, negative on a sale, beyond the sane bound
    ├── InvalidPrice          negative or absurd unit price
    ├── DiscountTooLarge      more than 100 %, or more than the amount discounted
    ├── UnknownLine           a line number that is not (or no longer) on the ticket
    ├── TicketStateError      editing a validated ticket, validating an empty one...
    ├── InvalidReference      a return/void that does not match its original ticket
    ├── TenderError
    │   ├── InsufficientTender    not enough paid
    │   └── TenderMismatch        does not balance (overpaid without cash, change > cash...)
    ├── SessionClosed         cash operation on a closed (or not opened) session
    ├── InvalidCashMovement   cash in/out of zero or without a reason
    └── InvalidBarcode        wrong length, non-digits, wrong check digit (reason given)
"""

from __future__ import annotations


class PosError(ValueError):
    """Base of every refusal of the sale domain; the message is French, for the cashier."""


class UnknownVatRate(PosError):
    pass


class InvalidQuantity(PosError):
    pass


class InvalidPrice(PosError):
    pass


class DiscountTooLarge(PosError):
    pass


class UnknownLine(PosError):
    pass


class TicketStateError(PosError):
    pass


class InvalidReference(PosError):
    pass


class TenderError(PosError):
    pass


class InsufficientTender(TenderError):
    pass


class TenderMismatch(TenderError):
    pass


class SessionClosed(PosError):
    pass


class InvalidCashMovement(PosError):
    pass


class InvalidBarcode(PosError):
    """`reason` is a short stable key ("check_digit", "length", "digits") for logs and tests."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
