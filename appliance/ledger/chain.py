"""The journal's format: canonical JSON, envelope hash, business days and closure arithmetic.

Python standard library only, on purpose: this file is copied into every exported archive
beside `verify.py`, so that anyone can check an archive with Python and `cryptography`, with
none of our code installed and no secret. `orjson`, when installed (it is on the till), only
makes reading faster (`read_canonical_fast`); every verdict is the same without it. The
journal writes with these functions and the verifier checks with the very same ones: there is
one definition of the format.

Canonical JSON (`canonical_bytes`): UTF-8; strings NFC-normalised; object keys sorted by code
point; separators "," and ":" without spaces; only integers (|n| < 2**53), strings, booleans,
lists and objects. A float, a null, NaN or any other type is refused (fail closed).

Envelope: the record's hash is SHA-256 of the canonical JSON of
{"created_utc", "fmt", "payload", "prev_hash", "prev_type_hash", "register", "rtype", "seq",
"training", "type_seq"} with the payload embedded as an object and hashes as lowercase hex.

Closures (`Totals`, `closure_figures`): a DAY sums its non-training tickets; a MONTH sums its
DAYs; a YEAR (fiscal year) sums its MONTHs. Grand totals: `perpetual_net` and `perpetual_abs`
never restart; `fiscal_year_net` restarts with each fiscal year.
"""

from __future__ import annotations

import functools
import hashlib
import json
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

try:  # optional: parses and re-encodes a payload ten times faster than the json module
    import orjson

    HAVE_ORJSON = True
except ImportError:  # an auditor's plain Python: the exact path alone, same verdicts
    HAVE_ORJSON = False

FMT = 1
ZERO_HASH = "0" * 64
MAX_INT = 2**53 - 1
RECORD_TYPES = ("INIT", "TICKET", "DUPLICATE", "CLOSURE", "EVENT", "ARCHIVE")
LEVELS = ("DAY", "MONTH", "YEAR")


class CanonicalError(ValueError):
    """A value that has no canonical JSON form (float, null, huge integer, odd type)."""


