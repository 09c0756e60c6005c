"""What the renderer must know about a printer model: width, code pages, abilities.

python-escpos ships the escpos-printer-db capabilities (`escpos.capabilities`): per model the
font columns, the paper width in dots, the code page numbers (printer specific: CP858 is 19 on
Epson, also 53 on many 58 mm clones) and features such as native QR codes or a cutter. We read
it once into a small frozen `PrinterLayout`, so rendering stays a pure function of
(document, layout) and tests can build layouts without touching a printer.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.devices.errors import DeviceError

DEFAULT_PROFILE = "TM-T20II"
SUPPORTED_COLUMNS = (32, 42, 48)
# Code pages holding the euro sign first: they print "€ é è à ç ô ù" in one table.
PREFERRED_CODE_PAGES = ("CP858", "CP1252", "ISO_8859-15", "CP850", "CP437")
_FALLBACK_PIXELS = {32: 384, 42: 512, 48: 576}


class UnknownProfile(DeviceError, ValueError):
    """A profile name or code page that python-escpos' printer database does not know."""


@dataclass(frozen=True)
class PrinterLayout:
    """Everything rendering needs: no connection, no state."""

    profile: str
    columns: int
    code_page: str  # main table, e.g. "CP858"
    code_pages: tuple[tuple[str, int], ...]  # (python codec name, ESC t number), preferred first
    pixel_width: int
    native_qr: bool
    cutter: bool

    def code_page_number(self, name: str) -> int:
        for known, number in self.code_pages:
            if known == name:
                return number
        raise UnknownProfile(f"la page de code {name} n'existe pas sur {self.profile}")


def profile_names() -> list[str]:
    from escpos.capabilities import CAPABILITIES  # noqa: PLC0415 - optional heavy import

    return sorted(CAPABILITIES["profiles"])


def printer_layout(
    profile: str = DEFAULT_PROFILE, columns: int | None = None, code_page: str | None = None
) -> PrinterLayout:
    """Build the layout of `profile`, optionally forcing the column count and main code page."""
    from escpos.capabilities import CAPABILITIES  # noqa: PLC0415 - optional heavy import

    data = CAPABILITIES["profiles"].get(profile)
    if data is None:
        raise UnknownProfile(
            f"profil d'imprimante inconnu {profile!r} (connus : {', '.join(profile_names())})"
        )
    font_columns = int(data["fonts"]["0"]["columns"])
    chosen_columns = columns if columns is not None else font_columns
    if chosen_columns not in SUPPORTED_COLUMNS:
        raise UnknownProfile(
            f"largeur de {chosen_columns} colonnes non prise en charge"
            f" ({', '.join(map(str, SUPPORTED_COLUMNS))})"
        )
    tables = _usable_code_pages(data["codePages"])
    main = (code_page or _preferred(tables)).upper()
    if main not in dict(tables):
        raise UnknownProfile(
            f"la page de code {main} n'existe pas sur {profile}"
            f" (disponibles : {', '.join(name for name, _ in tables)})"
        )
    ordered = tuple(sorted(tables, key=lambda item: _rank(item[0], main)))
    pixels = data["media"]["width"]["pixels"]
    features = data["features"]
    return PrinterLayout(
        profile=profile,
        columns=chosen_columns,
        code_page=main,
        code_pages=ordered,
        pixel_width=pixels if isinstance(pixels, int) else _FALLBACK_PIXELS[chosen_columns],
        native_qr=bool(features.get("qrCode")),
        cutter=bool(features.get("paperFullCut") or features.get("paperPartCut")),
    )


def _usable_code_pages(code_pages: dict[str, str]) -> tuple[tuple[str, int], ...]:
    """(name, number) for tables Python can encode, first number of each name kept."""
    import codecs  # noqa: PLC0415

    seen: dict[str, int] = {}
    for number_text, name in sorted(code_pages.items(), key=lambda item: int(item[0])):
        key = name.upper()
        if key in seen or key == "UNKNOWN":
            continue
        try:
            codecs.lookup(key.replace("_", "-"))
        except LookupError:
            continue
        seen[key] = int(number_text)
    return tuple(seen.items())


def _preferred(tables: tuple[tuple[str, int], ...]) -> str:
    names = {name for name, _ in tables}
    for name in PREFERRED_CODE_PAGES:
        if name in names:
            return name
    return tables[0][0]


def _rank(name: str, main: str) -> tuple[int, int]:
    if name == main:
        return (0, 0)
    if name in PREFERRED_CODE_PAGES:
        return (1, PREFERRED_CODE_PAGES.index(name))
    return (2, 0)


def python_codec(code_page: str) -> str:
    """Python's codec name for an escpos-printer-db table name ("ISO_8859-15" -> iso8859-15)."""
    return code_page.replace("_", "-").lower()
