"""The sale domain: pure Python, no I/O, importing nothing else of ours (docs/ARCHITECTURE.md).

Everything that touches a disk, a socket, a device, a clock or a screen lives around this
package and passes plain values in (times as aware datetimes). Modules, one job each:

- `money`: integer cents, quantities in thousandths, THE rounding (`round_div`), French text;
- `tax`: VAT rates in basis points, the register's `VatTable`, per-rate HT/TVA/TTC;
- `ticket`: `Ticket` (immutable: lines, discounts, removed lines, seller, customer, training,
  returns and voids of an `OriginalTicket`) and its `totals()`;
- `tender`: split tenders, cash rounding, change, `validate(ticket, tenders, at) -> Sale`;
- `session`: `CashSession` (float, cash in/out, expected per method, X and Z figures);
- `parking`: parked tickets; `barcode`: EAN/UPC check digits and in-store codes;
- `fiscal`: `Sale` <-> the journal's TICKET payload, abandoned-cart details;
- `document` + `receipt`: the printable `Receipt` and `Report` documents;
- `errors`: every refusal as its own `PosError` subclass with a French message.
"""