def _normalise(value: Any, path: str) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise CanonicalError(f"{path} : entier hors limites : {value}")
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise CanonicalError(f"{path} : chaîne Unicode invalide") from error
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path} : la clé {key!r} n'est pas une chaîne")
            name = unicodedata.normalize("NFC", key)
            if name in result:
                raise CanonicalError(f"{path} : clé {name!r} en double après normalisation NFC")
            result[name] = _normalise(item, f"{path}.{name}")
        return result
    if isinstance(value, list | tuple):
        return [_normalise(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if value is None:
        raise CanonicalError(f"{path} : null interdit (omettez la clé)")
    if isinstance(value, float):
        raise CanonicalError(f"{path} : nombre à virgule {value!r} interdit (montants en centimes)")
    raise CanonicalError(f"{path} : type non pris en charge : {type(value).__name__}")


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(
        _normalise(value, "$"), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def _refuse(text: str) -> Any:
    raise CanonicalError(f"le nombre {text} n'est pas un entier")


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 16  # any integer beyond 2**53 has at least 16 digits


def parse_canonical(text: bytes) -> Any:
    """Parse `text` and check it is canonical JSON; raises `CanonicalError` otherwise."""
    value = loads_strict(text)
    check_canonical(text, value)
    return value


# Built once: `json.loads` / `json.dumps` with options build a new decoder / encoder per call.
_STRICT = json.JSONDecoder(parse_float=_refuse, parse_constant=_refuse)
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loads_strict(text: str | bytes) -> Any:
    """`json.loads` refusing floats, NaN and infinities (`CanonicalError`, a ValueError)."""
    try:
        return _STRICT.decode(text if isinstance(text, str) else text.decode("utf-8"))
    except ValueError as error:
        raise CanonicalError(f"JSON illisible : {error}") from None


def check_canonical(text: bytes, value: Any) -> None:
    """Check that `text`, parsed into `value` by `loads_strict`, is canonical JSON.

    Fast path for verifying millions of records: when the text has no null, no run of 16
    digits and is NFC as a whole (floats were refused while parsing), re-encoding with the C
    encoder and comparing is equivalent to `canonical_bytes`; anything else takes the exact
    (slower) path.
    """
    simple = (b"null" not in text
              and _LONG_NUMBER not in text.translate(_DIGITS_AS_ZERO)
              and (text.isascii() or unicodedata.is_normalized("NFC", text.decode("utf-8"))))
    again = _ENCODER.encode(value).encode("utf-8") if simple else canonical_bytes(value)
    if again != text:
        raise CanonicalError("forme non canonique")


_BARE_JSON = b"{}[],:-0123456789"  # what a canonical text holds outside strings and booleans


def read_canonical_fast(text: bytes) -> Any | None:
    """The value of `text` when a quick proof shows it canonical, else None: then the caller
    takes the exact path (`loads_strict` + `check_canonical`), which also says what is wrong.

    Verifying a million records spends most of its time parsing and re-encoding payloads;
    orjson does both ten times faster. For integers, strings, booleans, lists and objects it
    writes byte for byte what `canonical_bytes` writes (a test compares every code point), so
    an identical re-encoding proves the text canonical once the text, strings aside, holds only
    integers (no float, null, NaN), none beyond 2**53 (orjson's strict-integer option refuses
    them, as `canonical_bytes` does), and is NFC. Texts with an escape (rare: a label with a
    quote) take the exact path, so that splitting at '"' finds the strings.
    """
    if not HAVE_ORJSON:
        return None
    try:
        value = orjson.loads(text)
        again = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None
    if again != text or b"\\" in text:  # no escape: every '"' opens or closes a string
        return None
    bare = b"".join(text.split(b'"')[::2]).replace(b"true", b"").replace(b"false", b"")
    if bare.translate(None, _BARE_JSON):
        return None
    return value if _is_nfc(text) else None


def _is_nfc(text: bytes) -> bool:
    """Whether UTF-8 `text` is NFC, without scanning it when it holds only characters below
    U+0100 (French labels do): no such character decomposes or is a combining mark, and no
    two of them compose, so any text of them is NFC (a test checks every one and every
    pair). Encoding to Latin-1 finds that out at the speed of a copy."""
    if text.isascii():
        return True
    decoded = text.decode("utf-8")
    try:
        decoded.encode("latin-1")
    except UnicodeEncodeError:
        return unicodedata.is_normalized("NFC", decoded)
    return True


def envelope_bytes(
    *, seq: int, rtype: str, training: bool, type_seq: int, created_utc: str, register: str,
    prev_hash: str, prev_type_hash: str, payload: bytes, fmt: int = FMT,
) -> bytes:
    """Canonical JSON of the envelope, assembled around the already canonical `payload`.

    Equal byte for byte to `canonical_bytes(envelope_dict)` (a golden test checks it); built
    by hand so that neither writing nor verifying a million records encodes a payload twice.
    """
    strings = (created_utc, prev_hash, prev_type_hash, register, rtype)
    plain = "".join(strings)
    if plain.isascii() and plain.isprintable() and '"' not in plain and "\\" not in plain:
        quoted = [f'"{value}"' for value in strings]  # what json.dumps writes, without its cost
    else:
        quoted = [json.dumps(unicodedata.normalize("NFC", value), ensure_ascii=False)
                  for value in strings]
    created, prev, prev_type, register_text, rtype_text = quoted
    head = f'{{"created_utc":{created},"fmt":{fmt},"payload":'.encode()
    tail = (
        f',"prev_hash":{prev},"prev_type_hash":{prev_type}'
        f',"register":{register_text},"rtype":{rtype_text},"seq":{seq}'
        f',"training":{"true" if training else "false"},"type_seq":{type_seq}}}'
    ).encode()
    return head + payload + tail


def record_hash(envelope: bytes) -> str:
    return hashlib.sha256(envelope).hexdigest()


# ------------------------------------------------------------------------ business days


def parse_utc(text: str) -> datetime:
    """Read "2026-03-01T10:15:02.123Z" (exactly that shape: 24 characters ending in Z)."""
    if len(text) != 24 or text[-1] != "Z" or text[10] != "T":
        raise ValueError(f"horodatage UTC illisible : {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def business_date(created_utc: str, tz: str, cutoff_minutes: int) -> date:
    """The shop day a moment belongs to: local time minus the cut-off (e.g. 04:00)."""
    return business_date_at(parse_utc(created_utc), tz, cutoff_minutes)


def business_date_at(moment: datetime, tz: str, cutoff_minutes: int) -> date:
    """`business_date` of an already parsed UTC moment."""
    local = moment.astimezone(ZoneInfo(tz))
    return (local - timedelta(minutes=cutoff_minutes)).date()


@functools.lru_cache(maxsize=4096)
def business_day_of_minute(minute_utc: str, tz: str, cutoff_minutes: int) -> str | None:
    """The business day (ISO) of every moment in the UTC minute "2026-03-01T10:15", or None
    when its first and last second fall on different days (then ask `business_date_at`).

    A verifier meets ~30 tickets per busy minute: one time-zone conversion per minute instead
    of one per ticket. Offsets change on whole minutes, so the minute's two ends decide."""
    start = datetime.fromisoformat(minute_utc).replace(tzinfo=UTC)
    first = business_date_at(start, tz, cutoff_minutes)
    last = business_date_at(start + timedelta(seconds=59, microseconds=999_999), tz,
                            cutoff_minutes)
    return first.isoformat() if first == last else None


def fiscal_year(day: date, start_month: int) -> int:
    """Fiscal years are named by the calendar year they start in."""
    return day.year if day.month >= start_month else day.year - 1


def fiscal_year_bounds(year: int, start_month: int) -> tuple[date, date]:
    return date(year, start_month, 1), date(year + 1, start_month, 1) - timedelta(days=1)


def month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


# ------------------------------------------------------------------- ticket arithmetic

# counter name, removed lines, total TTC, HT, VAT, rounding, ((rate, HT, VAT, TTC), ...),
# ((method, amount), ...) with the change already taken off CASH
TicketSums = tuple[str, int, int, int, int, int, tuple[tuple[int, int, int, int], ...],
                   tuple[tuple[str, int], ...]]
_COUNTER_OF_KIND = {"SALE": "sales", "RETURN": "returns", "VOID": "voids"}


def ticket_audit(  # noqa: PLR0911 - one return per rule
        payload: dict[str, Any]) -> tuple[str, None] | tuple[None, TicketSums]:
    """(what is arithmetically wrong with a TICKET payload, None), or (None, its sums).

    Lines add up to the per-rate rows and the totals; each per-rate VAT follows the rounding
    rule (half away from zero on the rate's total as entered, TTC or HT); payments less change
    equal the total plus the cash rounding. The sums are what the ticket adds to its DAY: a
    few integers instead of the payload, read in the same pass (the verifier audits a million
    tickets, and its workers send the main process these small tuples).
    """
    try:
        lines = payload["lines"]
        ttc_mode = payload["price_mode"] == "TTC"
        rates = _sums_by_rate(lines, ttc_mode)
        if isinstance(rates, str):
            return rates, None
        vat_rows = tuple([(row["vat_bp"], row["base_ht"], row["vat"], row["ttc"])
                          for row in payload["vat"]])
        if {row[0] for row in vat_rows} != rates.keys() or len(vat_rows) != len(rates):
            return "les lignes de TVA ne correspondent pas aux taux des lignes", None
        total_ht = total_vat = total_ttc = 0
        for rate_bp, ht, vat, ttc in vat_rows:
            if rates[rate_bp] != (ht, vat, ttc):
                return f"TVA {rate_bp} : différente de la somme de ses lignes", None
            expected = (_round_div(ttc * rate_bp, 10_000 + rate_bp) if ttc_mode
                        else _round_div(ht * rate_bp, 10_000))
            if vat != expected:
                return (f"TVA {rate_bp} : {vat} ne suit pas la règle d'arrondi"
                        f" (attendu {expected})"), None
            total_ht += ht
            total_vat += vat
            total_ttc += ttc
        if (total_ht, total_vat, total_ttc) != (
                payload["total_ht"], payload["total_vat"], payload["total_ttc"]):
            return "les totaux du ticket diffèrent des lignes de TVA", None
        payments = [(item["method"], item["amount"]) for item in payload["payments"]]
        change, rounding = payload["change"], payload["rounding"]
        if sum([amount for _, amount in payments]) - change != total_ttc + rounding:
            return "les paiements ne soldent pas le total", None
        if payload["line_count"] != len(lines):
            return "line_count diffère du nombre de lignes", None
        if change:
            payments.append(("CASH", -change))
        return None, (_COUNTER_OF_KIND[payload["kind"]], len(payload["removed_lines"]),
                      total_ttc, total_ht, total_vat, rounding, vat_rows, tuple(payments))
    except (KeyError, TypeError) as error:
        return f"ticket mal formé : {error!r}", None


def _sums_by_rate(lines: list[dict[str, Any]], ttc_mode: bool
                  ) -> str | dict[int, tuple[int, int, int]]:
    """What is wrong with a line, or HT, VAT and TTC summed per VAT rate: one pass over the
    lines, each line's own rules, then its rate's sums."""
    rates: dict[int, tuple[int, int, int]] = {}
    for line in lines:
        ht, vat, ttc = line["total_ht"], line["total_vat"], line["total_ttc"]
        if ht + vat != ttc:
            return f"ligne {line['n']} : HT + TVA différent du TTC"
        final = line["gross"] - line["line_discount"] - line["ticket_discount"]
        if final != (ttc if ttc_mode else ht):
            return f"ligne {line['n']} : montant après remises différent de son total"
        rate_bp = line["vat_bp"]
        before = rates.get(rate_bp)
        rates[rate_bp] = (ht, vat, ttc) if before is None else (
            before[0] + ht, before[1] + vat, before[2] + ttc)
    return rates


def ticket_problem(payload: dict[str, Any]) -> str | None:
    """What is arithmetically wrong with a TICKET payload, or None (see `ticket_audit`)."""
    return ticket_audit(payload)[0]


def ticket_sums(payload: dict[str, Any]) -> TicketSums:
    """What a TICKET adds to its DAY; ValueError for a ticket that does not add up."""
    problem, sums = ticket_audit(payload)
    if sums is None:
        raise ValueError(f"ticket incohérent : {problem}")
    return sums


def _round_div(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


# ---------------------------------------------------------------------------- closures


class Totals:
    """Running sums for one closure period (tickets for a DAY, closures for MONTH/YEAR)."""

    COUNT_KEYS = ("tickets", "sales", "returns", "voids", "training_tickets", "removed_lines",
                  "duplicates")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(self.COUNT_KEYS, 0)
        self.sales_ttc = 0
        self.returns_ttc_abs = 0
        self.net_ht = 0
        self.net_vat = 0
        self.rounding = 0
        self.vat: dict[int, list[int]] = {}
        self.payments: dict[str, int] = {}
        self.first_ticket = 0
        self.last_ticket = 0
        self.last_ticket_hash = ""
        self.children: list[dict[str, Any]] = []

    def add_ticket(self, payload: dict[str, Any], training: bool, type_seq: int,
                   hash_hex: str) -> None:
        self.add_ticket_sums(None if training else ticket_sums(payload), type_seq, hash_hex)

    def add_ticket_sums(self, sums: TicketSums | None, type_seq: int, hash_hex: str) -> None:
        """Add one ticket reduced by `ticket_sums` (None: a training ticket, only counted)."""
        if sums is None:
            self.counts["training_tickets"] += 1
            return
        counter, removed, total, ht, vat, rounding, vat_rows, payments = sums
        self.counts["tickets"] += 1
        self.counts[counter] += 1
        self.counts["removed_lines"] += removed
        if total >= 0:
            self.sales_ttc += total
        else:
            self.returns_ttc_abs -= total
        self.net_ht += ht
        self.net_vat += vat
        self.rounding += rounding
        for rate, base_ht, rate_vat, ttc in vat_rows:
            row = self.vat.setdefault(rate, [0, 0, 0])
            row[0] += base_ht
            row[1] += rate_vat
            row[2] += ttc
        for method, amount in payments:
            self.payments[method] = self.payments.get(method, 0) + amount
        if not self.first_ticket:
            self.first_ticket = type_seq
        self.last_ticket, self.last_ticket_hash = type_seq, hash_hex

    def add_duplicate(self) -> None:
        self.counts["duplicates"] += 1

    def add_closure(self, payload: dict[str, Any], hash_hex: str) -> None:
        for key in self.COUNT_KEYS:
            self.counts[key] += payload["counts"][key]
        totals = payload["totals"]
        self.sales_ttc += totals["sales_ttc"]
        self.returns_ttc_abs += totals["returns_ttc_abs"]
        self.net_ht += totals["net_ht"]
        self.net_vat += totals["net_vat"]
        self.rounding += totals["rounding"]
        for row in payload["vat"]:
            sums = self.vat.setdefault(row["vat_bp"], [0, 0, 0])
            sums[0] += row["base_ht"]
            sums[1] += row["vat"]
            sums[2] += row["ttc"]
        for item in payload["payments"]:
            self.payments[item["method"]] = self.payments.get(item["method"], 0) + item["amount"]
        if "first_ticket" in payload:
            if not self.first_ticket:
                self.first_ticket = payload["first_ticket"]
            self.last_ticket = payload["last_ticket"]
            self.last_ticket_hash = payload["last_ticket_hash"]
        self.children.append({"level": payload["level"], "no": payload["no"], "hash": hash_hex})

    @property
    def net_ttc(self) -> int:
        return self.sales_ttc - self.returns_ttc_abs


def closure_figures(
    totals: Totals, *, level: str, no: int, period_from: date, period_to: date,
    fy: int, previous: tuple[dict[str, Any], str] | None,
) -> dict[str, Any]:
    """The computed part of a CLOSURE payload (what the verifier recomputes and compares).

    `previous` is the (payload, hash) of the previous closure of the same level.
    """
    prev_gt = previous[0]["gt"] if previous else None
    period_net = totals.net_ttc
    if level == "YEAR":
        fiscal_year_net = period_net
    elif previous and previous[0]["fiscal_year"] == fy and prev_gt:
        fiscal_year_net = prev_gt["fiscal_year_net"] + period_net
    else:
        fiscal_year_net = period_net
    figures: dict[str, Any] = {
        "level": level,
        "no": no,
        "period": {"from": period_from.isoformat(), "to": period_to.isoformat()},
        "fiscal_year": fy,
        "counts": dict(totals.counts),
        "totals": {
            "sales_ttc": totals.sales_ttc,
            "returns_ttc_abs": totals.returns_ttc_abs,
            "net_ttc": period_net,
            "net_ht": totals.net_ht,
            "net_vat": totals.net_vat,
            "rounding": totals.rounding,
        },
        "vat": [
            {"vat_bp": rate, "base_ht": sums[0], "vat": sums[1], "ttc": sums[2]}
            for rate, sums in sorted(totals.vat.items(), reverse=True)
        ],
        "payments": [
            {"method": method, "amount": amount}
            for method, amount in sorted(totals.payments.items())
        ],
        "gt": {
            "period_net": period_net,
            "fiscal_year_net": fiscal_year_net,
            "perpetual_net": (prev_gt["perpetual_net"] if prev_gt else 0) + period_net,
            "perpetual_abs": (prev_gt["perpetual_abs"] if prev_gt else 0)
            + totals.sales_ttc + totals.returns_ttc_abs,
        },
    }
    if totals.first_ticket:
        figures["first_ticket"] = totals.first_ticket
        figures["last_ticket"] = totals.last_ticket
        figures["last_ticket_hash"] = totals.last_ticket_hash
    if level != "DAY":
        figures["children"] = list(totals.children)
    if previous:
        figures["prev_same_level"] = {"no": previous[0]["no"], "hash": previous[1]}
    return figures
