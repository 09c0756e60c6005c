"""The errors the Till raises to the screen and the command line.

The UI may import only `appliance.till` (DESIGN.md section 3), so the Till is the one boundary
where the errors of the layers below (`pos` domain errors, catalogue lookups, PIN checks) become
one family: every refusal the cashier can meet is a `TillError` carrying a stable `key` (for
gettext and for tests: never decide by message text) and a French `message` ready to show.
The original error stays attached as `__cause__`.

    TillError
     ├── NoSession              no open cash session (open one first)
     ├── SessionAlreadyOpen
     ├── ProductNotFound        unknown barcode / product id, or removed from the catalogue
     ├── InvalidBarcode         wrong check digit, malformed code
     ├── ProductWithoutPrice
     ├── LineNotFound
     ├── TenderError            unknown method, tenders that do not balance, nothing to pay
     ├── SellerError            seller required, unknown or removed
     ├── CustomerError          default account missing, unknown account
     ├── TicketNotFound         return/void/reprint of a ticket the journal does not hold
     ├── PermissionDenied       wrong manager PIN
     ├── RegisterError          register record missing from the catalogue / Kafinea
     ├── DeviceUnavailable      printer or drawer test on a register without one
     ├── ExportError            journal export folder missing or not writable
     └── InvalidInput           any other refused value (negative quantity, bad discount...)
"""

from __future__ import annotations

from appliance.pos import errors as pos


class TillError(Exception):
    """Base of every refusal; `key` is stable, `message` is French and shown as is."""

    key = "till_error"

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if key is not None:
            self.key = key


class NoSession(TillError):
    key = "no_session"


class SessionAlreadyOpen(TillError):
    key = "session_already_open"


class ProductNotFound(TillError):
    key = "product_not_found"


class InvalidBarcode(TillError):
    key = "invalid_barcode"


class ProductWithoutPrice(TillError):
    key = "product_without_price"


class LineNotFound(TillError):
    key = "line_not_found"


class TenderError(TillError):
    key = "tender_error"


class SellerError(TillError):
    key = "seller_error"


class CustomerError(TillError):
    key = "customer_error"


class TicketNotFound(TillError):
    key = "ticket_not_found"


class PermissionDenied(TillError):
    key = "permission_denied"


class RegisterError(TillError):
    key = "register_error"


class DeviceUnavailable(TillError):
    key = "device_unavailable"


class ExportError(TillError):
    key = "export_error"


class InvalidInput(TillError):
    key = "invalid_input"


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def from_domain(error: Exception) -> TillError:
    """One `pos` refusal (or a journal refusal) as the Till's error, same French message."""
    kinds: tuple[tuple[type[Exception], type[TillError]], ...] = (
        (pos.InvalidBarcode, InvalidBarcode),
        (pos.TenderError, TenderError),
        (pos.UnknownLine, LineNotFound),
        (pos.SessionClosed, NoSession),
    )
    for domain, ours in kinds:
        if isinstance(error, domain):
            return ours(str(error))
    return InvalidInput(str(error), key=_snake(type(error).__name__))
